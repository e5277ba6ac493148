// One verified snapshot version → the files Envoy reads, with their config sources rewritten to
// point at each other, encoded once, in the order they must be written. Pure: no I/O.
//
// Order: SDS, EDS, CDS, RDS, LDS. Every file is in place before the first file that refers to it
// is renamed, so when Envoy loads a new Cluster or Listener the file its new subscription opens
// already holds the new content (CDS/EDS still precede LDS/RDS, as the design requires, and the
// routes that send traffic to a new cluster are written only after the cluster).
//
// Make before break: CDS is a full set, so a CDS file without a cluster removes it at once, while
// routes written a moment later may still send traffic to it (a 503 per request in between, seen
// with a real Envoy). When clusters go away, the first CDS written is therefore the new set plus
// the leaving clusters, and the exact new set follows after LDS and RDS have moved traffic off them.

import { join } from 'node:path';
import type { DecodedDiscoveryResponse } from '../../shared/codec/index.ts';
import { encodeDiscoveryResponse } from '../../shared/codec/index.ts';
import { type SnapshotTypeFile, sha256Hex, stableStringify } from '../../shared/snapshot/layout.ts';
import type { VerifiedVersion } from '../../shared/snapshot/verified-version.ts';
import type { JsonObject } from '../../shared/xds/types.ts';
import { ConfigSourceRewriteError } from './errors.ts';
import { type AgentLayout, RelativePath, secretFilePath } from './file-layout.ts';
import { type ConfigSourceTargets, type Reference, rewriteConfigSources } from './rewrite-config-sources.ts';

export type FileKind = SnapshotTypeFile['short'];

export interface PlannedFile {
  kind: FileKind;
  /** Relative to the agent's directory. */
  relPath: string;
  /** The binary DiscoveryResponse. */
  body: Uint8Array;
  /** sha256 of the resources alone (not of version_info): equal means Envoy would see no change. */
  contentHash: string;
  resources: number;
  /**
   * `make`: the transitional CDS (new clusters plus leaving ones); `break`: the final CDS written
   * after routes have moved off the leaving clusters. Unset for every other file.
   */
  phase?: 'make' | 'break';
}

export interface FilePlan {
  version: number;
  files: PlannedFile[];
  /** Config-source references that point at operator-provided secret files. */
  externalSecrets: string[];
  /** EDS or RDS names referenced but absent from the snapshot (Envoy waits for them, then goes on empty). */
  dangling: Reference[];
}

const WRITE_ORDER: readonly FileKind[] = ['sds', 'eds', 'cds', 'rds', 'lds'];

export interface PlanOptions {
  /** The clusters of the CDS file on disk, to keep through the transition those that leave. */
  currentClusters?: readonly JsonObject[];
}

export function planFiles(
  version: VerifiedVersion<DecodedDiscoveryResponse>,
  layout: AgentLayout,
  options: PlanOptions = {},
): FilePlan {
  const byKind = new Map(version.files.map((f) => [f.type.short, f]));
  const resourcesOf = (kind: FileKind): JsonObject[] => byKind.get(kind)?.decoded.resources ?? [];
  const typeUrlOf = (kind: FileKind): string => byKind.get(kind)?.type.typeUrl ?? '';
  const carriedSecrets = new Set(resourcesOf('sds').map(nameOf));
  const externalSecrets = new Set<string>();
  const targets: ConfigSourceTargets = {
    eds: (name) => ({ path: join(layout.dir, RelativePath.eds(name)) }),
    rds: (name) => ({ path: join(layout.dir, RelativePath.rds(name)) }),
    sds: (name) => {
      if (carriedSecrets.has(name)) return { path: join(layout.dir, RelativePath.sds(name)) };
      externalSecrets.add(name);
      return { path: secretFilePath(layout, name), watchedDirectory: layout.secretsDir };
    },
  };

  const errors: string[] = [];
  const references: Reference[] = [];
  const rewritten = new Map<FileKind, JsonObject[]>();
  for (const kind of WRITE_ORDER) {
    const out: JsonObject[] = [];
    for (const resource of resourcesOf(kind)) {
      const result = rewriteConfigSources(resource, targets);
      if (!result.valid) {
        errors.push(...result.errors.map((e) => `${kind}: ${e}`));
        continue;
      }
      references.push(...result.references);
      out.push(result.resource);
    }
    rewritten.set(kind, out);
  }

  const versionInfo = String(version.manifest.version);
  const files: PlannedFile[] = [];
  const taken = new Map<string, string>();
  const encode = (kind: FileKind, relPath: string, resources: JsonObject[]): PlannedFile => ({
    kind,
    relPath,
    body: encodeDiscoveryResponse({ versionInfo, typeUrl: typeUrlOf(kind), resources }),
    contentHash: sha256Hex(stableStringify(resources)),
    resources: resources.length,
  });
  const file = (kind: FileKind, relPath: string, resources: JsonObject[]): void => {
    const owner = taken.get(relPath);
    if (owner !== undefined) {
      errors.push(`${kind}: ${owner} and ${resources.map(nameOf).join(',')} both map to ${relPath}`);
      return;
    }
    taken.set(relPath, resources.map(nameOf).join(','));
    files.push(encode(kind, relPath, resources));
  };
  for (const kind of WRITE_ORDER) {
    const resources = rewritten.get(kind) ?? [];
    switch (kind) {
      case 'cds':
        file(kind, RelativePath.cds, resources);
        break;
      case 'lds':
        file(kind, RelativePath.lds, resources);
        break;
      case 'eds':
        for (const r of resources) file(kind, RelativePath.eds(String(r.cluster_name ?? '')), [r]);
        break;
      case 'rds':
        for (const r of resources) file(kind, RelativePath.rds(nameOf(r)), [r]);
        break;
      case 'sds':
        for (const r of resources) file(kind, RelativePath.sds(nameOf(r)), [r]);
        break;
    }
  }
  if (errors.length > 0) throw new ConfigSourceRewriteError(errors);

  const clusters = rewritten.get('cds') ?? [];
  const staying = new Set(clusters.map(nameOf));
  const leaving = (options.currentClusters ?? []).filter((c) => !staying.has(nameOf(c)));
  if (leaving.length > 0) {
    const at = files.findIndex((f) => f.kind === 'cds');
    const final = files[at];
    if (final) {
      const union = [...clusters, ...leaving].sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
      files.splice(at, 1, { ...encode('cds', RelativePath.cds, union), phase: 'make' });
      files.push({ ...final, phase: 'break' });
    }
  }

  const present = new Set(files.map((f) => f.relPath));
  const dangling = references.filter(
    (r) =>
      (r.kind === 'eds' && !present.has(RelativePath.eds(r.name))) ||
      (r.kind === 'rds' && !present.has(RelativePath.rds(r.name))),
  );
  return { version: version.manifest.version, files, externalSecrets: [...externalSecrets].sort(), dangling };
}

function nameOf(resource: JsonObject): string {
  return typeof resource.name === 'string' ? resource.name : '';
}
