import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbIrStore } from '../../shared/aws/dynamodb-ir-store.ts';
import { ensureIrTable } from '../../shared/aws/provision.ts';
import type { AnyIrItem, ResourceStatus } from '../../shared/ir/types.ts';
import {
  IR_TABLE,
  irPartitionKey,
  irSortKey,
  proxyRejectionSortKey,
} from '../../shared/pipeline/definition.ts';
import { uniqueName, useEmulator } from '../support/moto.ts';
import { item } from '../unit/xds/ir-builders.ts';

const emulator = useEmulator();
const tableName = uniqueName('ir');
const NOW = new Date('2026-03-01T00:00:00Z');
let dynamo: DynamoDBClient;
let store: DynamoDbIrStore;

function backend(name: string, host: string): AnyIrItem {
  return item('Backend', name, {
    type: 'static',
    endpoints: [{ address: { kind: 'fqdn', hostname: host, port: 443 }, priority: 0 }],
  });
}

async function rawItem(clusterId: string, it: AnyIrItem) {
  const res = await dynamo.send(
    new GetItemCommand({
      TableName: tableName,
      Key: { pk: { S: irPartitionKey(clusterId) }, sk: { S: irSortKey(it.id) } },
      ConsistentRead: true,
    }),
  );
  return res.Item;
}

beforeAll(async () => {
  dynamo = new DynamoDBClient(emulator.current.clientConfig);
  await ensureIrTable(dynamo, tableName);
  store = new DynamoDbIrStore({ tableName, client: dynamo, now: () => NOW });
});

describe('DynamoDbIrStore', () => {
  it('writes an item once and drops a duplicate event as stale', async () => {
    // Prepare
    const it1 = backend('dup', 'a.example.com');

    // Act
    const first = await store.putItem('dup', it1, { resourceVersion: '100', generation: 1 });
    const again = await store.putItem('dup', it1, { resourceVersion: '100', generation: 1 });

    // Assess
    expect([first, again]).toEqual(['written', 'stale']);
    expect(await store.listCluster('dup')).toEqual([it1]);
    const raw = await rawItem('dup', it1);
    expect(raw?.sourceResourceVersion).toEqual({ N: '100' });
    expect(raw?.generation).toEqual({ N: '1' });
    expect(raw?.deleted).toEqual({ BOOL: false });
    expect(raw?.contentHash?.S).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(raw?.conditions?.S ?? '')).toEqual(it1.conditions);
  });

  it('drops an older resourceVersion that arrives after a newer one', async () => {
    // Prepare
    const newer = backend('order', 'new.example.com');
    await store.putItem('order', newer, { resourceVersion: '205' });

    // Act
    const outcome = await store.putItem('order', backend('order', 'old.example.com'), {
      resourceVersion: '199',
    });

    // Assess
    expect(outcome).toBe('stale');
    expect(await store.listCluster('order')).toEqual([newer]);
  });

  it('compares resourceVersions as integers, not as strings', async () => {
    // Prepare: "10" < "9" as strings, but 10 > 9.
    await store.putItem('numeric', backend('n', 'nine.example.com'), { resourceVersion: '9' });

    // Act
    const outcome = await store.putItem('numeric', backend('n', 'ten.example.com'), {
      resourceVersion: '10',
    });

    // Assess
    expect(outcome).toBe('written');
    expect(await store.listCluster('numeric')).toEqual([backend('n', 'ten.example.com')]);
  });

  it('keeps a deleted resource deleted when a late upsert arrives', async () => {
    // Prepare
    const it1 = backend('gone', 'a.example.com');
    await store.putItem('late', it1, { resourceVersion: '300' });

    // Act
    const deleted = await store.deleteItem('late', it1.id, { resourceVersion: '310' });
    const late = await store.putItem('late', it1, { resourceVersion: '305' });

    // Assess
    expect([deleted, late]).toEqual(['written', 'stale']);
    expect(await store.listCluster('late')).toEqual([]);
  });

  it('sets the TTL attribute on tombstones only, and a re-creation clears it', async () => {
    // Prepare
    const it1 = backend('ttl', 'a.example.com');
    await store.putItem('ttl', it1, { resourceVersion: '1' });

    // Act
    await store.deleteItem('ttl', it1.id, { resourceVersion: '2' });
    const tombstone = await rawItem('ttl', it1);
    await store.putItem('ttl', it1, { resourceVersion: '3' });
    const recreated = await rawItem('ttl', it1);

    // Assess
    const expected = Math.floor(NOW.getTime() / 1000) + IR_TABLE.tombstoneTtlSeconds;
    expect(tombstone?.[IR_TABLE.ttlAttribute]).toEqual({ N: String(expected) });
    expect(tombstone?.deleted).toEqual({ BOOL: true });
    expect(tombstone?.ir).toBeUndefined();
    expect(recreated?.[IR_TABLE.ttlAttribute]).toBeUndefined();
    expect(await store.listCluster('ttl')).toEqual([it1]);
  });

  it('lets a delete win a tie with the upsert it deletes, but drops a duplicate delete', async () => {
    // Prepare
    const it1 = backend('tie', 'a.example.com');
    await store.putItem('tie', it1, { resourceVersion: '50' });

    // Act
    const del = await store.deleteItem('tie', it1.id, { resourceVersion: '50' });
    const dupDel = await store.deleteItem('tie', it1.id, { resourceVersion: '50' });
    const upsert = await store.putItem('tie', it1, { resourceVersion: '50' });

    // Assess
    expect([del, dupDel, upsert]).toEqual(['written', 'stale', 'stale']);
    expect(await store.listCluster('tie')).toEqual([]);
  });

  it('lists only the live IR items of the asked cluster', async () => {
    // Prepare
    const a = backend('a', 'a.example.com');
    const b = backend('b', 'b.example.com');
    await store.putItem('list', a, { resourceVersion: '1' });
    await store.putItem('list', b, { resourceVersion: '2' });
    await store.deleteItem('list', b.id, { resourceVersion: '3' });
    await store.putItem('list-other', backend('c', 'c.example.com'), { resourceVersion: '1' });
    await store.putSnapshotState('list', {
      gateway: { namespace: 'infra', name: 'edge' },
      version: 1,
      contentHash: 'h',
      latestKey: 'k',
      publishedAt: NOW.toISOString(),
    });

    // Act
    const items = await store.listCluster('list');

    // Assess
    expect(items).toEqual([a]);
  });

  it('keeps snapshot bookkeeping per Gateway and never moves it backwards', async () => {
    // Prepare
    const gateway = { namespace: 'infra', name: 'edge' };
    const state = (version: number) => ({
      gateway,
      version,
      contentHash: `h${version}`,
      latestKey: 'clusters/snap/gateways/infra/edge/latest.json',
      publishedAt: NOW.toISOString(),
    });

    // Act
    const outcomes = [
      await store.putSnapshotState('snap', state(2)),
      await store.putSnapshotState('snap', state(1)),
      await store.putSnapshotState('snap', state(3)),
    ];

    // Assess
    expect(outcomes).toEqual(['written', 'stale', 'written']);
    expect(await store.getSnapshotState('snap', gateway)).toEqual(state(3));
    expect(await store.listSnapshotStates('snap')).toEqual([state(3)]);
    expect(await store.getSnapshotState('snap', { namespace: 'infra', name: 'other' })).toBeUndefined();
  });

  it('replaces statuses: writes changed ones, skips unchanged ones, removes obsolete ones', async () => {
    // Prepare
    const status = (name: string, message: string): ResourceStatus => ({
      resource: { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'shop', name },
      conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message }],
    });
    const many = Array.from({ length: 30 }, (_, i) => status(`r${i}`, 'ok'));
    await store.replaceStatuses('st', many);

    // Act
    const next = [status('r0', 'changed'), ...many.slice(1, 10)];
    const result = await store.replaceStatuses('st', next);

    // Assess
    expect(result).toEqual({ written: 1, removed: 20 });
    const stored = await store.listStatuses('st');
    expect(stored).toHaveLength(10);
    expect(stored).toContainEqual(status('r0', 'changed'));
    expect(await store.listCluster('st')).toEqual([]);
  });

  it('keeps the first NACK of a version per Gateway and type, replaced only by a newer version', async () => {
    // Prepare
    const gateway = { namespace: 'infra', name: 'edge' };
    const typeUrl = 'type.googleapis.com/envoy.config.listener.v3.Listener';
    const nack = (version: number, nodeId: string) => ({
      gateway,
      nodeId,
      typeUrl,
      version,
      message: `bad listener in v${version}`,
      at: NOW.toISOString(),
    });

    // Act
    const outcomes = [
      await store.putRejection('nk', nack(3, 'edge-1')),
      await store.putRejection('nk', nack(3, 'edge-2')),
      await store.putRejection('nk', nack(2, 'edge-1')),
      await store.putRejection('nk', nack(4, 'edge-2')),
      await store.putRejection('nk', { ...nack(4, 'edge-1'), typeUrl: `${typeUrl}x` }),
    ];

    // Assess
    expect(outcomes).toEqual(['written', 'stale', 'stale', 'written', 'written']);
    const stored = await store.listRejections('nk');
    expect(stored).toHaveLength(2);
    expect(stored).toContainEqual(nack(4, 'edge-2'));
    expect(await store.listCluster('nk')).toEqual([]);
    const raw = await dynamo.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: irPartitionKey('nk') }, sk: { S: proxyRejectionSortKey(gateway, typeUrl) } },
        ConsistentRead: true,
      }),
    );
    expect(Number(raw.Item?.[IR_TABLE.ttlAttribute]?.N)).toBeGreaterThan(NOW.getTime() / 1000);
  });
});
