// Loads one snapshot version through a plain object reader (a directory today, S3 later): the
// manifest named by `latest.json`, checked against the pointer's sha256, then every binary
// DiscoveryResponse checked against the manifest's sha256 and decoded. Anything off rejects the
// whole version, so a half-written or tampered version is never served.

import type { AnyResource } from '../../../shared/codec/index.ts';
import type { CodecError } from '../../../shared/errors.ts';
import {
  type GatewayRef,
  type LatestPointer,
  SNAPSHOT_TYPES,
  type SnapshotManifest,
  sha256Hex,
  versionPrefix,
} from '../../../shared/snapshot/layout.ts';
import { decodeSotwResponse } from '../ads/messages.ts';
import { SnapshotLoadError } from '../errors.ts';
import type { SourceSnapshot, SourceTypeResources } from './snapshot-source.ts';

/** Reads one object by key; undefined when it does not exist. */
export type ObjectReader = (key: string) => Promise<Uint8Array | undefined>;

export async function loadSnapshotVersion(
  read: ObjectReader,
  target: { clusterId: string; gateway: GatewayRef },
  pointer: LatestPointer,
): Promise<SourceSnapshot> {
  const prefix = versionPrefix(target.clusterId, target.gateway, pointer.version);
  const manifestKey = `${prefix}manifest.json`;
  const manifestBytes = await mustRead(read, manifestKey);
  if (sha256Hex(manifestBytes) !== pointer.sha256)
    throw new SnapshotLoadError('sha256 does not match latest.json', manifestKey, 'integrity');
  const manifest = parseManifest(manifestBytes, manifestKey);
  if (
    manifest.version !== pointer.version ||
    manifest.clusterId !== target.clusterId ||
    manifest.gateway?.namespace !== target.gateway.namespace ||
    manifest.gateway?.name !== target.gateway.name
  ) {
    throw new SnapshotLoadError(
      `manifest is for ${manifest.clusterId}/${manifest.gateway?.namespace}/${manifest.gateway?.name} ` +
        `version ${manifest.version}, not the one latest.json points at`,
      manifestKey,
      'mismatch',
    );
  }
  const types: SourceTypeResources[] = [];
  for (const type of SNAPSHOT_TYPES) {
    const name = `${type.short}.pb`;
    const key = `${prefix}${name}`;
    const entry = manifest.files.find((f) => f.name === name);
    if (!entry) throw new SnapshotLoadError(`manifest does not list ${name}`, manifestKey, 'missing');
    const body = await mustRead(read, key);
    if (body.byteLength !== entry.bytes || sha256Hex(body) !== entry.sha256)
      throw new SnapshotLoadError('sha256 does not match the manifest', key, 'integrity');
    let response: ReturnType<typeof decodeSotwResponse>;
    try {
      response = decodeSotwResponse(body);
    } catch (error) {
      throw new SnapshotLoadError((error as CodecError).message, key, 'decode', { cause: error });
    }
    if (response.typeUrl !== type.typeUrl)
      throw new SnapshotLoadError(`holds ${response.typeUrl}, expected ${type.typeUrl}`, key, 'mismatch');
    if (response.resources.length !== entry.resources)
      throw new SnapshotLoadError(
        `holds ${response.resources.length} resources, the manifest says ${entry.resources}`,
        key,
        'mismatch',
      );
    const resources: AnyResource[] = response.resources;
    types.push({
      typeUrl: type.typeUrl,
      versionInfo: response.versionInfo || String(pointer.version),
      resources,
    });
  }
  return {
    clusterId: target.clusterId,
    gateway: target.gateway,
    version: pointer.version,
    contentHash: manifest.contentHash,
    createdAt: manifest.createdAt,
    origin: manifestKey,
    types,
  };
}

async function mustRead(read: ObjectReader, key: string): Promise<Uint8Array> {
  const body = await read(key);
  if (!body) throw new SnapshotLoadError('does not exist', key, 'missing');
  return body;
}

function parseManifest(bytes: Uint8Array, key: string): SnapshotManifest {
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as SnapshotManifest;
    if (typeof value.version !== 'number' || !Array.isArray(value.files)) throw new Error('not a manifest');
    return value;
  } catch (error) {
    throw new SnapshotLoadError(`not a valid manifest: ${(error as Error).message}`, key, 'decode', {
      cause: error,
    });
  }
}
