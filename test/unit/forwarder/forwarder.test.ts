// startForwarder against the fake Kubernetes API: informers per kind feeding one batcher, resync
// events for every cached object, the metrics endpoint (/metrics, /healthz, /readyz), the Secret
// field selector, and stop() sending what is still pending.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../services/common/log.ts';
import {
  type RunningForwarder,
  SECRET_FIELD_SELECTOR,
  startForwarder,
} from '../../../services/forwarder/forwarder.ts';
import type { ChangeEventDetail } from '../../../shared/events/change-event.ts';
import type { SecretLocator, SecretSink } from '../../../shared/ports/secret-sink.ts';
import { RecordingEventPublisher } from '../pipeline/fakes.ts';
import { eventually, FakeKubeApi } from './fake-kube-api.ts';
import {
  FAST_BACKOFF,
  fixture,
  HTTPROUTE,
  kubeConfigFor,
  ROUTES_PATH,
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

const details = (p: RecordingEventPublisher) => p.events.map((e) => e.detail as ChangeEventDetail);

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

    await eventually(() => publisher.events.length === 5, 'the listed objects');
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
    // The Secret list excludes token and Helm release Secrets server-side.
    expect(api.requestsOf(SECRETS_PATH, 'list')[0]?.query.get('fieldSelector')).toBe(SECRET_FIELD_SELECTOR);
    await eventually(() => api.requestsOf(SECRETS_PATH, 'watch').length === 1, 'the Secret watch');
    expect(api.requestsOf(SECRETS_PATH, 'watch')[0]?.query.get('fieldSelector')).toBe(SECRET_FIELD_SELECTOR);
    expect(forwarder.ready()).toEqual({ ready: true });
    expect((await fetch(`${metricsUrl}/readyz`)).status).toBe(200);

    // A resync re-sends every cached object, marked as such.
    expect(forwarder.resync()).toBe(5);
    await eventually(() => publisher.events.length === 10, 'the resync events');
    expect(
      details(publisher)
        .slice(5)
        .every((d) => d.origin === 'resync'),
    ).toBe(true);

    const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(metrics).toContain('fleetplane_forwarder_forwarded_total{kind="HTTPRoute"} 4');
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
    await eventually(() => forwarder?.pending() === 2, 'the pending changes');
    expect(publisher.events).toHaveLength(0);
    expect(await forwarder.stop()).toEqual({ unsent: 0 });
    expect(publisher.events).toHaveLength(2);
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
});
