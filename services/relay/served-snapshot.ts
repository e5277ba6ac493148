// The immutable form in which the relay serves one snapshot version: per type, each resource's
// name, version (hash of its bytes) and pre-encoded response entries, plus the fixed response
// header. Built once per version and shared by every stream, so fan-out costs a byte copy per
// stream, never a marshal per stream (xds-relay's and go-control-plane's cost at scale).

import { createHash } from 'node:crypto';
import { fromBinary } from '@bufbuild/protobuf';
import { type AnyResource, schemaForTypeUrl } from '../../shared/codec/index.ts';
import { type GatewayRef, nodeCluster } from '../../shared/snapshot/layout.ts';
import { TypeUrl } from '../../shared/xds/types.ts';
import { deltaHeader, deltaResourceEntry, sotwHeader, sotwResourceEntry } from './ads/messages.ts';
import { shortType } from './ads/resource-types.ts';
import { SnapshotLoadError } from './errors.ts';
import type { RelayMetrics } from './relay-metrics.ts';
import type { SourceSnapshot } from './source/snapshot-source.ts';

export interface ServedResource {
  readonly name: string;
  /** Hash of the packed bytes: the Delta per-resource version, and equal whenever content is. */
  readonly version: string;
  readonly any: AnyResource;
  /** The `resources` entry of a SotW DiscoveryResponse. */
  readonly sotwEntry: Uint8Array;
  /** The `resources` entry of a DeltaDiscoveryResponse. */
  readonly deltaEntry: Uint8Array;
}

export interface ServedType {
  readonly typeUrl: string;
  readonly versionInfo: string;
  /** By name, in name order. */
  readonly resources: ReadonlyMap<string, ServedResource>;
  /** Hash of every (name, version): equal for equal content, whatever the snapshot version. */
  readonly contentHash: string;
  readonly sotwHeader: Uint8Array;
  readonly deltaHeader: Uint8Array;
}

export interface ServedSnapshot {
  /** `<clusterId>/<ns>/<gateway>`, what proxies put in `node.cluster`. */
  readonly nodeCluster: string;
  readonly clusterId: string;
  readonly gateway: GatewayRef;
  readonly version: number;
  readonly contentHash?: string;
  readonly createdAt?: string;
  readonly origin: string;
  readonly loadedAt: string;
  readonly types: ReadonlyMap<string, ServedType>;
}

export interface BuildServedOptions {
  metrics: RelayMetrics;
  /** `control_plane.identifier` stamped on every response. */
  controlPlane?: string;
  now?: () => Date;
}

/**
 * Decodes and encodes one version. Resources whose bytes are unchanged since `previous` are reused
 * as they are, so a version that changes one route re-encodes one route.
 */
export function buildServedSnapshot(
  source: SourceSnapshot,
  previous: ServedSnapshot | undefined,
  options: BuildServedOptions,
): ServedSnapshot {
  const key = nodeCluster(source.clusterId, source.gateway);
  const types = new Map<string, ServedType>();
  for (const type of source.types) {
    if (types.has(type.typeUrl))
      throw new SnapshotLoadError(`type ${type.typeUrl} appears twice`, source.origin, 'rejected');
    types.set(type.typeUrl, buildType(type, previous?.types.get(type.typeUrl), source.origin, options));
  }
  return {
    nodeCluster: key,
    clusterId: source.clusterId,
    gateway: source.gateway,
    version: source.version,
    ...(source.contentHash ? { contentHash: source.contentHash } : {}),
    ...(source.createdAt ? { createdAt: source.createdAt } : {}),
    origin: source.origin,
    loadedAt: (options.now ?? (() => new Date()))().toISOString(),
    types,
  };
}

/** An empty type, for a snapshot that lacks one (every type in a response must still be answerable). */
export function emptyServedType(typeUrl: string, versionInfo: string, controlPlane?: string): ServedType {
  return {
    typeUrl,
    versionInfo,
    resources: new Map(),
    contentHash: hashOf([]),
    sotwHeader: sotwHeader(versionInfo, typeUrl, controlPlane),
    deltaHeader: deltaHeader(versionInfo, typeUrl, controlPlane),
  };
}

function buildType(
  type: SourceSnapshot['types'][number],
  previous: ServedType | undefined,
  origin: string,
  options: BuildServedOptions,
): ServedType {
  const reusable = new Map<string, ServedResource>();
  for (const r of previous?.resources.values() ?? []) reusable.set(r.version, r);
  const label = { type: shortType(type.typeUrl) };
  const built: ServedResource[] = [];
  for (const any of type.resources) {
    if (any.typeUrl !== type.typeUrl)
      throw new SnapshotLoadError(`a ${any.typeUrl} inside the ${type.typeUrl} response`, origin, 'rejected');
    const version = hashBytes(any.value);
    const reused = reusable.get(version);
    if (reused) {
      built.push(reused);
      continue;
    }
    const name = resourceName(any, origin);
    options.metrics.resourceEncodes.inc(label);
    built.push({
      name,
      version,
      any,
      sotwEntry: sotwResourceEntry(any),
      deltaEntry: deltaResourceEntry(name, version, any),
    });
  }
  built.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const resources = new Map<string, ServedResource>();
  for (const r of built) {
    if (resources.has(r.name))
      throw new SnapshotLoadError(
        `two ${shortType(type.typeUrl)} resources named "${r.name}"`,
        origin,
        'rejected',
      );
    resources.set(r.name, r);
  }
  options.metrics.encodes.inc(label);
  return {
    typeUrl: type.typeUrl,
    versionInfo: type.versionInfo,
    resources,
    contentHash: hashOf(built),
    sotwHeader: sotwHeader(type.versionInfo, type.typeUrl, options.controlPlane),
    deltaHeader: deltaHeader(type.versionInfo, type.typeUrl, options.controlPlane),
  };
}

/** The name clients subscribe by: `cluster_name` for endpoints, `name` for everything else. */
function resourceName(any: AnyResource, origin: string): string {
  let message: { name?: unknown; clusterName?: unknown };
  try {
    message = fromBinary(schemaForTypeUrl(any.typeUrl), any.value) as never;
  } catch (error) {
    throw new SnapshotLoadError(
      `cannot decode a ${any.typeUrl}: ${(error as Error).message}`,
      origin,
      'decode',
      {
        cause: error,
      },
    );
  }
  const name = any.typeUrl === TypeUrl.ClusterLoadAssignment ? message.clusterName : message.name;
  if (typeof name !== 'string' || name === '')
    throw new SnapshotLoadError(`a ${shortType(any.typeUrl)} resource without a name`, origin, 'rejected');
  return name;
}

function hashBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

function hashOf(resources: readonly ServedResource[]): string {
  const hash = createHash('sha256');
  for (const r of resources) hash.update(`${r.name}\0${r.version}\n`);
  return hash.digest('hex').slice(0, 16);
}
