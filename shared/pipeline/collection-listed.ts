// List reconciliation, both ends. The producer side turns one successful list of a kind (in one
// namespace scope) into a Collection Listed event, claim-checking the names when they are large.
// The consumer side (the translate function) tombstones every live IR item of that kind and scope
// the list does not name, each through applyChangeEvent as a DELETE at the list's resourceVersion:
// the same conditional write a watch DELETE makes, so an item written at a newer resourceVersion
// (created or changed after the list) loses nothing, and a repeated event writes nothing.

import {
  CHANGE_EVENT_SCHEMA_VERSION,
  CHANGE_EVENT_SOURCE,
  CLAIM_CHECK_THRESHOLD_BYTES,
} from '../events/change-event.ts';
import {
  COLLECTION_LISTED_DETAIL_TYPE,
  type CollectionListedDetail,
  CollectionListedDetailSchema,
  type ListedName,
  ListedNamesSchema,
} from '../events/collection-listed.ts';
import type { ResourceId } from '../ir/types.ts';
import type { ClaimCheck } from '../ports/claim-check.ts';
import type { OutboundEvent } from '../ports/event-publisher.ts';
import type { IrWriteOutcome } from '../ports/ir-store.ts';
import { fieldPath } from '../translate/common.ts';
import { SUPPORTED_KINDS } from '../translate/index.ts';
import { type ApplyChangeEventDeps, applyChangeEvent, ChangeEventError } from './apply-change-event.ts';
import { offloadLargeJson, readClaimChecked } from './claim-check.ts';
import { ObjectMappingError, ObjectTooLargeError } from './object-to-change-event.ts';

export interface CollectionListing {
  clusterId: string;
  group: string;
  version: string;
  kind: string;
  /** The namespace scope of the list; absent = every namespace. */
  namespace?: string;
  resourceVersion: string;
  observedAt: Date | string;
  names: readonly ListedName[];
}

export interface CollectionListedDeps {
  /** Needed when the names exceed the threshold; without it the event fails with ObjectTooLargeError. */
  claimCheck?: ClaimCheck;
  /** Default: CLAIM_CHECK_THRESHOLD_BYTES. */
  claimCheckThresholdBytes?: number;
}

/** The producer's mapping: one list → the validated Collection Listed detail. */
export async function collectionListedDetail(
  listing: CollectionListing,
  deps: CollectionListedDeps = {},
): Promise<CollectionListedDetail> {
  const where = describeScope(listing);
  const names = listing.names.map((n) =>
    n.namespace ? { namespace: n.namespace, name: n.name } : { name: n.name },
  );
  const detail: CollectionListedDetail = {
    schemaVersion: CHANGE_EVENT_SCHEMA_VERSION,
    clusterId: listing.clusterId,
    group: listing.group,
    version: listing.version,
    kind: listing.kind,
    resourceVersion: listing.resourceVersion,
    observedAt: new Date(listing.observedAt).toISOString(),
  };
  if (listing.namespace) detail.namespace = listing.namespace;
  const threshold = deps.claimCheckThresholdBytes ?? CLAIM_CHECK_THRESHOLD_BYTES;
  if (deps.claimCheck) {
    const name = [
      listing.clusterId,
      listing.group || 'core',
      listing.kind,
      listing.namespace || '_all',
      '_listed',
    ].join('/');
    const ref = await offloadLargeJson(names, deps.claimCheck, name, threshold);
    if (ref) detail.namesRef = ref;
    else detail.names = names;
  } else {
    const size = new TextEncoder().encode(JSON.stringify(names)).byteLength;
    if (size > threshold) {
      throw new ObjectTooLargeError(
        `${where}: the names of ${names.length} listed objects are ${size} bytes, above the claim-check threshold of ${threshold}; configure a claim-check bucket`,
      );
    }
    detail.names = names;
  }
  const parsed = CollectionListedDetailSchema.safeParse(detail);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${fieldPath(i.path, 'detail')}: ${i.message}`);
    throw new ObjectMappingError(`${where}: not a valid Collection Listed event: ${issues.join('; ')}`);
  }
  return parsed.data;
}

export function collectionListedEvent(detail: CollectionListedDetail): OutboundEvent {
  return { source: CHANGE_EVENT_SOURCE, detailType: COLLECTION_LISTED_DETAIL_TYPE, detail };
}

export interface ReconcileResult {
  /** `ignored`: a kind we do not translate, so nothing was read or written. */
  outcome: 'reconciled' | 'ignored';
  /** Live items of the kind and scope that the list names. */
  kept: number;
  /** Items the list does not name, by the outcome of their DELETE (`stale`: written after the list). */
  deleted: Array<{ id: ResourceId; outcome: IrWriteOutcome }>;
}

/** How many tombstones are written at once. */
const DELETE_CONCURRENCY = 8;

/** The consumer side: tombstones the live IR items of the listed kind and scope the list does not name. */
export async function reconcileCollection(
  detail: CollectionListedDetail,
  deps: ApplyChangeEventDeps,
): Promise<ReconcileResult> {
  if (!SUPPORTED_KINDS.includes(`${detail.group}/${detail.kind}`)) {
    return { outcome: 'ignored', kept: 0, deleted: [] };
  }
  const names = await listedNames(detail, deps.claimCheck);
  const listed = new Set(names.map((n) => `${n.namespace ?? ''}/${n.name}`));
  const live = (await deps.irStore.listCluster(detail.clusterId))
    .map((item) => item.id)
    .filter(
      (id) =>
        id.group === detail.group &&
        id.kind === detail.kind &&
        (detail.namespace === undefined || id.namespace === detail.namespace),
    );
  const gone = live.filter((id) => !listed.has(`${id.namespace}/${id.name}`));
  const deleted: ReconcileResult['deleted'] = [];
  for (let i = 0; i < gone.length; i += DELETE_CONCURRENCY) {
    const results = await Promise.all(
      gone.slice(i, i + DELETE_CONCURRENCY).map((id) =>
        applyChangeEvent(
          {
            schemaVersion: CHANGE_EVENT_SCHEMA_VERSION,
            clusterId: detail.clusterId,
            group: id.group,
            version: detail.version,
            kind: id.kind,
            namespace: id.namespace,
            name: id.name,
            resourceVersion: detail.resourceVersion,
            change: 'DELETE',
            origin: 'resync',
            observedAt: detail.observedAt,
          },
          deps,
        ),
      ),
    );
    for (const r of results) deleted.push({ id: r.id, outcome: r.outcome as IrWriteOutcome });
  }
  return { outcome: 'reconciled', kept: live.length - gone.length, deleted };
}

/** The names, read from the claim check when they travelled by reference, and checked again. */
async function listedNames(
  detail: CollectionListedDetail,
  claimCheck: ClaimCheck | undefined,
): Promise<ListedName[]> {
  if (detail.names) return detail.names;
  if (!detail.namesRef) throw new ChangeEventError(`${describeScope(detail)}: neither names nor namesRef`);
  const value = await readClaimChecked(detail.namesRef, claimCheck);
  const parsed = CollectionListedDetailSchema.safeParse({ ...detail, namesRef: undefined, names: value });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${fieldPath(i.path, 'namesRef')}: ${i.message}`);
    throw new ChangeEventError(
      `${describeScope(detail)}: claim-checked names are invalid: ${issues.join('; ')}`,
    );
  }
  return ListedNamesSchema.parse(parsed.data.names);
}

function describeScope(d: { group: string; kind: string; namespace?: string; clusterId: string }): string {
  return `${d.clusterId} ${d.group || 'core'}/${d.kind} list${d.namespace ? ` in namespace ${d.namespace}` : ''}`;
}
