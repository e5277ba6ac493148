// The relay's view of one verified snapshot version: the shared loader
// (shared/snapshot/verified-version.ts, the same checks the agent applies) with the relay's
// decoder, its packed resources handed to the snapshot cache as they are, and verification
// failures reported as SnapshotLoadErrors so status and metrics name their reason.

import type { SnapshotReader } from '../../../shared/ports/snapshot-reader.ts';
import type { GatewayRef, LatestPointer } from '../../../shared/snapshot/layout.ts';
import { loadVerifiedVersion, SnapshotVerifyError } from '../../../shared/snapshot/verified-version.ts';
import { decodeSotwResponse } from '../ads/messages.ts';
import { SnapshotLoadError } from '../errors.ts';
import type { SourceSnapshot } from './snapshot-source.ts';

export async function loadSnapshotVersion(
  reader: SnapshotReader,
  target: { clusterId: string; gateway: GatewayRef },
  pointer: LatestPointer,
): Promise<SourceSnapshot> {
  let version: Awaited<ReturnType<typeof loadVerifiedVersion<ReturnType<typeof decodeSotwResponse>>>>;
  try {
    version = await loadVerifiedVersion(reader, target, pointer, {
      decode: (body) => decodeSotwResponse(body),
    });
  } catch (error) {
    if (error instanceof SnapshotVerifyError)
      throw new SnapshotLoadError(error.detail, error.key, error.reason, { cause: error });
    throw error;
  }
  return {
    clusterId: target.clusterId,
    gateway: target.gateway,
    version: pointer.version,
    contentHash: version.manifest.contentHash,
    createdAt: version.manifest.createdAt,
    origin: version.manifestKey,
    types: version.files.map((f) => ({
      typeUrl: f.type.typeUrl,
      versionInfo: f.decoded.versionInfo || String(pointer.version),
      resources: f.decoded.resources,
    })),
  };
}
