// Reads one snapshot version and proves it whole before anyone uses it: the manifest must hash to
// the sha256 in `latest.json` and name the same Gateway and version; every DiscoveryResponse file
// must have the manifest's size and sha256, decode, carry the expected type URL and resource count.
// Anything off rejects the whole version, so a half-written, truncated or tampered version is never
// served. This is the one loader of snapshot versions: the agent, the relay's directory source and
// its S3 source all read through it (over the SnapshotReader port), each passing its own decoder
// so it keeps its own representation of the resources.

import { FleetplaneError } from '../errors.ts';
import type { SnapshotReader } from '../ports/snapshot-reader.ts';
import {
  type GatewayRef,
  type LatestPointer,
  type ManifestFile,
  SNAPSHOT_TYPES,
  type SnapshotManifest,
  type SnapshotTypeFile,
  sha256Hex,
  versionPrefix,
} from './layout.ts';

/** Reads one object by key; undefined when it does not exist. */
export type ObjectReader = (key: string) => Promise<Uint8Array | undefined>;

export type VerifyFailure = 'missing' | 'integrity' | 'decode' | 'mismatch';

/** A snapshot version that failed verification; `key` is the object at fault. */
export class SnapshotVerifyError extends FleetplaneError {
  constructor(
    /** What is wrong, without the key. */
    readonly detail: string,
    readonly key: string,
    readonly reason: VerifyFailure,
    options?: ErrorOptions,
  ) {
    super(`${key}: ${detail}`, options);
  }
}

/** The plain object reader the verifier needs, over a SnapshotReader (unconditional reads). */
export function objectReaderOf(reader: SnapshotReader): ObjectReader {
  return async (key) => {
    const result = await reader.getIfChanged(key);
    return result.kind === 'found' ? result.body : undefined;
  };
}

/** `readVerifiedVersion` through a SnapshotReader: what every consumer of the layout calls. */
export function loadVerifiedVersion<T extends DecodedResponse>(
  reader: SnapshotReader,
  target: { clusterId: string; gateway: GatewayRef },
  pointer: LatestPointer,
  options: ReadVerifiedOptions<T>,
): Promise<VerifiedVersion<T>> {
  return readVerifiedVersion(objectReaderOf(reader), target, pointer, options);
}

/** What a decoder must expose for the type and count checks. */
export interface DecodedResponse {
  typeUrl: string;
  resources: readonly unknown[];
}

export interface VerifiedTypeFile<T extends DecodedResponse> {
  type: SnapshotTypeFile;
  key: string;
  entry: ManifestFile;
  /** The verified bytes, as stored. */
  body: Uint8Array;
  decoded: T;
}

export interface VerifiedVersion<T extends DecodedResponse> {
  manifest: SnapshotManifest;
  manifestKey: string;
  /** One per type, in make-before-break order (CDS, EDS, LDS, RDS, SDS). */
  files: VerifiedTypeFile<T>[];
}

export interface ReadVerifiedOptions<T extends DecodedResponse> {
  /** Decodes one binary DiscoveryResponse; throwing rejects the version as `decode`. */
  decode: (body: Uint8Array, type: SnapshotTypeFile) => T;
  /** Which form of each type to read. Default `binary` (`<type>.pb`). */
  format?: 'binary' | 'json';
}

export async function readVerifiedVersion<T extends DecodedResponse>(
  read: ObjectReader,
  target: { clusterId: string; gateway: GatewayRef },
  pointer: LatestPointer,
  options: ReadVerifiedOptions<T>,
): Promise<VerifiedVersion<T>> {
  const prefix = versionPrefix(target.clusterId, target.gateway, pointer.version);
  const manifestKey = `${prefix}manifest.json`;
  const manifestBytes = await mustRead(read, manifestKey);
  if (sha256Hex(manifestBytes) !== pointer.sha256)
    throw new SnapshotVerifyError('sha256 does not match latest.json', manifestKey, 'integrity');
  const manifest = parseManifest(manifestBytes, manifestKey);
  if (
    manifest.version !== pointer.version ||
    manifest.clusterId !== target.clusterId ||
    manifest.gateway?.namespace !== target.gateway.namespace ||
    manifest.gateway?.name !== target.gateway.name
  ) {
    throw new SnapshotVerifyError(
      `manifest is for ${manifest.clusterId}/${manifest.gateway?.namespace}/${manifest.gateway?.name} ` +
        `version ${manifest.version}, not the one latest.json points at`,
      manifestKey,
      'mismatch',
    );
  }
  const extension = options.format === 'json' ? 'json' : 'pb';
  const files: VerifiedTypeFile<T>[] = [];
  for (const type of SNAPSHOT_TYPES) {
    const name = `${type.short}.${extension}`;
    const key = `${prefix}${name}`;
    const entry = manifest.files.find((f) => f.name === name);
    if (!entry) throw new SnapshotVerifyError(`manifest does not list ${name}`, manifestKey, 'missing');
    const body = await mustRead(read, key);
    if (body.byteLength !== entry.bytes)
      throw new SnapshotVerifyError(
        `${body.byteLength} bytes, the manifest says ${entry.bytes} (partial download?)`,
        key,
        'integrity',
      );
    if (sha256Hex(body) !== entry.sha256)
      throw new SnapshotVerifyError('sha256 does not match the manifest', key, 'integrity');
    let decoded: T;
    try {
      decoded = options.decode(body, type);
    } catch (error) {
      throw new SnapshotVerifyError((error as Error).message, key, 'decode', { cause: error });
    }
    if (decoded.typeUrl !== type.typeUrl)
      throw new SnapshotVerifyError(`holds ${decoded.typeUrl}, expected ${type.typeUrl}`, key, 'mismatch');
    if (decoded.resources.length !== entry.resources)
      throw new SnapshotVerifyError(
        `holds ${decoded.resources.length} resources, the manifest says ${entry.resources}`,
        key,
        'mismatch',
      );
    files.push({ type, key, entry, body, decoded });
  }
  return { manifest, manifestKey, files };
}

async function mustRead(read: ObjectReader, key: string): Promise<Uint8Array> {
  const body = await read(key);
  if (!body) throw new SnapshotVerifyError('does not exist', key, 'missing');
  return body;
}

function parseManifest(bytes: Uint8Array, key: string): SnapshotManifest {
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as SnapshotManifest;
    if (typeof value.version !== 'number' || !Array.isArray(value.files)) throw new Error('not a manifest');
    return value;
  } catch (error) {
    throw new SnapshotVerifyError(`not a valid manifest: ${(error as Error).message}`, key, 'decode', {
      cause: error,
    });
  }
}
