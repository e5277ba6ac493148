// KindInformer (client-node ListWatch plus restarts) against a Kubernetes API served over HTTP by
// FakeKubeApi, replaying recorded list and watch responses: list then watch from the list's
// resourceVersion, paging, bookmarks, 410 Gone both ways, clean closes, resets and failing lists.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KindInformer } from '../../../services/forwarder/kind-informer.ts';
import { bookmark, eventually, expiredEvent, FakeKubeApi, status } from './fake-kube-api.ts';
import {
  fixture,
  HTTPROUTE,
  informerOn,
  ROUTES_PATH,
  routeList,
  SERVICE,
  SERVICES_PATH,
  summary,
} from './fixtures.ts';

const ROUTES = 'gateway.networking.k8s.io/v1';
type Item = { metadata: { name: string; resourceVersion: string } };

let api: FakeKubeApi;
let running: KindInformer[] = [];

beforeEach(async () => {
  api = new FakeKubeApi();
  await api.start();
});

afterEach(async () => {
  await Promise.all(running.map((i) => i.stop()));
  running = [];
  await api.stop();
});

function start(...args: Parameters<typeof informerOn>) {
  const made = informerOn(...args);
  running.push(made.informer);
  made.informer.start();
  return made;
}

const watchRvs = (path: string) => api.requestsOf(path, 'watch').map((r) => r.query.get('resourceVersion'));

describe('KindInformer', () => {
  it('lists, then watches from the list resourceVersion with bookmarks, and forwards watch events', async () => {
    const events = fixture<unknown[]>('httproutes-watch.json');
    api.list(ROUTES_PATH, { body: fixture('httproutes-list.json') });
    api.watch(ROUTES_PATH, { events });

    const { informer, seen, metrics } = start(api.url, HTTPROUTE);
    await eventually(() => seen.length === 5, 'the listed and watched routes');

    expect(summary(seen)).toEqual([
      'watch UPSERT checkout@47990',
      'watch UPSERT catalog@48102',
      'watch UPSERT catalog@48377',
      'watch UPSERT search@48401',
      'watch DELETE checkout@48415',
    ]);
    const [watch] = api.requestsOf(ROUTES_PATH, 'watch');
    expect(watch?.query.get('resourceVersion')).toBe('48213');
    expect(watch?.query.get('allowWatchBookmarks')).toBe('true');
    expect(watch?.authorization).toBe('Bearer test-token');
    const [list] = api.requestsOf(ROUTES_PATH, 'list');
    expect(list?.query.get('limit')).toBe('500');
    expect(informer.synced).toBe(true);
    expect(informer.resourceVersion).toBe('48415');
    expect(metrics.registry.value('fleetplane_forwarder_lists_total', { kind: 'HTTPRoute' })).toBe(1);
    expect(
      informer
        .cached()
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['catalog', 'search']);
  });

  it('follows continue tokens, keeps the first page resourceVersion and types core items', async () => {
    const page1 = fixture<{ metadata: { continue: string } }>('services-list-page1.json');
    api.list(SERVICES_PATH, { body: page1 }, { body: fixture('services-list-page2.json') });

    const { seen } = start(api.url, SERVICE, { pageSize: 1 });
    await eventually(() => api.requestsOf(SERVICES_PATH, 'watch').length === 1, 'the watch');

    const lists = api.requestsOf(SERVICES_PATH, 'list');
    expect(lists.map((r) => [r.query.get('limit'), r.query.get('continue')])).toEqual([
      ['1', null],
      ['1', page1.metadata.continue],
    ]);
    expect(watchRvs(SERVICES_PATH)).toEqual(['51007']);
    // Items of built-in lists come without apiVersion and kind; events need both.
    expect(seen.map((o) => [o.object.apiVersion, o.object.kind, o.object.metadata.name])).toEqual([
      ['v1', 'Service', 'catalog'],
      ['v1', 'Service', 'checkout'],
    ]);
  });

  it('moves the resourceVersion forward on bookmarks and resumes from it after a clean close', async () => {
    api.list(ROUTES_PATH, { body: fixture('httproutes-list.json') });
    api.watch(ROUTES_PATH, { events: [bookmark(ROUTES, 'HTTPRoute', '49000')], end: 'close' });

    const { informer, seen, metrics } = start(api.url, HTTPROUTE);
    await eventually(() => api.openWatches(ROUTES_PATH) === 1, 'the second watch');

    expect(watchRvs(ROUTES_PATH)).toEqual(['48213', '49000']);
    expect(api.requestsOf(ROUTES_PATH, 'list')).toHaveLength(1);
    expect(summary(seen)).toHaveLength(2); // the two listed routes; a bookmark is no change
    expect(metrics.registry.value('fleetplane_forwarder_bookmarks_total', { kind: 'HTTPRoute' })).toBe(1);
    expect(informer.resourceVersion).toBe('49000');
  });

  it('relists after a watch ERROR event with code 410, and sends only what changed', async () => {
    const list = fixture<{ items: Item[] }>('httproutes-list.json');
    const [checkout, catalog] = list.items;
    const catalogV2 = { ...catalog, metadata: { ...catalog?.metadata, resourceVersion: '60010' } };
    api.list(ROUTES_PATH, { body: list }, { body: routeList('60100', [catalogV2]) });
    api.watch(ROUTES_PATH, { events: [expiredEvent('48213', '55000')], end: 'close' });

    const { seen, metrics } = start(api.url, HTTPROUTE);
    await eventually(() => seen.length === 4, 'the changes found by the relist');

    expect(checkout?.metadata.name).toBe('checkout');
    expect(summary(seen)).toEqual([
      'watch UPSERT checkout@47990',
      'watch UPSERT catalog@48102',
      // Gone from the relist: the delete carries the relist's version, the newest it can be.
      'watch DELETE checkout@60100',
      'watch UPSERT catalog@60010',
    ]);
    await eventually(() => watchRvs(ROUTES_PATH).length === 2, 'the watch after the relist');
    expect(watchRvs(ROUTES_PATH)).toEqual(['48213', '60100']);
    expect(metrics.registry.value('fleetplane_forwarder_watch_expired_total', { kind: 'HTTPRoute' })).toBe(1);
    expect(metrics.registry.value('fleetplane_forwarder_lists_total', { kind: 'HTTPRoute' })).toBe(2);
  });

  it('relists when the watch request itself is answered 410 Gone', async () => {
    const list = fixture('httproutes-list.json');
    api.list(ROUTES_PATH, { body: list }, { body: routeList('61000', []) });
    api.watch(ROUTES_PATH, {
      status: 410,
      body: status(410, 'Expired', 'too old resource version: 48213 (55000)'),
    });

    const { seen, metrics } = start(api.url, HTTPROUTE);
    await eventually(() => watchRvs(ROUTES_PATH).length === 2, 'the watch after the relist');

    expect(watchRvs(ROUTES_PATH)).toEqual(['48213', '61000']);
    expect(summary(seen).slice(2)).toEqual(['watch DELETE checkout@61000', 'watch DELETE catalog@61000']);
    expect(metrics.registry.value('fleetplane_forwarder_watch_expired_total', { kind: 'HTTPRoute' })).toBe(1);
  });

  it('reconnects from the last event resourceVersion after a connection reset, without relisting', async () => {
    const events = fixture<unknown[]>('httproutes-watch.json');
    api.list(ROUTES_PATH, { body: fixture('httproutes-list.json') });
    api.watch(ROUTES_PATH, { events: events.slice(0, 2), end: 'reset' });

    const { seen, informer } = start(api.url, HTTPROUTE);
    await eventually(() => watchRvs(ROUTES_PATH).length === 2, 'the watch after the reset');

    expect(watchRvs(ROUTES_PATH)).toEqual(['48213', '48401']);
    expect(api.requestsOf(ROUTES_PATH, 'list')).toHaveLength(1);
    expect(summary(seen)).toHaveLength(4);
    // The new stream carries on.
    await eventually(() => api.openWatches(ROUTES_PATH) === 1, 'the open watch');
    api.send(ROUTES_PATH, events[2]);
    await eventually(() => seen.length === 5, 'the delete on the new stream');
    expect(summary(seen)[4]).toBe('watch DELETE checkout@48415');
    expect(informer.state).toBe('synced');
  });

  it('reconnects after an open watch is reset by the server side', async () => {
    api.list(ROUTES_PATH, { body: fixture('httproutes-list.json') });
    start(api.url, HTTPROUTE);
    await eventually(() => api.openWatches(ROUTES_PATH) === 1, 'the first watch');
    api.send(ROUTES_PATH, bookmark(ROUTES, 'HTTPRoute', '50000'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    api.endWatches(ROUTES_PATH, 'reset');
    await eventually(() => watchRvs(ROUTES_PATH).length === 2, 'the watch after the reset');
    expect(watchRvs(ROUTES_PATH)).toEqual(['48213', '50000']);
  });

  it('restarts with backoff when the list fails, and when a watch is refused', async () => {
    api.list(
      ROUTES_PATH,
      { status: 500, body: status(500, 'InternalError', 'etcdserver: request timed out') },
      { status: 403, body: status(403, 'Forbidden', 'httproutes is forbidden: User cannot list') },
      { body: fixture('httproutes-list.json') },
    );
    api.watch(ROUTES_PATH, { status: 500 });

    const { informer, seen, metrics } = start(api.url, HTTPROUTE);
    await eventually(() => api.openWatches(ROUTES_PATH) === 1, 'a watch after the failures');

    expect(api.requestsOf(ROUTES_PATH, 'list')).toHaveLength(3);
    // The refused watch resumes from the listed version; it does not list again.
    expect(watchRvs(ROUTES_PATH)).toEqual(['48213', '48213']);
    expect(
      metrics.registry.value('fleetplane_forwarder_informer_restarts_total', { kind: 'HTTPRoute' }),
    ).toBe(3);
    expect(summary(seen)).toHaveLength(2);
    expect(informer.state).toBe('synced');
  });

  it('reports a kind the server does not serve (404) as notServed and keeps retrying', async () => {
    const { informer, metrics } = start(api.url, HTTPROUTE);
    await eventually(() => api.requestsOf(ROUTES_PATH, 'list').length >= 2, 'a retried list');
    expect(informer.state).toBe('notServed');
    expect(informer.synced).toBe(false);
    expect(
      metrics.registry.value('fleetplane_forwarder_informer_restarts_total', { kind: 'HTTPRoute' }),
    ).toBeGreaterThanOrEqual(1);

    // Once the CRD is installed it lists and watches.
    api.list(ROUTES_PATH, { body: fixture('httproutes-list.json') });
    await eventually(() => informer.synced, 'the list once served', 5000);
  });

  it('stops: no new requests and no more observations', async () => {
    api.list(ROUTES_PATH, { body: fixture('httproutes-list.json') });
    const { informer, seen } = start(api.url, HTTPROUTE);
    await eventually(() => api.openWatches(ROUTES_PATH) === 1, 'the watch');
    await informer.stop();
    const before = api.requests.length;
    api.send(ROUTES_PATH, fixture<unknown[]>('httproutes-watch.json')[1]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(api.requests.length).toBe(before);
    expect(seen).toHaveLength(2);
    expect(informer.state).toBe('stopped');
  });
});
