import { describe, expect, it } from 'vitest';
import { applyChangeEvent } from '../../../shared/pipeline/apply-change-event.ts';
import {
  type BuildClusterDeps,
  buildClusterSnapshots,
} from '../../../shared/pipeline/build-cluster-snapshots.ts';
import {
  SNAPSHOT_EVENT_SOURCE,
  SNAPSHOT_PUBLISHED_DETAIL_TYPE,
} from '../../../shared/pipeline/definition.ts';
import type { SnapshotStore } from '../../../shared/ports/snapshot-store.ts';
import { latestKey, versionPrefix } from '../../../shared/snapshot/layout.ts';
import { parseLatest } from '../../../shared/snapshot/publish.ts';
import { MemoryIrStore, MemorySnapshotStore, RecordingEventPublisher } from './fakes.ts';
import { backend, fleet, upsert } from './kube.ts';

const EDGE = { namespace: 'infra', name: 'edge' };
const INTERNAL = { namespace: 'infra', name: 'internal' };
const NOW = () => new Date('2026-03-01T00:00:00Z');

async function seeded() {
  const irStore = new MemoryIrStore();
  let rv = 1;
  for (const object of fleet()) await applyChangeEvent(upsert(object, String(rv++)), { irStore });
  const deps = {
    irStore,
    snapshotStore: new MemorySnapshotStore(),
    events: new RecordingEventPublisher(),
    now: NOW,
  } satisfies BuildClusterDeps;
  return deps;
}

async function latestCds(store: SnapshotStore, gateway: typeof EDGE): Promise<string> {
  const pointer = await store.get(latestKey('c1', gateway));
  if (!pointer) return '';
  const cdsKey = parseLatest(pointer.body, 'latest').objects.find((k) => k.endsWith('cds.json')) ?? '';
  return new TextDecoder().decode((await store.get(cdsKey))?.body);
}

describe('buildClusterSnapshots', () => {
  it('publishes every Gateway of the cluster, announces it, and records bookkeeping and statuses', async () => {
    // Prepare
    const deps = await seeded();

    // Act
    const result = await buildClusterSnapshots('c1', deps);

    // Assess
    expect(result.published.map((p) => [p.gateway, p.version, p.recovered])).toEqual([
      [EDGE, 1, false],
      [INTERNAL, 1, false],
    ]);
    expect(result.failures).toEqual([]);
    expect(deps.events.events).toEqual([
      {
        source: SNAPSHOT_EVENT_SOURCE,
        detailType: SNAPSHOT_PUBLISHED_DETAIL_TYPE,
        detail: {
          clusterId: 'c1',
          gateway: EDGE,
          version: 1,
          latestKey: latestKey('c1', EDGE),
          manifestKey: `${versionPrefix('c1', EDGE, 1)}manifest.json`,
        },
      },
      {
        source: SNAPSHOT_EVENT_SOURCE,
        detailType: SNAPSHOT_PUBLISHED_DETAIL_TYPE,
        detail: {
          clusterId: 'c1',
          gateway: INTERNAL,
          version: 1,
          latestKey: latestKey('c1', INTERNAL),
          manifestKey: `${versionPrefix('c1', INTERNAL, 1)}manifest.json`,
        },
      },
    ]);
    expect(await deps.irStore.getSnapshotState('c1', EDGE)).toMatchObject({
      version: 1,
      publishedAt: NOW().toISOString(),
    });
    const statuses = await deps.irStore.listStatuses('c1');
    expect(statuses).toHaveLength(fleet().length);
    expect(statuses.find((s) => s.resource.name === 'public')?.parents?.[0]?.conditions).toContainEqual(
      expect.objectContaining({ type: 'ResolvedRefs', status: 'True' }),
    );
  });

  it('publishes and announces nothing when nothing changed', async () => {
    // Prepare
    const deps = await seeded();
    await buildClusterSnapshots('c1', deps);
    deps.events.events.length = 0;
    const keys = deps.snapshotStore.keys();

    // Act
    const result = await buildClusterSnapshots('c1', deps);

    // Assess
    expect(result.published).toEqual([]);
    expect(result.unchanged).toEqual([
      { gateway: EDGE, version: 1 },
      { gateway: INTERNAL, version: 1 },
    ]);
    expect(deps.events.events).toEqual([]);
    expect(deps.snapshotStore.keys()).toEqual(keys);
    expect(deps.irStore.calls.filter((c) => c.startsWith('putSnapshotState'))).toHaveLength(2);
  });

  it('carries a Backend change into the next snapshot of every Gateway whose routes use it', async () => {
    // Prepare
    const deps = await seeded();
    await buildClusterSnapshots('c1', deps);
    await applyChangeEvent(upsert(backend('api.payments-v2.example.net'), '100'), deps);

    // Act
    const result = await buildClusterSnapshots('c1', deps);

    // Assess
    expect(result.published.map((p) => [p.gateway.name, p.version])).toEqual([
      ['edge', 2],
      ['internal', 2],
    ]);
    for (const gw of [EDGE, INTERNAL]) {
      const cds = await latestCds(deps.snapshotStore, gw);
      expect(cds).toContain('api.payments-v2.example.net');
      expect(cds).not.toContain('api.payments.example.net');
    }
  });

  it('announces a version that an interrupted build published but never recorded', async () => {
    // Prepare: S3 has version 1, the bookkeeping has nothing (the earlier build stopped in between).
    const deps = await seeded();
    await buildClusterSnapshots('c1', { ...deps, events: undefined });
    deps.irStore.snapshots.clear();

    // Act
    const result = await buildClusterSnapshots('c1', deps);

    // Assess
    expect(result.published.map((p) => [p.gateway.name, p.version, p.recovered])).toEqual([
      ['edge', 1, true],
      ['internal', 1, true],
    ]);
    expect(deps.events.events).toHaveLength(2);
    expect(await deps.irStore.getSnapshotState('c1', INTERNAL)).toMatchObject({ version: 1 });
  });

  it('reports a Gateway whose publish fails and still publishes the others', async () => {
    // Prepare
    const deps = await seeded();
    const store = deps.snapshotStore;
    const failing: SnapshotStore = {
      get: (key) => store.get(key),
      putIfAbsent: (key, body) =>
        key.includes('/gateways/infra/internal/')
          ? Promise.reject(new Error('S3 is down'))
          : store.putIfAbsent(key, body),
      compareAndSwap: (key, body, type, etag) => store.compareAndSwap(key, body, type, etag),
    };

    // Act
    const result = await buildClusterSnapshots('c1', { ...deps, snapshotStore: failing });

    // Assess
    expect(result.published.map((p) => p.gateway)).toEqual([EDGE]);
    expect(result.failures.map((f) => [f.gateway, f.error.message])).toEqual([[INTERNAL, 'S3 is down']]);
    expect(await deps.irStore.getSnapshotState('c1', INTERNAL)).toBeUndefined();
  });

  it('leaves the bookkeeping behind when the announcement fails, so the retry announces again', async () => {
    // Prepare
    const deps = await seeded();
    deps.events.failWith = new Error('bus unavailable');

    // Act
    const error = await buildClusterSnapshots('c1', deps).catch((err: unknown) => err);
    deps.events.failWith = undefined;
    const retry = await buildClusterSnapshots('c1', deps);

    // Assess
    expect((error as Error).message).toBe('bus unavailable');
    expect(retry.published.map((p) => [p.gateway.name, p.version, p.recovered])).toEqual([
      ['edge', 1, true],
      ['internal', 1, true],
    ]);
    expect(deps.events.events).toHaveLength(2);
  });
});
