// IrStore on DynamoDB. Every IR write is a conditional PutItem: it succeeds only when the item is
// new or older than the event (`attribute_not_exists(pk) OR sourceResourceVersion < :rv`), so
// duplicates and out-of-order events are dropped as `stale`, and a delete leaves a tombstone under
// the same rule so that a late upsert cannot bring the resource back. resourceVersion is stored as
// a DynamoDB number from its decimal string, so it is compared exactly at any length. It also keeps
// the proxies' NACKs (RejectionStore), one per Gateway and xDS type, newest version wins.

import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { FleetplaneError } from '../errors.ts';
import type { AnyIrItem, ResourceId, ResourceStatus } from '../ir/types.ts';
import { irContentHash, statusHash } from '../pipeline/content-hash.ts';
import {
  IR_TABLE,
  irPartitionKey,
  irSortKey,
  irStatusPartitionKey,
  PROXY_REJECTION_SK_PREFIX,
  proxyRejectionSortKey,
  snapshotSortKey,
} from '../pipeline/definition.ts';
import type { ProxyRejection, RejectionStore } from '../pipeline/proxy-rejections.ts';
import type { IrSource, IrStore, IrWriteOutcome, SnapshotState } from '../ports/ir-store.ts';
import type { GatewayRef } from '../snapshot/layout.ts';
import { createDynamoDbClient } from './clients.ts';
import { IR_ATTR, SNAPSHOT_SK_PREFIX } from './ir-table-layout.ts';

export interface DynamoDbIrStoreOptions {
  tableName: string;
  /** Your own client; one is built from `clientConfig` otherwise. */
  client?: DynamoDBClient;
  clientConfig?: DynamoDBClientConfig;
  /** How long tombstones live. Default: IR_TABLE.tombstoneTtlSeconds (7 days). */
  tombstoneTtlSeconds?: number;
  now?: () => Date;
}

export class IrStoreError extends FleetplaneError {}

const PK = IR_TABLE.partitionKey;
const SK = IR_TABLE.sortKey;
const BATCH_WRITE_MAX = 25;
const BATCH_WRITE_ATTEMPTS = 8;

/** Order-safe write: new, or strictly older than the event. */
const NEWER_CONDITION = 'attribute_not_exists(#pk) OR #rv < :rv';
/**
 * A delete also wins a tie with a live item: some producers (audit logs) can only give the
 * resourceVersion the object had before it was deleted. A second tombstone at the same
 * resourceVersion is still stale, so duplicate deletes write nothing.
 */
const DELETE_CONDITION = `${NEWER_CONDITION} OR (#rv = :rv AND #deleted = :false)`;

export class DynamoDbIrStore implements IrStore, RejectionStore {
  readonly tableName: string;
  readonly #client: DynamoDBClient;
  readonly #tombstoneTtlSeconds: number;
  readonly #now: () => Date;

  constructor(options: DynamoDbIrStoreOptions) {
    this.tableName = options.tableName;
    this.#client = options.client ?? createDynamoDbClient(options.clientConfig);
    this.#tombstoneTtlSeconds = options.tombstoneTtlSeconds ?? IR_TABLE.tombstoneTtlSeconds;
    this.#now = options.now ?? (() => new Date());
  }

  async putItem(clusterId: string, item: AnyIrItem, source: IrSource): Promise<IrWriteOutcome> {
    const record: Record<string, AttributeValue> = {
      ...this.#resourceAttributes(clusterId, item.id, source),
      [IR_ATTR.ir]: { S: JSON.stringify(item) },
      [IR_ATTR.contentHash]: { S: irContentHash(item) },
      [IR_ATTR.conditions]: { S: JSON.stringify(item.conditions) },
      [IR_ATTR.deleted]: { BOOL: false },
    };
    return this.#conditionalPut(record, NEWER_CONDITION, source.resourceVersion, false);
  }

  async deleteItem(clusterId: string, id: ResourceId, source: IrSource): Promise<IrWriteOutcome> {
    const expiresAt = Math.floor(this.#now().getTime() / 1000) + this.#tombstoneTtlSeconds;
    const record: Record<string, AttributeValue> = {
      ...this.#resourceAttributes(clusterId, id, source),
      [IR_ATTR.deleted]: { BOOL: true },
      [IR_TABLE.ttlAttribute]: { N: String(expiresAt) },
    };
    return this.#conditionalPut(record, DELETE_CONDITION, source.resourceVersion, true);
  }

  async listCluster(clusterId: string): Promise<AnyIrItem[]> {
    const items = await this.#query({
      KeyConditionExpression: '#pk = :pk',
      FilterExpression: '#type = :ir AND #deleted = :false',
      ProjectionExpression: '#sk, #ir',
      ExpressionAttributeNames: {
        '#pk': PK,
        '#sk': SK,
        '#type': IR_ATTR.itemType,
        '#deleted': IR_ATTR.deleted,
        '#ir': IR_ATTR.ir,
      },
      ExpressionAttributeValues: {
        ':pk': { S: irPartitionKey(clusterId) },
        ':ir': { S: 'ir' },
        ':false': { BOOL: false },
      },
    });
    return items.map((raw) => parseJson<AnyIrItem>(raw[IR_ATTR.ir]?.S, `${clusterId} ${raw[SK]?.S}`));
  }

  async getSnapshotState(clusterId: string, gateway: GatewayRef): Promise<SnapshotState | undefined> {
    const res = await this.#client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { [PK]: { S: irPartitionKey(clusterId) }, [SK]: { S: snapshotSortKey(gateway) } },
        ConsistentRead: true,
      }),
    );
    return res.Item ? toSnapshotState(res.Item) : undefined;
  }

  async listSnapshotStates(clusterId: string): Promise<SnapshotState[]> {
    const items = await this.#query({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: {
        ':pk': { S: irPartitionKey(clusterId) },
        ':prefix': { S: SNAPSHOT_SK_PREFIX },
      },
    });
    return items.map(toSnapshotState);
  }

  putSnapshotState(clusterId: string, state: SnapshotState): Promise<IrWriteOutcome> {
    return this.#putIfNewerVersion(state.version, {
      [PK]: { S: irPartitionKey(clusterId) },
      [SK]: { S: snapshotSortKey(state.gateway) },
      [IR_ATTR.itemType]: { S: 'snapshot' },
      [IR_ATTR.namespace]: { S: state.gateway.namespace },
      [IR_ATTR.name]: { S: state.gateway.name },
      [IR_ATTR.contentHash]: { S: state.contentHash },
      [IR_ATTR.latestKey]: { S: state.latestKey },
      [IR_ATTR.publishedAt]: { S: state.publishedAt },
    });
  }

  async replaceStatuses(
    clusterId: string,
    statuses: ResourceStatus[],
  ): Promise<{ written: number; removed: number }> {
    const pk = irStatusPartitionKey(clusterId);
    const stored = await this.#query({
      KeyConditionExpression: '#pk = :pk',
      ProjectionExpression: '#sk, #hash',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK, '#hash': IR_ATTR.statusHash },
      ExpressionAttributeValues: { ':pk': { S: pk } },
      ConsistentRead: true,
    });
    const storedHashes = new Map(stored.map((i) => [i[SK]?.S ?? '', i[IR_ATTR.statusHash]?.S]));
    const updatedAt = this.#now().toISOString();
    const requests: WriteRequest[] = [];
    const wanted = new Set<string>();
    let written = 0;
    for (const status of statuses) {
      const sk = irSortKey(status.resource);
      if (wanted.has(sk)) continue;
      wanted.add(sk);
      const hash = statusHash(status);
      if (storedHashes.get(sk) === hash) continue;
      written++;
      requests.push({
        PutRequest: {
          Item: {
            [PK]: { S: pk },
            [SK]: { S: sk },
            [IR_ATTR.itemType]: { S: 'status' },
            [IR_ATTR.status]: { S: JSON.stringify(status) },
            [IR_ATTR.statusHash]: { S: hash },
            [IR_ATTR.updatedAt]: { S: updatedAt },
          },
        },
      });
    }
    let removed = 0;
    for (const sk of storedHashes.keys()) {
      if (wanted.has(sk)) continue;
      removed++;
      requests.push({ DeleteRequest: { Key: { [PK]: { S: pk }, [SK]: { S: sk } } } });
    }
    await this.#batchWrite(requests);
    return { written, removed };
  }

  async listStatuses(clusterId: string): Promise<ResourceStatus[]> {
    const items = await this.#query({
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: { ':pk': { S: irStatusPartitionKey(clusterId) } },
    });
    return items.map((i) =>
      parseJson<ResourceStatus>(i[IR_ATTR.status]?.S, `${clusterId} status ${i[SK]?.S}`),
    );
  }

  putRejection(clusterId: string, rejection: ProxyRejection): Promise<IrWriteOutcome> {
    const expiresAt = Math.floor(this.#now().getTime() / 1000) + this.#tombstoneTtlSeconds;
    return this.#putIfNewerVersion(rejection.version, {
      [PK]: { S: irPartitionKey(clusterId) },
      [SK]: { S: proxyRejectionSortKey(rejection.gateway, rejection.typeUrl) },
      [IR_ATTR.itemType]: { S: 'nack' },
      [IR_ATTR.namespace]: { S: rejection.gateway.namespace },
      [IR_ATTR.name]: { S: rejection.gateway.name },
      [IR_ATTR.rejection]: { S: JSON.stringify(rejection) },
      [IR_ATTR.updatedAt]: { S: this.#now().toISOString() },
      [IR_TABLE.ttlAttribute]: { N: String(expiresAt) },
    });
  }

  /**
   * Puts a versioned item (snapshot bookkeeping, a NACK) unless the stored one has the same or a
   * newer `version`: such items only move forward, and a repeat writes nothing.
   */
  async #putIfNewerVersion(version: number, item: Record<string, AttributeValue>): Promise<IrWriteOutcome> {
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { ...item, [IR_ATTR.version]: { N: String(version) } },
          ConditionExpression: 'attribute_not_exists(#pk) OR #version < :version',
          ExpressionAttributeNames: { '#pk': PK, '#version': IR_ATTR.version },
          ExpressionAttributeValues: { ':version': { N: String(version) } },
        }),
      );
      return 'written';
    } catch (err) {
      if (isConditionalCheckFailed(err)) return 'stale';
      throw err;
    }
  }

  async listRejections(clusterId: string): Promise<ProxyRejection[]> {
    const items = await this.#query({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: {
        ':pk': { S: irPartitionKey(clusterId) },
        ':prefix': { S: PROXY_REJECTION_SK_PREFIX },
      },
    });
    return items.map((i) =>
      parseJson<ProxyRejection>(i[IR_ATTR.rejection]?.S, `${clusterId} NACK ${i[SK]?.S}`),
    );
  }

  #resourceAttributes(clusterId: string, id: ResourceId, source: IrSource): Record<string, AttributeValue> {
    if (!/^\d{1,38}$/.test(source.resourceVersion)) {
      throw new IrStoreError(
        `resourceVersion ${JSON.stringify(source.resourceVersion)} of ${id.kind} ${id.namespace}/${id.name} is not a decimal integer of at most 38 digits`,
      );
    }
    const attrs: Record<string, AttributeValue> = {
      [PK]: { S: irPartitionKey(clusterId) },
      [SK]: { S: irSortKey(id) },
      [IR_ATTR.itemType]: { S: 'ir' },
      [IR_ATTR.group]: { S: id.group },
      [IR_ATTR.kind]: { S: id.kind },
      [IR_ATTR.namespace]: { S: id.namespace },
      [IR_ATTR.name]: { S: id.name },
      [IR_ATTR.sourceResourceVersion]: { N: source.resourceVersion },
      [IR_ATTR.updatedAt]: { S: this.#now().toISOString() },
    };
    if (source.generation !== undefined) attrs[IR_ATTR.generation] = { N: String(source.generation) };
    if (source.observedAt !== undefined) attrs[IR_ATTR.observedAt] = { S: source.observedAt };
    return attrs;
  }

  async #conditionalPut(
    item: Record<string, AttributeValue>,
    condition: string,
    resourceVersion: string,
    isDelete: boolean,
  ): Promise<IrWriteOutcome> {
    const names: Record<string, string> = { '#pk': PK, '#rv': IR_ATTR.sourceResourceVersion };
    const values: Record<string, AttributeValue> = { ':rv': { N: resourceVersion } };
    if (isDelete) {
      names['#deleted'] = IR_ATTR.deleted;
      values[':false'] = { BOOL: false };
    }
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return 'written';
    } catch (err) {
      if (isConditionalCheckFailed(err)) return 'stale';
      throw err;
    }
  }

  async #query(input: Omit<QueryCommandInput, 'TableName'>): Promise<Array<Record<string, AttributeValue>>> {
    const out: Array<Record<string, AttributeValue>> = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const res = await this.#client.send(
        new QueryCommand({
          ConsistentRead: true,
          ...input,
          TableName: this.tableName,
          ExclusiveStartKey: start,
        }),
      );
      out.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async #batchWrite(requests: WriteRequest[]): Promise<void> {
    for (let i = 0; i < requests.length; i += BATCH_WRITE_MAX) {
      let pending = requests.slice(i, i + BATCH_WRITE_MAX);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt === BATCH_WRITE_ATTEMPTS) {
          throw new IrStoreError(
            `${pending.length} status write(s) stayed unprocessed after ${attempt} attempts`,
          );
        }
        if (attempt > 0) await sleep(Math.random() * Math.min(2000, 50 * 2 ** attempt));
        const res = await this.#client.send(
          new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        pending = res.UnprocessedItems?.[this.tableName] ?? [];
      }
    }
  }
}

function toSnapshotState(item: Record<string, AttributeValue>): SnapshotState {
  return {
    gateway: { namespace: item[IR_ATTR.namespace]?.S ?? '', name: item[IR_ATTR.name]?.S ?? '' },
    version: Number(item[IR_ATTR.version]?.N ?? 0),
    contentHash: item[IR_ATTR.contentHash]?.S ?? '',
    latestKey: item[IR_ATTR.latestKey]?.S ?? '',
    publishedAt: item[IR_ATTR.publishedAt]?.S ?? '',
  };
}

function parseJson<T>(text: string | undefined, where: string): T {
  if (text === undefined) throw new IrStoreError(`${where}: item has no JSON payload`);
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new IrStoreError(`${where}: stored JSON does not parse`, { cause: err });
  }
}

export function isConditionalCheckFailed(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
