// Publishes one Gateway snapshot: an immutable version folder written with create-only puts, then
// `latest.json` moved forward by compare-and-swap. Unchanged content publishes nothing. Concurrent
// publishers are safe: the loser re-reads the pointer and either finds its content already there
// or takes the next version.

import { FleetplaneError } from '../errors.ts';
import type { SnapshotStore } from '../ports/snapshot-store.ts';
import type { XdsResources } from '../xds/types.ts';
import { contentHash, type GatewayRef, type LatestPointer, latestKey, renderVersion } from './layout.ts';

export type PublishResult =
  | { status: 'published'; version: number; latestKey: string; manifestKey: string; latest: LatestPointer }
  | { status: 'unchanged'; version: number; latestKey: string };

export class PublishConflictError extends FleetplaneError {}

const MAX_ATTEMPTS = 8;

export async function publishSnapshot(
  store: SnapshotStore,
  target: { clusterId: string; gateway: GatewayRef },
  resources: XdsResources,
  now: () => Date = () => new Date(),
): Promise<PublishResult> {
  const pointerKey = latestKey(target.clusterId, target.gateway);
  const hash = contentHash(resources);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await store.get(pointerKey);
    const latest = current ? parseLatest(current.body, pointerKey) : undefined;
    if (latest && latest.contentHash === hash) {
      return { status: 'unchanged', version: latest.version, latestKey: pointerKey };
    }
    const version = (latest?.version ?? 0) + 1 + attempt;
    const rendered = renderVersion(resources, { ...target, version, createdAt: now().toISOString() });
    // The manifest goes last inside the folder: a folder with a manifest is complete.
    let taken = false;
    for (const file of [...rendered.files, rendered.manifestFile]) {
      if ((await store.putIfAbsent(file.key, file.body, file.contentType)) === 'exists') {
        taken = true;
        break;
      }
    }
    if (taken) continue; // another publisher owns this version number
    const body = new TextEncoder().encode(`${JSON.stringify(rendered.latest, null, 2)}\n`);
    if (await store.compareAndSwap(pointerKey, body, 'application/json', current?.etag)) {
      return {
        status: 'published',
        version,
        latestKey: pointerKey,
        manifestKey: rendered.manifestFile.key,
        latest: rendered.latest,
      };
    }
  }
  throw new PublishConflictError(`${pointerKey}: gave up after ${MAX_ATTEMPTS} compare-and-swap conflicts`);
}

export function parseLatest(body: Uint8Array, key: string): LatestPointer {
  try {
    const value = JSON.parse(new TextDecoder().decode(body)) as LatestPointer;
    if (typeof value.version !== 'number' || typeof value.contentHash !== 'string')
      throw new Error('bad shape');
    return value;
  } catch (err) {
    throw new FleetplaneError(`${key}: not a valid latest pointer`, { cause: err });
  }
}
