// Content hashes of what the IR table stores. An IR item's hash leaves out its resourceVersion, so
// an event that bumps only the resourceVersion (an annotation or status change in Kubernetes)
// stores the same hash and the snapshot builder can tell that nothing it reads has changed.

import type { AnyIrItem, ResourceStatus } from '../ir/types.ts';
import { sha256Hex, stableStringify } from '../snapshot/layout.ts';
import type { Json } from '../xds/types.ts';

export function irContentHash(item: AnyIrItem): string {
  const { resourceVersion: _ignored, ...content } = item;
  return sha256Hex(stableStringify(content as unknown as Json));
}

export function statusHash(status: ResourceStatus): string {
  return sha256Hex(stableStringify(status as unknown as Json));
}
