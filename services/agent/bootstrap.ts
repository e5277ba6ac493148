// A ready Envoy bootstrap for proxies fed by the agent (`fleetplane agent --print-bootstrap`): the
// node identity, CDS and LDS from the agent's files through `path_config_source`, and admin on
// loopback. EDS, RDS and SDS follow from the path sources the agent writes into those resources.
// `watched_directory` makes Envoy reload on any move into the directory, which also covers a
// directory swapped in by symlink (a Kubernetes volume); the agent's own renames land there too.

import { join } from 'node:path';
import { parseNodeCluster } from '../../shared/snapshot/layout.ts';
import type { JsonObject } from '../../shared/xds/types.ts';
import { AgentConfigError } from './errors.ts';
import { agentLayout, RelativePath } from './file-layout.ts';

export interface AgentBootstrapOptions {
  /** The agent's `--dir` (made absolute). */
  dir: string;
  /** `<clusterId>/<gatewayNamespace>/<gatewayName>`. */
  nodeCluster: string;
  /** Unique per proxy. */
  nodeId: string;
  /** Admin port on 127.0.0.1. Default 9901. */
  adminPort?: number;
}

export function agentBootstrap(options: AgentBootstrapOptions): JsonObject {
  if (!parseNodeCluster(options.nodeCluster))
    throw new AgentConfigError(
      `node cluster ${JSON.stringify(options.nodeCluster)}: expected <clusterId>/<namespace>/<gateway>, e.g. prod-eu/infra/edge`,
    );
  if (options.nodeId.trim() === '') throw new AgentConfigError('node id: must not be empty');
  const { dir } = agentLayout(options.dir);
  const source = (file: string): JsonObject => ({
    path_config_source: { path: join(dir, file), watched_directory: { path: dir } },
    resource_api_version: 'V3',
  });
  return {
    node: { id: options.nodeId, cluster: options.nodeCluster },
    admin: {
      address: { socket_address: { address: '127.0.0.1', port_value: options.adminPort ?? 9901 } },
    },
    dynamic_resources: { cds_config: source(RelativePath.cds), lds_config: source(RelativePath.lds) },
  };
}
