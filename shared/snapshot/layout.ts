// The snapshot layout shared by S3, `translate --to snapshot`, the relay and the agent:
//
//   clusters/<clusterId>/gateways/<ns>/<name>/versions/<0000000001>/{cds,eds,lds,rds,sds}.{json,pb}
//                                                                  /manifest.json
//   clusters/<clusterId>/gateways/<ns>/<name>/latest.json
//
// Each .json/.pb file is one DiscoveryResponse (proto3 JSON / binary) for one resource type.
// Files are listed in make-before-break order: CDS, EDS, LDS, RDS, SDS.

import { createHash } from 'node:crypto';
import { discoveryResponseJson, encodeDiscoveryResponse } from '../codec/index.ts';
import type { ResourceId } from '../ir/types.ts';
import { type Json, type JsonObject, TypeUrl, type XdsResources, type XdsTypeUrl } from '../xds/types.ts';

export const SNAPSHOT_SCHEMA_VERSION = 1 as const;
export const VERSION_DIGITS = 10;

export interface SnapshotTypeFile {
  /** Short name used in file names: cds, eds, lds, rds, sds. */
  short: 'cds' | 'eds' | 'lds' | 'rds' | 'sds';
  field: keyof XdsResources;
  typeUrl: XdsTypeUrl;
}

export const SNAPSHOT_TYPES: readonly SnapshotTypeFile[] = [
  { short: 'cds', field: 'clusters', typeUrl: TypeUrl.Cluster },
  { short: 'eds', field: 'endpoints', typeUrl: TypeUrl.ClusterLoadAssignment },
  { short: 'lds', field: 'listeners', typeUrl: TypeUrl.Listener },
  { short: 'rds', field: 'routes', typeUrl: TypeUrl.RouteConfiguration },
  { short: 'sds', field: 'secrets', typeUrl: TypeUrl.Secret },
];

export interface GatewayRef {
  namespace: string;
  name: string;
}

export function gatewayPrefix(clusterId: string, gateway: GatewayRef): string {
  return `clusters/${clusterId}/gateways/${gateway.namespace}/${gateway.name}/`;
}

export function latestKey(clusterId: string, gateway: GatewayRef): string {
  return `${gatewayPrefix(clusterId, gateway)}latest.json`;
}

export function versionPrefix(clusterId: string, gateway: GatewayRef, version: number): string {
  return `${gatewayPrefix(clusterId, gateway)}versions/${String(version).padStart(VERSION_DIGITS, '0')}/`;
}

/** `node.cluster` of the proxies that serve this Gateway. */
export function nodeCluster(clusterId: string, gateway: GatewayRef): string {
  return `${clusterId}/${gateway.namespace}/${gateway.name}`;
}

/**
 * A Kubernetes object name (RFC 1123 subdomain, which covers cluster ids and namespaces, both DNS
 * labels): what may stand as a path segment of the layout. No `/`, no `.` or `..` segment.
 */
export const KUBERNETES_NAME =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function parseNodeCluster(value: string): { clusterId: string; gateway: GatewayRef } | undefined {
  const parts = value.split('/');
  if (parts.length !== 3 || parts.some((p) => !KUBERNETES_NAME.test(p))) return undefined;
  const [clusterId, namespace, name] = parts as [string, string, string];
  return { clusterId, gateway: { namespace, name } };
}

export interface ManifestFile {
  /** File name inside the version folder, e.g. `cds.pb`. */
  name: string;
  typeUrl: XdsTypeUrl;
  format: 'json' | 'binary';
  sha256: string;
  bytes: number;
  resources: number;
}

export interface SnapshotManifest {
  schemaVersion: typeof SNAPSHOT_SCHEMA_VERSION;
  clusterId: string;
  gateway: GatewayRef;
  version: number;
  /** Hash of the resources alone (not of timestamps): equal hashes mean nothing changed. */
  contentHash: string;
  createdAt: string;
  files: ManifestFile[];
}

/** `latest.json`: replaced by compare-and-swap only, so it never goes backwards. */
export interface LatestPointer {
  version: number;
  /** sha256 of the manifest.json bytes of that version. */
  sha256: string;
  createdAt: string;
  contentHash: string;
  /** Key of manifest.json, then the DiscoveryResponse files in make-before-break order. */
  objects: string[];
}

export interface RenderedFile {
  key: string;
  body: Uint8Array;
  contentType: string;
}

export interface RenderedVersion {
  files: RenderedFile[];
  manifest: SnapshotManifest;
  manifestFile: RenderedFile;
  latest: LatestPointer;
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** JSON with object keys sorted, so equal content always hashes equally. */
export function stableStringify(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify((value as JsonObject)[k] as Json)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function contentHash(resources: XdsResources): string {
  return sha256Hex(stableStringify(resources as unknown as Json));
}

/** Renders every file of one snapshot version. Pure apart from hashing. */
export function renderVersion(
  resources: XdsResources,
  meta: { clusterId: string; gateway: GatewayRef; version: number; createdAt: string },
): RenderedVersion {
  const prefix = versionPrefix(meta.clusterId, meta.gateway, meta.version);
  const versionInfo = String(meta.version);
  const files: RenderedFile[] = [];
  const manifestFiles: ManifestFile[] = [];
  for (const type of SNAPSHOT_TYPES) {
    const list = resources[type.field];
    const response = { versionInfo, typeUrl: type.typeUrl, resources: list };
    const json = new TextEncoder().encode(`${JSON.stringify(discoveryResponseJson(response), null, 2)}\n`);
    const binary = encodeDiscoveryResponse(response);
    for (const [name, body, format, contentType] of [
      [`${type.short}.pb`, binary, 'binary', 'application/x-protobuf'],
      [`${type.short}.json`, json, 'json', 'application/json'],
    ] as const) {
      files.push({ key: `${prefix}${name}`, body, contentType });
      manifestFiles.push({
        name,
        typeUrl: type.typeUrl,
        format,
        sha256: sha256Hex(body),
        bytes: body.byteLength,
        resources: list.length,
      });
    }
  }
  const manifest: SnapshotManifest = {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    clusterId: meta.clusterId,
    gateway: meta.gateway,
    version: meta.version,
    contentHash: contentHash(resources),
    createdAt: meta.createdAt,
    files: manifestFiles,
  };
  const manifestBody = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  const manifestFile = { key: `${prefix}manifest.json`, body: manifestBody, contentType: 'application/json' };
  const latest: LatestPointer = {
    version: meta.version,
    sha256: sha256Hex(manifestBody),
    createdAt: meta.createdAt,
    contentHash: manifest.contentHash,
    objects: [manifestFile.key, ...files.map((f) => f.key)],
  };
  return { files, manifest, manifestFile, latest };
}

export function gatewayRefOf(id: ResourceId): GatewayRef {
  return { namespace: id.namespace, name: id.name };
}
