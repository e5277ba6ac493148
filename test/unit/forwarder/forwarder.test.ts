// startForwarder against the fake Kubernetes API: informers per kind feeding one batcher, resync
// events for every cached object, a Collection Listed event after every list (after a restart and
// after a relist on 410), the metrics endpoint (/metrics, /healthz, /readyz), the Secret field
// selector, and stop() sending what is still pending.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../services/common/log.ts';
import {
  type RunningForwarder,
  SECRET_FIELD_SELECTOR,
  startForwarder,
} from '../../../services/forwarder/forwarder.ts';
import { CHANGE_EVENT_DETAIL_TYPE, type ChangeEventDetail } from '../../../shared/events/change-event.ts';
import {
  COLLECTION_LISTED_DETAIL_TYPE,
  type CollectionListedDetail,
  CollectionListedDetailSchema,
} from '../../../shared/events/collection-listed.ts';
import { collectionPath } from '../../../shared/pipeline/watched-kinds.ts';
import type { SecretLocator, SecretSink } from '../../../shared/ports/secret-sink.ts';
import { RecordingEventPublisher } from '../pipeline/fakes.ts';
import { eventually, expiredEvent, FakeKubeApi } from './fake-kube-api.ts';
import {
  FAST_BACKOFF,
  fixture,
  HTTPROUTE,
  kubeConfigFor,
  ROUTES_PATH,
  routeList,
  SECRET,
  SECRETS_PATH,
  SERVICE,
  SERVICES_PATH,
} from './fixtures.ts';

const sink: SecretSink = {
  async putSecret(s: SecretLocator) {
    return { secretName: `fleetplane/${s.clusterId}/${s.namespace}/${s.name}`, versionId: 'v1' };
  },
  async deleteSecret() {},
};

let api: FakeKubeApi;
let forwarder: RunningForwarder | undefined;

beforeEach(async () => {
  api = new FakeKubeApi();
  await api.start();
});

afterEach(async () => {
  await forwarder?.stop();
  forwarder = undefined;
  await api.stop();
});

/** The change events sent, in order. */
const details = (p: RecordingEventPublisher) =>
  p.events.filter((e) => e.detailType === CHANGE_EVENT_DETAIL_TYPE).map((e) => e.detail as ChangeEventDetail);
/** The Collection Listed events sent, in order, checked against their schema. */
const listings = (p: RecordingEventPublisher) =>
  p.events
    .filter((e) => e.detailType === COLLECTION_LISTED_DETAIL_TYPE)
    .map((e) => CollectionListedDetailSchema.parse(e.detail) as CollectionListedDetail);

describe('startForwarder', () => {
  it('forwards listed objects of every kind, sends resync events, and serves metrics and readiness', async () => {
    api.list(ROUTES_PATH, { body: fixture('httproutes-list.json') });
    api.list(
      SERVICES_PATH,
      { body: fixture('services-list-page1.json') },
      { body: fixture('services-list-page2.json') },
    );
    api.list(SECRETS_PATH, { body: fixture('secrets-list.json') });
    const publisher = new RecordingEventPublisher();
    forwarder = await startForwarder({
      clusterId: 'prod-eu',
      kubeConfig: kubeConfigFor(api.url),
      kinds: [HTTPROUTE, SERVICE, SECRET],
      publisher,
      secretSink: sink,
      flushIntervalMs: 20,
      resyncIntervalMs: 0,
      backoff: FAST_BACKOFF,
      metricsListen: { host: '127.0.0.1', port: 0 },
      log: silentLogger,
    });
    const metricsUrl = `http://127.0.0.1:${forwarder.metricsAddress?.port}`;

    await eventually(
      () => details(publisher).length === 5 && listings(publisher).length === 3,
      'the listed objects and their lists',
    );
    expect(
      details(publisher)
        .map((d) => `${d.kind} ${d.namespace}/${d.name}@${d.resourceVersion} ${d.origin}`)
        .sort(),
    ).toEqual([
      'HTTPRoute shop/catalog@48102 watch',
      'HTTPRoute shop/checkout@47990 watch',
      'Secret shop/openai-key@52001 watch',
      'Service shop/catalog@50120 watch',
      'Service shop/checkout@50444 watch',
    ]);
    // One Collection Listed event per kind, naming what its (paged) list returned.
    expect(
      listings(publisher)
        .map(
          (l) =>
            `${l.kind}@${l.resourceVersion} ${l.names?.map((n) => `${n.namespace}/${n.name}`).join(',')}`,
        )
        .sort(),
    ).toEqual([
      'HTTPRoute@48213 shop/checkout,shop/catalog',
      'Secret@52310 shop/openai-key',
      expect.stringMatching(/^Service@\d+ shop\/catalog,shop\/checkout$/),
    ]);
    expect(listings(publisher).every((l) => l.clusterId === 'prod-eu' && l.namespace === undefined)).toBe(
      true,
    );
    // The Secret list excludes token and Helm release Secrets server-side.
    expect(api.requestsOf(SECRETS_PATH, 'list')[0]?.query.get('fieldSelector')).toBe(SECRET_FIELD_SELECTOR);
    await eventually(() => api.requestsOf(SECRETS_PATH, 'watch').length === 1, 'the Secret watch');
    expect(api.requestsOf(SECRETS_PATH, 'watch')[0]?.query.get('fieldSelector')).toBe(SECRET_FIELD_SELECTOR);
    expect(forwarder.ready()).toEqual({ ready: true });
    expect((await fetch(`${metricsUrl}/readyz`)).status).toBe(200);

    // A resync re-sends every cached object, marked as such.
    expect(forwarder.resync()).toBe(5);
    await eventually(() => details(publisher).length === 10, 'the resync events');
    expect(
      details(publisher)
        .slice(5)
        .every((d) => d.origin === 'resync'),
    ).toBe(true);

    const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
    // Two listed, two resynced, one Collection Listed event.
    expect(metrics).toContain('fleetplane_forwarder_forwarded_total{kind="HTTPRoute"} 5');
    expect(metrics).toContain(
      'fleetplane_forwarder_observed_total{change="UPSERT",kind="Secret",origin="resync"} 1',
    );
    expect(metrics).toContain('# TYPE fleetplane_forwarder_failed_total counter');
    expect(metrics).toContain('# TYPE fleetplane_forwarder_retried_total counter');
    expect(metrics).toMatch(/fleetplane_forwarder_lag_seconds \d/);
    expect(metrics).toContain('fleetplane_forwarder_queue_depth 0');
    expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${metricsUrl}/nope`)).status).toBe(404);
  });

  it('sends resync events on its interval', async () => {
    api.list(ROUTES_PATH, { body: fixture('httproutes-list.json') });
    const publisher = new RecordingEventPublisher();
    forwarder = await startForwarder({
      clusterId: 'prod-eu',
      kubeConfig: kubeConfigFor(api.url),
      kinds: [HTTPROUTE],
      publisher,
      flushIntervalMs: 10,
      resyncIntervalMs: 150,
      backoff: FAST_BACKOFF,
      log: silentLogger,
    });
    await eventually(
      () => details(publisher).filter((d) => d.origin === 'resync').length >= 4,
      'two resyncs',
    );
    const resynced = details(publisher).filter((d) => d.origin === 'resync');
    expect(new Set(resynced.map((d) => d.name))).toEqual(new Set(['checkout', 'catalog']));
  });

  it('is not ready until every informer listed, and says which', async () => {
    const publisher = new RecordingEventPublisher();
    api.list(SERVICES_PATH, { status: 500, body: { kind: 'Status', code: 500 } });
    forwarder = await startForwarder({
      clusterId: 'prod-eu',
      kubeConfig: kubeConfigFor(api.url),
      kinds: [SERVICE],
      publisher,
      backoff: { baseMs: 5000, maxMs: 5000 },
      metricsListen: { host: '127.0.0.1', port: 0 },
      log: silentLogger,
    });
    await eventually(() => api.requestsOf(SERVICES_PATH, 'list').length === 1, 'the failed list');
    expect(forwarder.ready()).toEqual({ ready: false, reason: 'not yet listed: /api/v1/services' });
    const res = await fetch(`http://127.0.0.1:${forwarder.metricsAddress?.port}/readyz`);
    expect(res.status).toBe(503);
  });

  it('sends pending changes on stop instead of waiting for the flush interval', async () => {
    api.list(ROUTES_PATH, { body: fixture('httproutes-list.json') });
    const publisher = new RecordingEventPublisher();
    forwarder = await startForwarder({
      clusterId: 'prod-eu',
      kubeConfig: kubeConfigFor(api.url),
      kinds: [HTTPROUTE],
      publisher,
      flushIntervalMs: 60_000,
      backoff: FAST_BACKOFF,
      log: silentLogger,
    });
    await eventually(() => forwarder?.pending() === 3, 'the pending changes and the list');
    expect(publisher.events).toHaveLength(0);
    expect(await forwarder.stop()).toEqual({ unsent: 0 });
    expect(publisher.events).toHaveLength(3);
    // The list's event was handed over after its changes.
    expect(publisher.events.map((e) => e.detailType)).toEqual([
      CHANGE_EVENT_DETAIL_TYPE,
      CHANGE_EVENT_DETAIL_TYPE,
      COLLECTION_LISTED_DETAIL_TYPE,
    ]);
  });

  it('refuses to watch Secrets without a secret sink', async () => {
    await expect(
      startForwarder({
        clusterId: 'prod-eu',
        kubeConfig: kubeConfigFor(api.url),
        kinds: [SECRET],
        publisher: new RecordingEventPublisher(),
        log: silentLogger,
      }),
    ).rejects.toThrow(/secret sink/);
  });

  it('after a restart, names only the objects still listed, though no DELETE can be sent', async () => {
    // Prepare: the first run lists both routes.
    const list = fixture<{ items: Array<{ metadata: { name: string } }> }>('httproutes-list.json');
    const catalog = list.items.find((i) => i.metadata.name === 'catalog');
    api.list(ROUTES_PATH, { body: list }, { body: routeList('49000', [catalog]) });
    const options = {
      clusterId: 'prod-eu',
      kubeConfig: kubeConfigFor(api.url),
      kinds: [HTTPROUTE],
      flushIntervalMs: 10,
      resyncIntervalMs: 0,
      backoff: FAST_BACKOFF,
      log: silentLogger,
    };
    const first = new RecordingEventPublisher();
    forwarder = await startForwarder({ ...options, publisher: first });
    await eventually(() => listings(first).length === 1, 'the first list');
    await forwarder.stop();

    // Act: checkout is deleted while the forwarder is down; the new process starts with an empty cache.
    const second = new RecordingEventPublisher();
    forwarder = await startForwarder({ ...options, publisher: second, flushIntervalMs: 60_000 });
    await eventually(() => forwarder?.pending() === 2, 'the listed route and the list');
    await forwarder.stop();

    // Assess
    expect(listings(first)[0]?.names).toEqual([
      { namespace: 'shop', name: 'checkout' },
      { namespace: 'shop', name: 'catalog' },
    ]);
    expect(details(second).map((d) => `${d.change} ${d.name}@${d.resourceVersion}`)).toEqual([
      'UPSERT catalog@48102',
    ]);
    expect(listings(second)).toEqual([
      {
        schemaVersion: 1,
        clusterId: 'prod-eu',
        group: 'gateway.networking.k8s.io',
        version: 'v1',
        kind: 'HTTPRoute',
        resourceVersion: '49000',
        observedAt: expect.any(String),
        names: [{ namespace: 'shop', name: 'catalog' }],
      },
    ]);
    expect(second.events.at(-1)?.detailType).toBe(COLLECTION_LISTED_DETAIL_TYPE);
  });

  it('sends the event again after a relist on 410, per namespace scope', async () => {
    // Prepare: --namespaces shop; the watch expires, and the relist no longer holds checkout.
    const shopRoutes = collectionPath(HTTPROUTE, 'shop');
    const list = fixture<{ items: Array<{ metadata: { name: string } }> }>('httproutes-list.json');
    const catalog = list.items.find((i) => i.metadata.name === 'catalog');
    api.list(shopRoutes, { body: list }, { body: routeList('60100', [catalog]) });
    const publisher = new RecordingEventPublisher();
    forwarder = await startForwarder({
      clusterId: 'prod-eu',
      kubeConfig: kubeConfigFor(api.url),
      kinds: [HTTPROUTE],
      namespaces: ['shop'],
      publisher,
      flushIntervalMs: 10,
      resyncIntervalMs: 0,
      backoff: FAST_BACKOFF,
      log: silentLogger,
    });

    // Act: a list still pending would be replaced by the newer one, so the 410 comes after it was sent.
    await eventually(
      () => listings(publisher).length === 1 && api.openWatches(shopRoutes) === 1,
      'the first list',
    );
    api.send(shopRoutes, expiredEvent('48213', '55000'));
    api.endWatches(shopRoutes, 'close');
    await eventually(() => listings(publisher).length === 2, 'the list after the 410');

    // Assess
    expect(
      listings(publisher).map(
        (l) => `${l.namespace} @${l.resourceVersion} ${l.names?.map((n) => n.name).join(',')}`,
      ),
    ).toEqual(['shop @48213 checkout,catalog', 'shop @60100 catalog']);
    // The cache still had checkout, so the relist also sent its DELETE, at the list's version.
    await eventually(() => details(publisher).some((d) => d.change === 'DELETE'), 'the DELETE');
    expect(details(publisher).find((d) => d.change === 'DELETE')).toMatchObject({
      name: 'checkout',
      resourceVersion: '60100',
    });
  });
});
