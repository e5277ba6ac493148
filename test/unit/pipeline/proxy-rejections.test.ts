import { describe, expect, it } from 'vitest';
import { readIrTableChange } from '../../../shared/aws/ir-table-layout.ts';
import type { ResourceStatus } from '../../../shared/ir/types.ts';
import { applyChangeEvent, ChangeEventError } from '../../../shared/pipeline/apply-change-event.ts';
import { buildClusterSnapshots } from '../../../shared/pipeline/build-cluster-snapshots.ts';
import { parsePipelineMessage } from '../../../shared/pipeline/change-event-message.ts';
import {
  type ProxyRejection,
  recordRelayNack,
  withRejections,
} from '../../../shared/pipeline/proxy-rejections.ts';
import { type RelayNackDetail, relayNackEvent } from '../../../shared/pipeline/relay-events.ts';
import { MemoryIrStore, MemorySnapshotStore } from './fakes.ts';
import { backend, fleet, upsert } from './kube.ts';

const EDGE = { namespace: 'infra', name: 'edge' };
const LISTENER = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

function nack(overrides: Partial<RelayNackDetail> = {}): RelayNackDetail {
  return {
    clusterId: 'c1',
    gateway: EDGE,
    nodeId: 'envoy-edge-7f9c',
    typeUrl: LISTENER,
    version: '1',
    message: 'Proto constraint validation failed (ListenerValidationError.Address: value is required)',
    at: '2026-03-01T00:00:05Z',
    ...overrides,
  };
}

/** The EventBridge event as a rule delivers it to the translate queue. */
function busMessage(detail: unknown, detailType = 'Envoy Config Rejected'): string {
  return JSON.stringify({ version: '0', source: 'fleetplane.relay', 'detail-type': detailType, detail });
}

function programmed(statuses: readonly ResourceStatus[], name: string) {
  return statuses
    .find((s) => s.resource.kind === 'Gateway' && s.resource.name === name)
    ?.conditions.find((c) => c.type === 'Programmed');
}

function rejection(overrides: Partial<ProxyRejection> = {}): ProxyRejection {
  return {
    gateway: EDGE,
    nodeId: 'envoy-edge-7f9c',
    typeUrl: LISTENER,
    version: 3,
    message: 'invalid listener',
    at: '2026-03-01T00:00:05Z',
    ...overrides,
  };
}

describe('relay NACK messages', () => {
  it('reads a relay NACK off the translate queue as such, and a change event as a change', () => {
    // Prepare
    const event = relayNackEvent(nack());

    // Act
    const message = parsePipelineMessage(busMessage(event.detail, event.detailType));

    // Assess
    expect(message).toEqual({ type: 'relay-nack', detail: nack() });
    expect(() => parsePipelineMessage(busMessage(nack(), 'Something Else'))).toThrow(/not a change event/);
  });

  it('names the bad field of an invalid NACK', () => {
    // Act
    const act = () => parsePipelineMessage(busMessage({ ...nack(), typeUrl: '' }));

    // Assess
    expect(act).toThrow(ChangeEventError);
    expect(act).toThrow(/invalid relay NACK: detail\.typeUrl/);
  });

  it('refuses a version that is not a snapshot version, naming it', async () => {
    // Act
    const error = await recordRelayNack(nack({ version: 'abc' }), new MemoryIrStore()).catch((e) => e);

    // Assess
    expect(error).toBeInstanceOf(ChangeEventError);
    expect(error.message).toBe(
      'relay NACK for Gateway infra/edge: detail.version "abc" is not a snapshot version (a positive integer)',
    );
  });

  it('keeps the first NACK of the newest version per Gateway and type', async () => {
    // Prepare
    const store = new MemoryIrStore();
    await recordRelayNack(nack({ version: '4' }), store);

    // Act
    const older = await recordRelayNack(nack({ version: '3', nodeId: 'late' }), store);
    const sameVersionOtherNode = await recordRelayNack(nack({ version: '4', nodeId: 'other' }), store);
    const otherType = await recordRelayNack(nack({ version: '2', typeUrl: CLUSTER }), store);

    // Assess
    expect([older.outcome, sameVersionOtherNode.outcome, otherType.outcome]).toEqual([
      'stale',
      'stale',
      'written',
    ]);
    expect((await store.listRejections('c1')).map((r) => [r.typeUrl, r.version, r.nodeId])).toEqual([
      [LISTENER, 4, 'envoy-edge-7f9c'],
      [CLUSTER, 2, 'envoy-edge-7f9c'],
    ]);
  });

  it('classifies a recorded NACK as a status change for the snapshot builder, and its expiry as none', () => {
    // Prepare
    const keys = { pk: { S: 'CLUSTER#c1' }, sk: { S: `NACK#infra/edge#${LISTENER}` } };

    // Act
    const recorded = readIrTableChange({
      eventName: 'INSERT',
      dynamodb: { Keys: keys, NewImage: { itemType: { S: 'nack' } } },
    });
    const expired = readIrTableChange({
      eventName: 'REMOVE',
      dynamodb: { Keys: keys, OldImage: { itemType: { S: 'nack' } } },
    });

    // Assess
    expect(recorded).toMatchObject({
      clusterId: 'c1',
      itemType: 'nack',
      affectsSnapshots: false,
      affectsStatuses: true,
    });
    expect(expired).toMatchObject({ itemType: 'nack', affectsStatuses: false });
  });
});

describe('withRejections', () => {
  const statuses: ResourceStatus[] = [
    {
      resource: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra', name: 'edge' },
      conditions: [
        { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'ok', observedGeneration: 2 },
        { type: 'Programmed', status: 'True', reason: 'Programmed', message: 'ok', observedGeneration: 2 },
      ],
    },
    {
      resource: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra', name: 'internal' },
      conditions: [{ type: 'Programmed', status: 'True', reason: 'Programmed', message: 'ok' }],
    },
  ];

  it('replaces Programmed with False/Invalid naming node, type, version and the error', () => {
    // Act
    const out = withRejections(
      statuses,
      [rejection(), rejection({ typeUrl: CLUSTER, nodeId: 'envoy-edge-2', message: 'bad cluster' })],
      new Map([['infra/edge', 3]]),
    );

    // Assess
    expect(programmed(out, 'edge')).toEqual({
      type: 'Programmed',
      status: 'False',
      reason: 'Invalid',
      message:
        'node envoy-edge-2 rejected Cluster version 3: bad cluster; ' +
        'node envoy-edge-7f9c rejected Listener version 3: invalid listener',
      observedGeneration: 2,
    });
    expect(out[0]?.conditions[0]?.type).toBe('Accepted');
    expect(out[1]).toBe(statuses[1]);
  });

  it('ignores a NACK of a version older than the current one', () => {
    // Act
    const out = withRejections(statuses, [rejection({ version: 2 })], new Map([['infra/edge', 3]]));

    // Assess
    expect(programmed(out, 'edge')?.status).toBe('True');
  });

  it('adds nothing for a Gateway that has no status (not ours, or gone)', () => {
    // Act
    const out = withRejections(statuses, [rejection({ gateway: { namespace: 'x', name: 'y' } })], new Map());

    // Assess
    expect(out).toEqual(statuses);
  });
});

describe('buildClusterSnapshots with NACKs', () => {
  it('shows a NACK of the current version as Programmed=False and clears it when a newer version is published', async () => {
    // Prepare
    const irStore = new MemoryIrStore();
    let rv = 1;
    for (const object of fleet()) await applyChangeEvent(upsert(object, String(rv++)), { irStore });
    const deps = { irStore, rejections: irStore, snapshotStore: new MemorySnapshotStore() };
    await buildClusterSnapshots('c1', deps);
    await recordRelayNack(nack({ version: '1' }), irStore);

    // Act
    const rejected = await buildClusterSnapshots('c1', deps);
    const whileRejected = await irStore.listStatuses('c1');
    await applyChangeEvent(upsert(backend('api.payments-v2.example.net'), '100'), { irStore });
    const superseded = await buildClusterSnapshots('c1', deps);

    // Assess
    expect(rejected.published).toEqual([]);
    expect(programmed(whileRejected, 'edge')).toMatchObject({
      status: 'False',
      reason: 'Invalid',
      message: `node envoy-edge-7f9c rejected Listener version 1: ${nack().message}`,
    });
    expect(programmed(whileRejected, 'internal')?.status).toBe('True');
    expect(superseded.published.map((p) => [p.gateway.name, p.version])).toContainEqual(['edge', 2]);
    expect(programmed(await irStore.listStatuses('c1'), 'edge')?.status).toBe('True');
  });
});
