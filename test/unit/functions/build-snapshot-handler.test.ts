import type { DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/build-snapshot/create-handler.ts';
import { applyChangeEvent } from '../../../shared/pipeline/apply-change-event.ts';
import type { SnapshotStore } from '../../../shared/ports/snapshot-store.ts';
import { MemoryIrStore, MemorySnapshotStore, RecordingEventPublisher } from '../pipeline/fakes.ts';
import { fleet, upsert } from '../pipeline/kube.ts';
import { lambdaContext, loadEvent, quietObservability } from './lambda.ts';

const context = lambdaContext('build-snapshot');

async function seed(irStore: MemoryIrStore, clusterId: string) {
  let rv = 1;
  for (const object of fleet()) await applyChangeEvent(upsert(object, String(rv++), clusterId), { irStore });
  irStore.calls.length = 0;
}

async function prepare() {
  const irStore = new MemoryIrStore();
  await seed(irStore, 'c1');
  await seed(irStore, 'c2');
  const events = new RecordingEventPublisher();
  const snapshotStore = new MemorySnapshotStore();
  return {
    irStore,
    events,
    snapshotStore,
    event: loadEvent<DynamoDBStreamEvent>('dynamodb-streams/ir-changes.json'),
  };
}

describe('build-snapshot handler', () => {
  it('builds each cluster whose IR content changed once, and announces every new Gateway version', async () => {
    // Prepare
    const { irStore, events, snapshotStore, event } = await prepare();
    const handler = createHandler({ irStore, snapshotStore, events, ...quietObservability() });

    // Act
    const response = await handler(event, context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(irStore.calls.filter((c) => c.startsWith('listCluster'))).toEqual([
      'listCluster c1',
      'listCluster c2',
    ]);
    expect(
      events.events.map((e) => [
        e.detail.clusterId,
        (e.detail.gateway as { name: string }).name,
        e.detail.version,
      ]),
    ).toEqual([
      ['c1', 'edge', 1],
      ['c1', 'internal', 1],
      ['c2', 'edge', 1],
      ['c2', 'internal', 1],
    ]);
  });

  it('ignores a batch of bookkeeping, status, resourceVersion-only and TTL records', async () => {
    // Prepare
    const { irStore, events, snapshotStore, event } = await prepare();
    const noise: DynamoDBStreamEvent = {
      Records: event.Records.filter((r) =>
        ['101', '103', '104', '105'].includes(r.dynamodb?.SequenceNumber ?? ''),
      ),
    };
    const handler = createHandler({ irStore, snapshotStore, events, ...quietObservability() });

    // Act
    const response = await handler(noise, context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(irStore.calls).toEqual([]);
    expect(events.events).toEqual([]);
  });

  it('reports the first record of a failing cluster, and still builds the other clusters', async () => {
    // Prepare: c1's IR cannot be read.
    const { irStore, events, snapshotStore, event } = await prepare();
    const listCluster = irStore.listCluster.bind(irStore);
    irStore.listCluster = (clusterId) =>
      clusterId === 'c1'
        ? Promise.reject(new Error('ProvisionedThroughputExceededException'))
        : listCluster(clusterId);
    const handler = createHandler({ irStore, snapshotStore, events, ...quietObservability() });

    // Act
    const response = await handler(event, context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '100' }] });
    expect(events.events.map((e) => e.detail.clusterId)).toEqual(['c2', 'c2']);
  });

  it('fails a cluster when one of its Gateways cannot be published, after announcing the rest', async () => {
    // Prepare
    const { irStore, events, snapshotStore, event } = await prepare();
    const flaky: SnapshotStore = {
      get: (key) => snapshotStore.get(key),
      putIfAbsent: (key, body) =>
        key.startsWith('clusters/c2/gateways/infra/internal/')
          ? Promise.reject(new Error('SlowDown'))
          : snapshotStore.putIfAbsent(key, body),
      compareAndSwap: (key, body, type, etag) => snapshotStore.compareAndSwap(key, body, type, etag),
    };
    const handler = createHandler({ irStore, snapshotStore: flaky, events, ...quietObservability() });

    // Act
    const response = await handler(event, context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '102' }] });
    expect(
      events.events.map((e) => `${e.detail.clusterId}/${(e.detail.gateway as { name: string }).name}`),
    ).toEqual(['c1/edge', 'c1/internal', 'c2/edge']);
  });
});
