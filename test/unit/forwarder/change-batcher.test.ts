// ChangeBatcher: coalescing per object, sends of at most ten, the publisher's PutEvents batching
// and retries (the real EventBridgePublisher over a client that injects entry failures), requeues
// of transient failures, failures counted by reason, Secrets kept off the bus, the shutdown flush
// (bounded by its deadline even when PutEvents hangs), and Collection Listed events.

import type { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../services/common/log.ts';
import { ChangeBatcher } from '../../../services/forwarder/change-batcher.ts';
import { ForwarderMetrics } from '../../../services/forwarder/forwarder-metrics.ts';
import type { Observation } from '../../../services/forwarder/kind-informer.ts';
import { EventBridgePublisher } from '../../../shared/aws/event-bridge-publisher.ts';
import type { ChangeEventDetail } from '../../../shared/events/change-event.ts';
import {
  COLLECTION_LISTED_DETAIL_TYPE,
  type CollectionListedDetail,
} from '../../../shared/events/collection-listed.ts';
import type { KubeObjectLike } from '../../../shared/pipeline/object-to-change-event.ts';
import {
  EventPublishError,
  type EventPublisher,
  type OutboundEvent,
} from '../../../shared/ports/event-publisher.ts';
import type { SecretLocator, SecretSink } from '../../../shared/ports/secret-sink.ts';
import { MemoryClaimCheck, RecordingEventPublisher } from '../pipeline/fakes.ts';
import { eventually } from './fake-kube-api.ts';
import { fixture, HTTPROUTE, SECRET, SERVICE } from './fixtures.ts';

const OBSERVED = new Date('2026-03-02T10:00:00.000Z');

function route(name: string, resourceVersion: string, extra: Record<string, unknown> = {}): KubeObjectLike {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: 'shop', resourceVersion, uid: `uid-${name}` },
    spec: { parentRefs: [{ name: 'edge', namespace: 'infra' }] },
    ...extra,
  };
}

function seen(object: KubeObjectLike, more: Partial<Observation> = {}): Observation {
  return { kind: HTTPROUTE, change: 'UPSERT', origin: 'watch', object, observedAt: OBSERVED, ...more };
}

function batcher(
  publisher: EventPublisher,
  more: Partial<ConstructorParameters<typeof ChangeBatcher>[0]> = {},
) {
  const metrics = new ForwarderMetrics();
  const b = new ChangeBatcher({
    clusterId: 'prod-eu',
    publisher,
    mapping: {},
    metrics,
    log: silentLogger,
    flushIntervalMs: 60_000,
    backoff: { baseMs: 10, maxMs: 40 },
    now: () => new Date(OBSERVED.getTime() + 1500),
    ...more,
  });
  const value = (name: string, labels: Record<string, string> = {}) =>
    metrics.registry.sum(`fleetplane_forwarder_${name}`, labels);
  return { b, metrics, value };
}

const details = (events: readonly OutboundEvent[]) => events.map((e) => e.detail as ChangeEventDetail);

/** Fails the first `times` attempts of each event named in `codes` with that code, as EventPublishError. */
class FlakyPublisher implements EventPublisher {
  readonly accepted: OutboundEvent[] = [];
  readonly calls: number[] = [];
  readonly #attempts = new Map<string, number>();
  constructor(
    readonly codes: Record<string, string>,
    readonly times = 1,
    readonly message = 'injected (gave up after 6 attempts)',
  ) {}

  async putEvents(events: readonly OutboundEvent[]) {
    this.calls.push(events.length);
    const failures = [];
    for (const [index, event] of events.entries()) {
      const name = (event.detail as ChangeEventDetail).name;
      const tried = (this.#attempts.get(name) ?? 0) + 1;
      this.#attempts.set(name, tried);
      const code = this.codes[name];
      if (code && tried <= this.times) {
        failures.push({
          index,
          source: event.source,
          detailType: event.detailType,
          errorCode: code,
          errorMessage: this.message,
        });
      } else this.accepted.push(event);
    }
    const summary = { sent: events.length - failures.length, calls: 1, retries: 0 };
    if (failures.length > 0) throw new EventPublishError(failures, summary);
    return summary;
  }
}

class MemorySecretSink implements SecretSink {
  readonly stored = new Map<string, Record<string, string>>();
  readonly deleted: string[] = [];
  failures = 0;
  async putSecret(s: SecretLocator, data: Record<string, string>) {
    if (this.failures-- > 0) throw new Error('secretsmanager: connect ETIMEDOUT');
    const secretName = `fleetplane/${s.clusterId}/${s.namespace}/${s.name}`;
    this.stored.set(secretName, data);
    return { secretName, versionId: `v-${this.stored.size}` };
  }
  async deleteSecret(s: SecretLocator) {
    this.deleted.push(`${s.namespace}/${s.name}`);
  }
}

describe('ChangeBatcher', () => {
  it('coalesces changes of one object to the newest version and sends after the flush interval', async () => {
    const publisher = new RecordingEventPublisher();
    const { b, value } = batcher(publisher, { flushIntervalMs: 30 });
    b.enqueue(seen(route('a', '10')));
    b.enqueue(seen(route('a', '12')));
    b.enqueue(seen(route('a', '11'))); // older: ignored
    b.enqueue(seen(route('a', '12'), { origin: 'resync' })); // same version from a resync: ignored
    b.enqueue(seen(route('b', '5')));
    expect(b.size).toBe(2);
    expect(publisher.events).toHaveLength(0);

    await eventually(() => publisher.events.length === 2, 'the timed flush');
    expect(details(publisher.events).map((d) => `${d.name}@${d.resourceVersion} ${d.origin}`)).toEqual([
      'a@12 watch',
      'b@5 watch',
    ]);
    expect(value('forwarded_total', { kind: 'HTTPRoute' })).toBe(2);
    expect(value('lag_seconds')).toBe(1.5);
    expect(b.size).toBe(0);
  });

  it('sends at once when ten are waiting, and the publisher splits calls at ten entries and 256 KiB', async () => {
    const calls: number[][] = [];
    const client = {
      async send(command: PutEventsCommand) {
        const entries = command.input.Entries ?? [];
        calls.push(entries.map((e) => Buffer.byteLength(e.Detail ?? '')));
        return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `e${i}` })) };
      },
    } as unknown as EventBridgeClient;
    const publisher = new EventBridgePublisher({ eventBusName: 'bus', client });
    const { b } = batcher(publisher);
    // Each about 60 KB: four of them do not fit one 256 KiB call.
    for (let i = 0; i < 10; i++)
      b.enqueue(seen(route(`r${i}`, String(100 + i), { padding: 'x'.repeat(60_000) })));

    await eventually(() => calls.flat().length === 10, 'the ten events');
    expect(calls.every((c) => c.length <= 10)).toBe(true);
    expect(calls.every((c) => c.reduce((a, n) => a + n, 0) <= 256 * 1024)).toBe(true);
    expect(calls.length).toBeGreaterThanOrEqual(3);
  });

  it('retries entries that failed with a retryable code, through the publisher and by requeueing', async () => {
    let call = 0;
    const client = {
      async send(command: PutEventsCommand) {
        call++;
        const entries = command.input.Entries ?? [];
        // The entry of route "slow" is throttled on the first three calls that carry it.
        return {
          FailedEntryCount: 0,
          Entries: entries.map((e) =>
            JSON.parse(e.Detail ?? '{}').name === 'slow' && call <= 3
              ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }
              : { EventId: `e${call}` },
          ),
        };
      },
    } as unknown as EventBridgeClient;
    // Two rounds per putEvents: the publisher gives up after call 2, the batcher requeues.
    const publisher = new EventBridgePublisher({
      eventBusName: 'bus',
      client,
      maxAttempts: 2,
      sleep: async () => {},
    });
    const { b, value } = batcher(publisher);
    b.enqueue(seen(route('fast', '1')));
    b.enqueue(seen(route('slow', '2')));

    await b.flush();
    expect(value('forwarded_total')).toBe(1);
    expect(b.size).toBe(1);
    await eventually(() => value('forwarded_total') === 2, 'the requeued event', 5000);
    expect(value('retried_total')).toBeGreaterThanOrEqual(2); // one publisher retry, one requeue
    expect(value('failed_total')).toBe(0);
  });

  it('counts non-retryable failures by code and does not retry them', async () => {
    const publisher = new FlakyPublisher({ bad: 'MalformedDetail' }, 99, 'Detail is malformed.');
    const { b, value } = batcher(publisher);
    b.enqueue(seen(route('bad', '1')));
    b.enqueue(seen(route('good', '2')));
    await b.flush();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(publisher.calls).toEqual([2]);
    expect(value('failed_total', { kind: 'HTTPRoute', reason: 'MalformedDetail' })).toBe(1);
    expect(value('forwarded_total')).toBe(1);
    expect(b.size).toBe(0);
  });

  it('gives an event up after maxAttempts transient failures, counted as retriesExhausted', async () => {
    const publisher = new FlakyPublisher({ doomed: 'InternalFailure' }, 99);
    const { b, value } = batcher(publisher, { maxAttempts: 3 });
    b.enqueue(seen(route('doomed', '1')));
    void b.flush();
    await eventually(() => value('failed_total', { reason: 'retriesExhausted' }) === 1, 'the give-up');
    expect(publisher.calls).toEqual([1, 1, 1]);
    expect(b.size).toBe(0);
  });

  it('never gives up a DELETE on transient failures: no resync or list would send it again', async () => {
    const publisher = new FlakyPublisher({ gone: 'InternalFailure' }, 5);
    const { b, value } = batcher(publisher, { maxAttempts: 3 });
    b.enqueue(seen(route('gone', '9'), { change: 'DELETE' }));
    void b.flush();
    await eventually(() => value('forwarded_total') === 1, 'the delete, on its sixth attempt', 10_000);
    expect(publisher.calls).toEqual([1, 1, 1, 1, 1, 1]);
    expect(value('failed_total', { reason: 'retriesExhausted' })).toBe(0);
    expect(b.size).toBe(0);
  });

  it('stores Secret data in the secret sink and puts only the reference and key names on the bus', async () => {
    const publisher = new RecordingEventPublisher();
    const sink = new MemorySecretSink();
    sink.failures = 1; // the first attempt fails transiently and is requeued
    const { b, value } = batcher(publisher, { mapping: { secretSink: sink } });
    const [secret] = fixture<{ items: Array<Record<string, unknown>> }>('secrets-list.json').items;
    const object = { apiVersion: 'v1', kind: 'Secret', ...secret } as KubeObjectLike;
    b.enqueue({ kind: SECRET, change: 'UPSERT', origin: 'watch', object, observedAt: OBSERVED });
    void b.flush();

    await eventually(() => publisher.events.length === 1, 'the Secret event');
    const [detail] = details(publisher.events);
    expect(detail?.secretRef).toEqual({ secretName: 'fleetplane/prod-eu/shop/openai-key', versionId: 'v-1' });
    expect(detail?.object?.data).toEqual({ apiKey: '' });
    expect(sink.stored.get('fleetplane/prod-eu/shop/openai-key')).toEqual({
      apiKey: 'c2stdGVzdC1ub3QtYS1yZWFsLWtleQ==',
    });
    const wire = JSON.stringify(publisher.events);
    expect(wire).not.toContain('c2stdGVzdC1ub3QtYS1yZWFsLWtleQ==');
    expect(wire).not.toContain('sk-test-not-a-real-key');
    expect(value('retried_total')).toBe(1);

    b.enqueue({
      kind: SECRET,
      change: 'DELETE',
      origin: 'watch',
      object: { ...object, metadata: { ...object.metadata, resourceVersion: '52400' } },
      observedAt: OBSERVED,
    });
    await b.flush();
    expect(sink.deleted).toEqual(['shop/openai-key']);
    expect(details(publisher.events)[1]).toMatchObject({ change: 'DELETE', resourceVersion: '52400' });
    expect(details(publisher.events)[1]?.object).toBeUndefined();
  });

  it('fails objects that cannot be mapped (a Secret without a sink, an oversized object without a claim check)', async () => {
    const publisher = new RecordingEventPublisher();
    const { b, value } = batcher(publisher);
    const [secret] = fixture<{ items: Array<Record<string, unknown>> }>('secrets-list.json').items;
    b.enqueue({
      kind: SECRET,
      change: 'UPSERT',
      origin: 'watch',
      object: { apiVersion: 'v1', kind: 'Secret', ...secret } as KubeObjectLike,
      observedAt: OBSERVED,
    });
    b.enqueue(seen(route('huge', '7', { padding: 'x'.repeat(200 * 1024) })));
    await b.flush();
    expect(publisher.events).toHaveLength(0);
    expect(value('failed_total', { kind: 'Secret', reason: 'mapping' })).toBe(1);
    expect(value('failed_total', { kind: 'HTTPRoute', reason: 'mapping' })).toBe(1);
    expect(b.size).toBe(0);
  });

  it('sends an oversized object through the claim check', async () => {
    const publisher = new RecordingEventPublisher();
    const claimCheck = new MemoryClaimCheck();
    const { b } = batcher(publisher, { mapping: { claimCheck } });
    b.enqueue(seen(route('huge', '7', { padding: 'x'.repeat(200 * 1024) })));
    await b.flush();
    const [detail] = details(publisher.events);
    expect(detail?.object).toBeUndefined();
    expect(detail?.objectRef?.key).toContain('prod-eu/gateway.networking.k8s.io/HTTPRoute/shop/huge');
    expect(claimCheck.objects.size).toBe(1);
  });

  it('flushes what is pending on close, retrying transient failures until the deadline', async () => {
    const publisher = new FlakyPublisher({ flaky: 'ThrottlingException' }, 2);
    const { b, value } = batcher(publisher);
    b.enqueue(seen(route('flaky', '1')));
    b.enqueue({
      ...seen(route('svc', '3')),
      kind: SERVICE,
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'svc', namespace: 'shop', resourceVersion: '3' },
        spec: {},
      },
    });
    const result = await b.close(5000);
    expect(result).toEqual({ unsent: 0 });
    expect(
      details(publisher.accepted)
        .map((d) => d.name)
        .sort(),
    ).toEqual(['flaky', 'svc']);
    expect(value('forwarded_total')).toBe(2);
  });

  it('counts what it could not send before the close deadline as failed (shutdown)', async () => {
    const publisher = new FlakyPublisher({ stuck: 'ServiceUnavailable' }, 999);
    const { b, value } = batcher(publisher, { maxAttempts: 1000 });
    b.enqueue(seen(route('stuck', '1')));
    const result = await b.close(150);
    expect(result).toEqual({ unsent: 1 });
    expect(value('failed_total', { reason: 'shutdown' })).toBe(1);
    expect(publisher.calls.length).toBeGreaterThanOrEqual(2);
  });

  it.each([
    ['a flush under way when close starts', true],
    ['the send close itself starts', false],
  ])('returns at the close deadline while PutEvents hangs (%s)', async (_, flushFirst) => {
    // Prepare: PutEvents never answers until released.
    let release: () => void = () => {};
    const hanging: EventPublisher = {
      putEvents: (events) =>
        new Promise((resolve) => {
          release = () => resolve({ sent: events.length, calls: 1, retries: 0 });
        }),
    };
    const { b, value } = batcher(hanging);
    b.enqueue(seen(route('a', '1')));
    b.enqueue(seen(route('b', '2')));
    if (flushFirst) void b.flush();

    // Act
    const started = Date.now();
    const result = await b.close(150);
    const elapsed = Date.now() - started;

    // Assess: both changes were in the unanswered call, so neither is confirmed.
    expect(elapsed).toBeLessThan(1000);
    expect(result).toEqual({ unsent: 2 });
    expect(value('failed_total', { reason: 'shutdown' })).toBe(2);
    release();
  });

  it('sends a Collection Listed event after the changes, the newest list replacing a pending one', async () => {
    const publisher = new RecordingEventPublisher();
    const { b } = batcher(publisher);
    const listing = (resourceVersion: string, names: string[]) => ({
      kind: HTTPROUTE,
      namespace: 'shop',
      resourceVersion,
      names: names.map((name) => ({ namespace: 'shop', name })),
      observedAt: OBSERVED,
    });
    b.enqueue(seen(route('a', '10')));
    b.enqueueListing(listing('20', ['a', 'b']));
    b.enqueueListing(listing('30', ['a']));
    b.enqueueListing(listing('25', ['a', 'b'])); // older than the pending one: ignored
    await b.flush();
    expect(publisher.events.map((e) => e.detailType)).toEqual([
      'Kubernetes Object Change',
      COLLECTION_LISTED_DETAIL_TYPE,
    ]);
    expect(publisher.events[1]?.detail).toEqual({
      schemaVersion: 1,
      clusterId: 'prod-eu',
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      kind: 'HTTPRoute',
      namespace: 'shop',
      resourceVersion: '30',
      observedAt: OBSERVED.toISOString(),
      names: [{ namespace: 'shop', name: 'a' }],
    });
  });

  it('claim-checks the names of a large list, and keeps retrying a list like a DELETE', async () => {
    const claimCheck = new MemoryClaimCheck();
    let failuresLeft = 4;
    const accepted: OutboundEvent[] = [];
    const flaky: EventPublisher = {
      async putEvents(events) {
        if (failuresLeft-- > 0) throw new Error('connect ETIMEDOUT');
        accepted.push(...events);
        return { sent: events.length, calls: 1, retries: 0 };
      },
    };
    const { b, value } = batcher(flaky, {
      mapping: { claimCheck, claimCheckThresholdBytes: 64 },
      maxAttempts: 2,
      flushIntervalMs: 5,
    });
    b.enqueueListing({
      kind: HTTPROUTE,
      resourceVersion: '40',
      names: Array.from({ length: 10 }, (_, i) => ({ namespace: 'shop', name: `route-${i}` })),
      observedAt: OBSERVED,
    });
    await b.flush();
    await eventually(() => accepted.length === 1, 'the list event after four failed sends');
    const detail = accepted[0]?.detail as CollectionListedDetail;
    expect(detail.names).toBeUndefined();
    const stored = await claimCheck.get(detail.namesRef ?? { bucket: '', key: '', sha256: '' });
    expect(JSON.parse(new TextDecoder().decode(stored))).toHaveLength(10);
    expect(value('failed_total')).toBe(0);
  });
});
