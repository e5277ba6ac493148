// The IR table's item layout, shared by DynamoDbIrStore (which writes it) and the snapshot
// builder's stream handler (which reads stream records of it). Keys come from
// shared/pipeline/definition.ts; three item types live in the table:
//
//   pk CLUSTER#<id>          sk <Kind>[.<group>]#<ns>/<name>   itemType ir        one per resource
//   pk CLUSTER#<id>          sk SNAPSHOT#<ns>/<name>           itemType snapshot  bookkeeping per Gateway
//   pk CLUSTER#<id>          sk NACK#<ns>/<name>#<typeUrl>     itemType nack      a proxy's latest NACK per Gateway and type
//   pk CLUSTER#<id>#STATUS   sk <Kind>[.<group>]#<ns>/<name>   itemType status    derived status per resource
//
// Statuses sit in their own partition so that reading a cluster's IR does not also read (and pay
// for) its statuses, and so that writing them never looks like an IR change.

import { PROXY_REJECTION_SK_PREFIX } from '../pipeline/definition.ts';

export const IR_ATTR = {
  itemType: 'itemType',
  kind: 'kind',
  group: 'group',
  namespace: 'namespace',
  name: 'name',
  ir: 'ir',
  sourceResourceVersion: 'sourceResourceVersion',
  generation: 'generation',
  contentHash: 'contentHash',
  conditions: 'conditions',
  deleted: 'deleted',
  observedAt: 'observedAt',
  updatedAt: 'updatedAt',
  version: 'version',
  latestKey: 'latestKey',
  publishedAt: 'publishedAt',
  status: 'status',
  statusHash: 'statusHash',
  rejection: 'rejection',
} as const;

export type IrTableItemType = 'ir' | 'snapshot' | 'status' | 'nack';

const CLUSTER_PREFIX = 'CLUSTER#';
const STATUS_SUFFIX = '#STATUS';
export const SNAPSHOT_SK_PREFIX = 'SNAPSHOT#';

/** The cluster and item type a key belongs to; undefined for keys this layout never writes. */
export function classifyKey(
  pk: string,
  sk: string,
): { clusterId: string; itemType: IrTableItemType } | undefined {
  if (!pk.startsWith(CLUSTER_PREFIX)) return undefined;
  const rest = pk.slice(CLUSTER_PREFIX.length);
  if (rest.endsWith(STATUS_SUFFIX)) {
    const clusterId = rest.slice(0, -STATUS_SUFFIX.length);
    return clusterId ? { clusterId, itemType: 'status' } : undefined;
  }
  if (!rest) return undefined;
  if (sk.startsWith(SNAPSHOT_SK_PREFIX)) return { clusterId: rest, itemType: 'snapshot' };
  if (sk.startsWith(PROXY_REJECTION_SK_PREFIX)) return { clusterId: rest, itemType: 'nack' };
  return { clusterId: rest, itemType: 'ir' };
}

/** The part of a DynamoDB attribute value the layout reads (stream images and SDK items alike). */
export interface StreamAttributeValue {
  S?: string;
  N?: string;
  BOOL?: boolean;
}

type Image = Record<string, StreamAttributeValue>;

/** Structurally both a Lambda `DynamoDBRecord` and a DynamoDB Streams `GetRecords` record. */
export interface IrTableStreamRecord {
  eventName?: string;
  dynamodb?: {
    Keys?: Image;
    NewImage?: Image;
    OldImage?: Image;
    SequenceNumber?: string;
  };
}

export interface IrTableChange {
  clusterId: string;
  itemType: IrTableItemType;
  sortKey: string;
  /**
   * Whether the record can change a snapshot: an IR item whose live content changed. False for
   * bookkeeping and status writes, for a resourceVersion-only update (same content hash), for a
   * duplicate tombstone, and for the TTL removal of a tombstone.
   */
  affectsSnapshots: boolean;
  /**
   * Whether the record can change a status without changing a snapshot: a NACK recorded or
   * replaced (not its TTL removal), which the next build turns into a Gateway condition.
   */
  affectsStatuses: boolean;
}

export function readIrTableChange(record: IrTableStreamRecord): IrTableChange | undefined {
  const keys = record.dynamodb?.Keys;
  const pk = keys?.pk?.S;
  const sk = keys?.sk?.S;
  if (pk === undefined || sk === undefined) return undefined;
  const where = classifyKey(pk, sk);
  if (!where) return undefined;
  const change = { clusterId: where.clusterId, itemType: where.itemType, sortKey: sk };
  if (where.itemType === 'nack') {
    return { ...change, affectsSnapshots: false, affectsStatuses: record.eventName !== 'REMOVE' };
  }
  if (where.itemType !== 'ir') return { ...change, affectsSnapshots: false, affectsStatuses: false };

  const { NewImage: newImage, OldImage: oldImage } = record.dynamodb ?? {};
  const oldExpected = record.eventName !== 'INSERT';
  const newExpected = record.eventName !== 'REMOVE';
  // A stream without old and new images (KEYS_ONLY, NEW_IMAGE) cannot show what changed: rebuild.
  if ((oldExpected && !oldImage) || (newExpected && !newImage)) {
    return { ...change, affectsSnapshots: true, affectsStatuses: true };
  }
  const changed = liveHash(oldImage) !== liveHash(newImage);
  return { ...change, affectsSnapshots: changed, affectsStatuses: changed };
}

/** The content hash of a live item; undefined for a tombstone or no item, which look alike to Envoy. */
function liveHash(image: Image | undefined): string | undefined {
  if (!image || image[IR_ATTR.deleted]?.BOOL === true) return undefined;
  return image[IR_ATTR.contentHash]?.S ?? '';
}

/**
 * Lambda event-source-mapping filter patterns (any one matches) that let only IR item records and
 * recorded NACKs invoke the snapshot builder, so its own bookkeeping and status writes never do.
 * The handler applies the same rule itself (readIrTableChange), so the filter is a saving, not a
 * requirement.
 */
export const IR_STREAM_FILTER_PATTERNS: ReadonlyArray<Record<string, unknown>> = [
  { dynamodb: { NewImage: { [IR_ATTR.itemType]: { S: ['ir', 'nack'] } } } },
  { dynamodb: { OldImage: { [IR_ATTR.itemType]: { S: ['ir'] } } } },
];
