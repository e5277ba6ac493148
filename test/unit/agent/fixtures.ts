// Fixtures for the agent's unit tests: xDS resources shaped like translate's output (ADS config
// sources everywhere), a snapshot directory to publish into, and readers that record or fail.

import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AgentOptions, SnapshotAgent } from '../../../services/agent/agent.ts';
import { LocalOutputDir, type OutputDir } from '../../../services/agent/output-dir.ts';
import { decodeDiscoveryResponse } from '../../../shared/codec/index.ts';
import { DirectorySnapshotReader } from '../../../shared/fs/fs-snapshot-reader.ts';
import { FsSnapshotStore } from '../../../shared/fs/fs-snapshot-store.ts';
import type { SnapshotReader, SnapshotReadResult } from '../../../shared/ports/snapshot-reader.ts';
import { versionPrefix } from '../../../shared/snapshot/layout.ts';
import { publishSnapshot } from '../../../shared/snapshot/publish.ts';
import { type JsonObject, TypeUrl, type XdsResources } from '../../../shared/xds/types.ts';

export const TARGET = { clusterId: 'c1', gateway: { namespace: 'infra', name: 'edge' } };
export const NODE_CLUSTER = 'c1/infra/edge';
const ADS = { ads: {}, resource_api_version: 'V3' };
const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

export const cluster = (name: string, timeout = '1s'): JsonObject => ({
  '@type': TypeUrl.Cluster,
  name,
  type: 'EDS',
  connect_timeout: timeout,
  eds_cluster_config: { eds_config: ADS },
});

export const endpoints = (name: string, port: number): JsonObject => ({
  '@type': TypeUrl.ClusterLoadAssignment,
  cluster_name: name,
  endpoints: [
    {
      lb_endpoints: [
        { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } },
      ],
    },
  ],
});

export const hcm = (routeConfigName: string): JsonObject => ({
  name: 'envoy.filters.network.http_connection_manager',
  typed_config: {
    '@type': HCM,
    stat_prefix: 'http',
    rds: { config_source: ADS, route_config_name: routeConfigName },
    http_filters: [
      {
        name: 'envoy.filters.http.router',
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
      },
    ],
  },
});

export const listener = (name: string, port: number, routeConfigName: string): JsonObject => ({
  '@type': TypeUrl.Listener,
  name,
  address: { socket_address: { address: '127.0.0.1', port_value: port } },
  filter_chains: [{ filters: [hcm(routeConfigName)] }],
});

export const route = (name: string, clusterName: string, prefix = '/'): JsonObject => ({
  '@type': TypeUrl.RouteConfiguration,
  name,
  virtual_hosts: [
    { name: 'all', domains: ['*'], routes: [{ match: { prefix }, route: { cluster: clusterName } }] },
  ],
});

export function resources(partial: Partial<XdsResources>): XdsResources {
  return { listeners: [], routes: [], clusters: [], endpoints: [], secrets: [], ...partial };
}

/** One listener routing `/` to `clusterName`, with the cluster and its endpoints. */
export function gateway(clusterName: string, extra: Partial<XdsResources> = {}): XdsResources {
  return resources({
    listeners: [listener('l', 10_080, 'r')],
    routes: [route('r', clusterName)],
    clusters: [cluster(clusterName)],
    endpoints: [endpoints(clusterName, 9_000)],
    ...extra,
  });
}

/** An OutputDir that records every replace and remove, in order, and passes them through. */
export class RecordingOutputDir extends LocalOutputDir {
  readonly ops: string[] = [];
  readonly writes: Array<{ relPath: string; body: Uint8Array }> = [];

  override async replace(relPath: string, body: Uint8Array): Promise<void> {
    this.ops.push(`write ${relPath}`);
    this.writes.push({ relPath, body });
    await super.replace(relPath, body);
  }

  override async remove(relPath: string): Promise<void> {
    this.ops.push(`remove ${relPath}`);
    await super.remove(relPath);
  }
}

/** A reader that can be told to fail, and counts reads per key. */
export class FaultyReader implements SnapshotReader {
  readonly description: string;
  readonly reads: string[] = [];
  fail: ((key: string) => Error | undefined) | undefined;

  constructor(readonly inner: SnapshotReader) {
    this.description = inner.description;
  }

  async getIfChanged(key: string, etag?: string): Promise<SnapshotReadResult> {
    this.reads.push(key);
    const error = this.fail?.(key);
    if (error) throw error;
    return this.inner.getIfChanged(key, etag);
  }

  async listFolders(prefix: string): Promise<string[]> {
    const error = this.fail?.(prefix);
    if (error) throw error;
    return this.inner.listFolders(prefix);
  }
}

export async function setup() {
  const src = await mkdtemp(join(tmpdir(), 'fleetplane-agent-src-'));
  const out = await mkdtemp(join(tmpdir(), 'fleetplane-agent-out-'));
  const store = new FsSnapshotStore(src);
  const reader = new FaultyReader(new DirectorySnapshotReader(src));
  const publish = async (res: XdsResources) => {
    const result = await publishSnapshot(store, TARGET, res);
    if (result.status !== 'published') throw new Error('nothing published');
    return result.version;
  };
  const agent = (options: Partial<AgentOptions> & { output?: OutputDir } = {}) =>
    new SnapshotAgent({
      reader,
      nodeCluster: NODE_CLUSTER,
      dir: out,
      retryBaseMs: 1_000,
      settleMs: 0,
      ...options,
    });
  /** Path of one file of a published version, in the source directory. */
  const published = (version: number, name: string) =>
    join(src, versionPrefix(TARGET.clusterId, TARGET.gateway, version), name);
  const decodeOut = async (relPath: string) => decodeDiscoveryResponse(await readFile(join(out, relPath)));
  return { src, out, store, reader, publish, agent, published, decodeOut };
}

/** Flips one byte in the middle of a file: same size, different sha256. */
export async function flipByte(path: string): Promise<void> {
  const body = await readFile(path);
  const at = Math.floor(body.byteLength / 2);
  body[at] = (body[at] ?? 0) ^ 0xff;
  await writeFile(path, body);
}
