// Where the agent puts Envoy's files under `--dir`:
//
//   <dir>/cds.pb                 every Cluster (one DiscoveryResponse)       ← bootstrap cds_config
//   <dir>/lds.pb                 every Listener                              ← bootstrap lds_config
//   <dir>/eds/<cluster>.pb       one ClusterLoadAssignment per file          ← each Cluster's eds_config
//   <dir>/rds/<route>.pb         one RouteConfiguration per file             ← each HCM's rds.config_source
//   <dir>/sds/<secret>.pb        one Secret the snapshot itself carries (rare; values are never in it)
//   <dir>/state/agent.json       the version on disk, so a restart does not rewrite it
//
// EDS and RDS get a file per resource because Envoy's path subscriptions do not filter by name:
// an EDS cluster or an RDS subscription handed a file with two resources rejects the update
// ("Unexpected EDS resource length: 2"). CDS and LDS take full sets, so one file each.
//
// `sds_config` references to secrets the snapshot does not carry point at
// `<secretsDir>/<name>.yaml`, the file names `translate --to bootstrap` uses; the operator or a
// secrets sidecar writes those (secret values never travel through snapshots).

import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';

export const STATE_FILE = join('state', 'agent.json');

export interface AgentLayout {
  /** Absolute: Envoy resolves relative paths against its own working directory. */
  dir: string;
  /** Absolute directory of operator-provided SDS secret files. Default `<dir>/secrets`. */
  secretsDir: string;
}

export function agentLayout(dir: string, secretsDir?: string): AgentLayout {
  const abs = resolve(dir);
  return { dir: abs, secretsDir: resolve(secretsDir ?? join(abs, 'secrets')) };
}

/** Paths relative to `dir`, which is how the state file records them. */
export const RelativePath = {
  cds: 'cds.pb',
  lds: 'lds.pb',
  eds: (clusterName: string) => join('eds', resourceFileName(clusterName)),
  rds: (routeConfigName: string) => join('rds', resourceFileName(routeConfigName)),
  sds: (secretName: string) => join('sds', resourceFileName(secretName)),
} as const;

/** Directories the agent owns and prunes, each holding one file per resource. */
export const RESOURCE_DIRS = ['eds', 'rds', 'sds'] as const;

/**
 * A file name for an xDS resource name: URL-encoded (so `/`, `:` and spaces cannot escape the
 * folder), no leading dot, and a hashed tail when it would exceed file-name limits.
 */
export function resourceFileName(name: string): string {
  let safe = encodeURIComponent(name).replace(/^\./, '%2E');
  if (safe.length > 200)
    safe = `${safe.slice(0, 180)}~${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
  return `${safe}.pb`;
}

/**
 * The operator-provided SDS file for a secret name: the rule of `sdsFileName` in
 * shared/xds/names.ts (`secret/ns/name#key` → `secret.ns.name.key.yaml`), applied to the name.
 */
export function secretFilePath(layout: AgentLayout, secretName: string): string {
  return join(layout.secretsDir, `${secretName.replaceAll('/', '.').replaceAll('#', '.')}.yaml`);
}
