// List reconciliation on the in-memory fakes: the producer's Collection Listed detail (inline and
// claim-checked names), and reconcileCollection tombstoning what a list no longer names, through
// the same order-safe DELETE a watch sends, within the listed kind and namespace only.

import { describe, expect, it } from 'vitest';
import type { CollectionListedDetail } from '../../../shared/events/collection-listed.ts';
import { CollectionListedDetailSchema } from '../../../shared/events/collection-listed.ts';
import { applyChangeEvent } from '../../../shared/pipeline/apply-change-event.ts';
import { parsePipelineMessage } from '../../../shared/pipeline/change-event-message.ts';
import {
  collectionListedDetail,
  collectionListedEvent,
  reconcileCollection,
} from '../../../shared/pipeline/collection-listed.ts';
import { ObjectTooLargeError } from '../../../shared/pipeline/object-to-change-event.ts';
import { ClaimCheckError } from '../../../shared/ports/claim-check.ts';
import { MemoryClaimCheck, MemoryIrStore } from './fakes.ts';
import { backend, gateway, gatewayClass, type Obj, route, upsert } from './kube.ts';

const ROUTES = { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'HTTPRoute' };

function inNamespace(object: Obj, namespace: string): Obj {
  return { ...object, metadata: { ...object.metadata, namespace } };
}

function listed(
  names: Array<{ namespace?: string; name: string }>,
  resourceVersion: string,
  overrides: Partial<CollectionListedDetail> = {},
): CollectionListedDetail {
  return {
    schemaVersion: 1,
    clusterId: 'c1',
    ...ROUTES,
    resourceVersion,
    observedAt: '2026-03-01T00:00:00.000Z',
    names,
    ...overrides,
  };
}

async function seed(irStore: MemoryIrStore): Promise<void> {
  for (const [object, rv] of [
    [route('public', 'edge'), '10'],
    [route('private', 'internal'), '11'],
    [inNamespace(route('public', 'edge'), 'other'), '12'],
    [gateway('edge', 8080), '13'],
    [backend('a.example.net'), '14'],
    [gatewayClass, '15'],
  ] as const) {
    await applyChangeEvent(upsert(object, rv), { irStore });
  }
}

const liveKeys = async (irStore: MemoryIrStore) =>
  (await irStore.listCluster('c1')).map((i) => `${i.kind} ${i.id.namespace}/${i.id.name}`).sort();

describe('reconcileCollection', () => {
  it('tombstones, at the list resourceVersion, the live items of the kind the list no longer names', async () => {
    // Prepare
    const irStore = new MemoryIrStore();
    await seed(irStore);

    // Act: an all-namespace list that still holds shop/public only.
    const result = await reconcileCollection(listed([{ namespace: 'shop', name: 'public' }], '50'), {
      irStore,
    });

    // Assess
    expect(result.outcome).toBe('reconciled');
    expect(result.kept).toBe(1);
    expect(result.deleted.map((d) => `${d.id.namespace}/${d.id.name} ${d.outcome}`).sort()).toEqual([
      'other/public written',
      'shop/private written',
    ]);
    expect(irStore.calls.filter((c) => c.startsWith('deleteItem')).sort()).toEqual([
      'deleteItem c1 HTTPRoute.gateway.networking.k8s.io#other/public 50',
      'deleteItem c1 HTTPRoute.gateway.networking.k8s.io#shop/private 50',
    ]);
    expect(await liveKeys(irStore)).toEqual([
      'Backend shop/payments-api',
      'Gateway infra/edge',
      'GatewayClass /fleetplane',
      'HTTPRoute shop/public',
    ]);
    // A late upsert from before the list cannot bring a tombstoned route back.
    const late = await applyChangeEvent(upsert(route('private', 'internal'), '40'), { irStore });
    expect(late.outcome).toBe('stale');
  });

  it('keeps an item written after the list (a higher resourceVersion), and a repeat writes nothing', async () => {
    // Prepare: shop/private was re-created at 60, after the list at 50 that did not hold it.
    const irStore = new MemoryIrStore();
    await seed(irStore);
    await applyChangeEvent(upsert(route('private', 'internal'), '60'), { irStore });
    const event = listed([{ namespace: 'shop', name: 'public' }], '50', { namespace: 'shop' });

    // Act
    const first = await reconcileCollection(event, { irStore });
    const again = await reconcileCollection(event, { irStore });

    // Assess
    expect(first.deleted.map((d) => `${d.id.name} ${d.outcome}`)).toEqual(['private stale']);
    expect(again.deleted.map((d) => `${d.id.name} ${d.outcome}`)).toEqual(['private stale']);
    expect(await liveKeys(irStore)).toContain('HTTPRoute shop/private');
  });

  it('never touches other namespaces than the listed one, nor other kinds', async () => {
    // Prepare
    const irStore = new MemoryIrStore();
    await seed(irStore);

    // Act: an empty list of HTTPRoutes in namespace "other".
    const result = await reconcileCollection(listed([], '50', { namespace: 'other' }), { irStore });

    // Assess
    expect(result.deleted.map((d) => `${d.id.namespace}/${d.id.name}`)).toEqual(['other/public']);
    expect(await liveKeys(irStore)).toEqual([
      'Backend shop/payments-api',
      'Gateway infra/edge',
      'GatewayClass /fleetplane',
      'HTTPRoute shop/private',
      'HTTPRoute shop/public',
    ]);
  });

  it('reconciles a cluster-scoped kind by names without a namespace', async () => {
    // Prepare
    const irStore = new MemoryIrStore();
    await seed(irStore);
    const classes = { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'GatewayClass' };

    // Act
    const kept = await reconcileCollection(listed([{ name: 'fleetplane' }], '50', classes), { irStore });
    const gone = await reconcileCollection(listed([], '51', classes), { irStore });

    // Assess
    expect([kept.kept, kept.deleted.length]).toEqual([1, 0]);
    expect(gone.deleted.map((d) => `${d.id.namespace}/${d.id.name} ${d.outcome}`)).toEqual([
      '/fleetplane written',
    ]);
  });

  it('ignores kinds it does not translate, without reading the store', async () => {
    const irStore = new MemoryIrStore();
    const result = await reconcileCollection(
      listed([], '5', { group: '', version: 'v1', kind: 'ConfigMap' }),
      { irStore },
    );
    expect(result).toEqual({ outcome: 'ignored', kept: 0, deleted: [] });
    expect(irStore.calls).toEqual([]);
  });

  it('reads claim-checked names, and fails clearly when they are missing or invalid', async () => {
    // Prepare
    const irStore = new MemoryIrStore();
    await seed(irStore);
    const claimCheck = new MemoryClaimCheck();
    const detail = await collectionListedDetail(
      {
        clusterId: 'c1',
        ...ROUTES,
        resourceVersion: '50',
        observedAt: new Date(0),
        names: [{ namespace: 'shop', name: 'public' }],
      },
      { claimCheck, claimCheckThresholdBytes: 10 },
    );
    expect(detail.names).toBeUndefined();
    expect(detail.namesRef?.key).toMatch(
      /^claim-check\/c1\/gateway\.networking\.k8s\.io\/HTTPRoute\/_all\/_listed\//,
    );

    // Act
    const result = await reconcileCollection(detail, { irStore, claimCheck });

    // Assess
    expect(result.deleted.map((d) => `${d.id.namespace}/${d.id.name}`).sort()).toEqual([
      'other/public',
      'shop/private',
    ]);
    await expect(reconcileCollection(detail, { irStore })).rejects.toThrow(ClaimCheckError);
    const bad = await claimCheck.put(new TextEncoder().encode(JSON.stringify([{ name: '' }])));
    await expect(reconcileCollection({ ...detail, namesRef: bad }, { irStore, claimCheck })).rejects.toThrow(
      /claim-checked names are invalid: namesRef\.names\[0\]\.name/,
    );
  });
});

describe('collectionListedDetail', () => {
  it('builds a valid event with inline names and the namespace scope', async () => {
    const detail = await collectionListedDetail({
      clusterId: 'c1',
      ...ROUTES,
      namespace: 'shop',
      resourceVersion: '50',
      observedAt: '2026-03-01T00:00:00Z',
      names: [{ namespace: 'shop', name: 'public' }],
    });
    expect(detail).toEqual({
      schemaVersion: 1,
      clusterId: 'c1',
      ...ROUTES,
      namespace: 'shop',
      resourceVersion: '50',
      observedAt: '2026-03-01T00:00:00.000Z',
      names: [{ namespace: 'shop', name: 'public' }],
    });
    const event = collectionListedEvent(detail);
    expect(event).toMatchObject({
      source: 'fleetplane.kubernetes',
      detailType: 'Kubernetes Collection Listed',
    });
    const body = JSON.stringify({
      source: event.source,
      'detail-type': event.detailType,
      detail: event.detail,
    });
    expect(parsePipelineMessage(body)).toEqual({ type: 'collection-listed', detail });
  });

  it('refuses large names without a claim check, and names outside the scope', async () => {
    const big = Array.from({ length: 20 }, (_, i) => ({ namespace: 'shop', name: `route-${i}` }));
    await expect(
      collectionListedDetail(
        { clusterId: 'c1', ...ROUTES, resourceVersion: '5', observedAt: new Date(0), names: big },
        { claimCheckThresholdBytes: 100 },
      ),
    ).rejects.toThrow(ObjectTooLargeError);
    await expect(
      collectionListedDetail({
        clusterId: 'c1',
        ...ROUTES,
        namespace: 'shop',
        resourceVersion: '5',
        observedAt: new Date(0),
        names: [{ namespace: 'other', name: 'x' }],
      }),
    ).rejects.toThrow(/detail\.names\[0\]\.namespace: is "other", outside the listed namespace shop/);
  });

  it('names every bad field of a malformed event', () => {
    const parsed = CollectionListedDetailSchema.safeParse({
      schemaVersion: 1,
      clusterId: 'Bad_Cluster',
      ...ROUTES,
      resourceVersion: 'v5',
      observedAt: 'yesterday',
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.')).sort()).toEqual([
      'clusterId',
      'names',
      'observedAt',
      'resourceVersion',
    ]);
    const body = JSON.stringify({
      source: 'fleetplane.kubernetes',
      'detail-type': 'Kubernetes Collection Listed',
      detail: { ...listed([], '5'), resourceVersion: 'v5' },
    });
    expect(() => parsePipelineMessage(body)).toThrow(
      /invalid Collection Listed event: detail\.resourceVersion: must be a decimal integer string/,
    );
  });
});
