// NACK reporting without the network: the bus event's schema, the throttle that keeps a NACK storm
// off the bus, the EventBridge reporter's queueing and outcomes (over an in-memory EventPublisher),
// and fanning one NACK out to several reporters.

import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../services/common/log.ts';
import {
  allNackReporters,
  type NackReport,
  type NackReporter,
} from '../../../services/relay/nack-reporter.ts';
import {
  EventBridgeNackReporter,
  type NackEventOutcome,
} from '../../../shared/aws/event-bridge-nack-reporter.ts';
import { NACK_DETAIL_TYPE, PROXY_EVENT_SOURCE } from '../../../shared/pipeline/definition.ts';
import {
  NACK_MESSAGE_MAX_CHARS,
  NackEventThrottle,
  RelayNackDetailSchema,
  relayNackEvent,
  relayNackEventPattern,
} from '../../../shared/pipeline/relay-events.ts';
import {
  EventPublishError,
  type EventPublisher,
  type OutboundEvent,
  type PutEventsSummary,
} from '../../../shared/ports/event-publisher.ts';

const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';

function nack(overrides: Partial<NackReport> = {}): NackReport {
  return {
    clusterId: 'c1',
    gateway: { namespace: 'infra', name: 'edge' },
    nodeId: 'edge-1',
    typeUrl: LDS,
    version: '7',
    message: 'duplicate listener address 0.0.0.0:8080',
    at: '2026-03-01T10:00:00.000Z',
    ...overrides,
  };
}

/** An EventPublisher that keeps what it is given; `fail` names entries (by nodeId) it refuses. */
class MemoryPublisher implements EventPublisher {
  readonly calls: OutboundEvent[][] = [];
  constructor(private readonly fail: (event: OutboundEvent) => string | undefined = () => undefined) {}
  async putEvents(events: readonly OutboundEvent[]): Promise<PutEventsSummary> {
    this.calls.push([...events]);
    const failures = events.flatMap((event, index) => {
      const code = this.fail(event);
      return code
        ? [{ index, source: event.source, detailType: event.detailType, errorCode: code, errorMessage: 'no' }]
        : [];
    });
    const summary = { sent: events.length - failures.length, calls: 1, retries: 0 };
    if (failures.length > 0) throw new EventPublishError(failures, summary);
    return summary;
  }
}

describe('relayNackEvent', () => {
  it("is the pipeline's NACK event, with the NACK as its detail and its time", () => {
    // Act
    const event = relayNackEvent(nack());

    // Assess
    expect(event).toEqual({
      source: PROXY_EVENT_SOURCE,
      detailType: NACK_DETAIL_TYPE,
      detail: nack(),
      time: new Date('2026-03-01T10:00:00.000Z'),
    });
    expect(relayNackEventPattern()).toEqual({
      source: ['fleetplane.relay'],
      'detail-type': [NACK_DETAIL_TYPE],
    });
    expect(RelayNackDetailSchema.parse(JSON.parse(JSON.stringify(event.detail)))).toEqual(nack());
  });

  it('cuts a long error message to the limit and says so', () => {
    // Act
    const { detail } = relayNackEvent(nack({ message: 'x'.repeat(100_000) }));

    // Assess
    expect((detail.message as string).length).toBe(NACK_MESSAGE_MAX_CHARS);
    expect(detail.message).toMatch(/… \(truncated\)$/);
  });

  it('refuses a NACK that does not fit the schema, naming the field', () => {
    expect(() => relayNackEvent(nack({ clusterId: '' }))).toThrow(/clusterId/);
    expect(() => relayNackEvent(nack({ at: 'yesterday' }))).toThrow(/at/);
  });
});

describe('NackEventThrottle', () => {
  it('sends a (node, type, version) once per window', () => {
    // Prepare
    const throttle = new NackEventThrottle({ dedupeWindowMs: 60_000 });

    // Act + Assess
    expect(throttle.admit(nack(), 0)).toBe('send');
    expect(throttle.admit(nack(), 1_000)).toBe('duplicate');
    expect(throttle.admit(nack({ version: '8' }), 1_000)).toBe('send');
    expect(throttle.admit(nack({ typeUrl: `${LDS}x` }), 1_000)).toBe('send');
    expect(throttle.admit(nack({ gateway: { namespace: 'infra', name: 'other' } }), 1_000)).toBe('send');
    expect(throttle.admit(nack(), 60_000)).toBe('send');
  });

  it('caps the nodes reported per gateway version, and counts the rest', () => {
    // Prepare
    const throttle = new NackEventThrottle({ maxNodesPerVersion: 2, dedupeWindowMs: 60_000 });

    // Act
    const outcomes = ['a', 'b', 'c', 'd'].map((nodeId, i) => throttle.admit(nack({ nodeId }), i));

    // Assess
    expect(outcomes).toEqual(['send', 'send', 'version-capped', 'version-capped']);
    expect(throttle.admit(nack({ nodeId: 'c', version: '8' }), 10)).toBe('send');
    expect(throttle.admit(nack({ nodeId: 'c' }), 60_001)).toBe('send');
  });

  it('rate-limits across gateways with a token bucket', () => {
    // Prepare
    const throttle = new NackEventThrottle({ ratePerSecond: 2, burst: 3 });
    const gateway = (i: number) => ({ namespace: 'ns', name: `gw-${i}` });

    // Act
    const burst = [0, 1, 2, 3].map((i) => throttle.admit(nack({ gateway: gateway(i) }), 0));
    const afterHalfASecond = throttle.admit(nack({ gateway: gateway(4) }), 500);
    const tooSoon = throttle.admit(nack({ gateway: gateway(5) }), 600);

    // Assess
    expect(burst).toEqual(['send', 'send', 'send', 'rate-limited']);
    expect(afterHalfASecond).toBe('send');
    expect(tooSoon).toBe('rate-limited');
    // A rate-limited NACK was not remembered, so it may go once tokens are back.
    expect(throttle.admit(nack({ gateway: gateway(3) }), 2_000)).toBe('send');
  });

  it('forgets the oldest keys beyond maxKeys', () => {
    // Prepare
    const throttle = new NackEventThrottle({ maxKeys: 2, maxNodesPerVersion: 100 });

    // Act
    for (const nodeId of ['a', 'b', 'c']) throttle.admit(nack({ nodeId }), 0);

    // Assess: 'a' was forgotten, 'c' is still remembered.
    expect(throttle.admit(nack({ nodeId: 'a' }), 1)).toBe('send');
    expect(throttle.admit(nack({ nodeId: 'c' }), 1)).toBe('duplicate');
  });
});

describe('EventBridgeNackReporter', () => {
  function reporter(publisher: EventPublisher, options: { maxQueue?: number } = {}) {
    const outcomes: Array<[NackEventOutcome, string, string?]> = [];
    let now = 0;
    const r = new EventBridgeNackReporter({
      eventBusName: 'bus',
      publisher,
      flushDelayMs: 60_000,
      now: () => now,
      throttle: { maxNodesPerVersion: 2 },
      onOutcome: (outcome, n, error) => outcomes.push([outcome, n.nodeId, error?.message]),
      ...options,
    });
    return { r, outcomes, tick: (ms: number) => (now += ms) };
  }

  it('queues a storm, sends what the throttle admits in one flush, and accounts for every NACK', async () => {
    // Prepare
    const publisher = new MemoryPublisher();
    const { r, outcomes } = reporter(publisher);

    // Act: three proxies reject version 7, one of them twice.
    for (const nodeId of ['a', 'a', 'b', 'c']) r.report(nack({ nodeId }));
    const beforeFlush = publisher.calls.length;
    await r.flush();

    // Assess
    expect(beforeFlush).toBe(0);
    expect(publisher.calls).toHaveLength(1);
    expect(publisher.calls[0]?.map((e) => e.detail.nodeId)).toEqual(['a', 'b']);
    expect(outcomes).toEqual([
      ['duplicate', 'a', undefined],
      ['version-capped', 'c', undefined],
      ['sent', 'a', undefined],
      ['sent', 'b', undefined],
    ]);
  });

  it('sends on its own after the flush delay, and on close', async () => {
    // Prepare
    const publisher = new MemoryPublisher();
    const outcomes: NackEventOutcome[] = [];
    const r = new EventBridgeNackReporter({
      eventBusName: 'bus',
      publisher,
      flushDelayMs: 10,
      onOutcome: (o) => outcomes.push(o),
    });

    // Act
    r.report(nack({ nodeId: 'timer' }));
    const deadline = Date.now() + 5_000;
    while (publisher.calls.length === 0 && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 5));
    r.report(nack({ nodeId: 'closing', version: '8' }));
    await r.close();

    // Assess
    expect(publisher.calls.map((c) => c.map((e) => e.detail.nodeId))).toEqual([['timer'], ['closing']]);
    expect(outcomes).toEqual(['sent', 'sent']);
  });

  it('reports entries the bus refused as failed, and the others as sent', async () => {
    // Prepare
    const publisher = new MemoryPublisher((e) =>
      e.detail.nodeId === 'b' ? 'AccessDeniedException' : undefined,
    );
    const { r, outcomes } = reporter(publisher);

    // Act
    r.report(nack({ nodeId: 'a' }));
    r.report(nack({ nodeId: 'b' }));
    await r.flush();

    // Assess
    expect(outcomes).toEqual([
      ['sent', 'a', undefined],
      ['failed', 'b', 'AccessDeniedException: no'],
    ]);
  });

  it('reports every queued NACK as failed when the call itself fails', async () => {
    // Prepare
    const { r, outcomes } = reporter({
      putEvents: async () => {
        throw new Error('getaddrinfo ENOTFOUND events.example');
      },
    });

    // Act
    r.report(nack({ nodeId: 'a' }));
    await r.flush();

    // Assess
    expect(outcomes).toEqual([['failed', 'a', 'getaddrinfo ENOTFOUND events.example']]);
  });

  it('drops NACKs beyond its queue and ones that do not fit the schema, saying so', async () => {
    // Prepare
    const publisher = new MemoryPublisher();
    const { r, outcomes } = reporter(publisher, { maxQueue: 1 });

    // Act
    r.report(nack({ nodeId: 'a' }));
    r.report(nack({ nodeId: 'b' }));
    r.report(nack({ nodeId: 'c', at: 'not a time' }));
    await r.flush();

    // Assess
    expect(outcomes.map(([o, n]) => [o, n])).toEqual([
      ['queue-full', 'b'],
      ['invalid', 'c'],
      ['sent', 'a'],
    ]);
    expect(outcomes[1]?.[2]).toMatch(/at/);
  });
});

describe('allNackReporters', () => {
  it('reports to each in turn, even when one throws or rejects, and closes them all', async () => {
    // Prepare
    const seen: string[] = [];
    const errors: string[] = [];
    const log = { ...silentLogger, error: (message: string) => errors.push(message) };
    let closed = 0;
    const reporters: NackReporter[] = [
      {
        report() {
          throw new Error('boom');
        },
      },
      { report: async () => Promise.reject(new Error('later')) },
      {
        report: (n) => {
          seen.push(n.nodeId);
        },
        close: async () => {
          closed++;
        },
      },
    ];

    // Act
    const all = allNackReporters(reporters, log);
    all.report(nack());
    await new Promise((res) => setImmediate(res));
    await all.close?.();

    // Assess
    expect(seen).toEqual(['edge-1']);
    expect(errors).toHaveLength(2);
    expect(closed).toBe(1);
  });
});
