// A gateway's ADS stream to a parent relay, driven response by response through a fake parent:
// what it subscribes to, what it ACKs and NACKs, the snapshots it hands over, and how it reconnects.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../services/common/log.ts';
import type { SotwRequest } from '../../../services/relay/ads/messages.ts';
import type { NackReport } from '../../../services/relay/nack-reporter.ts';
import { RelayMetrics } from '../../../services/relay/relay-metrics.ts';
import {
  ParentFeed,
  type UpstreamCall,
  type UpstreamConnector,
  type UpstreamHandlers,
} from '../../../services/relay/source/parent-feed.ts';
import type { SourceSnapshot } from '../../../services/relay/source/snapshot-source.ts';
import { type AnyResource, encodeDiscoveryResponse } from '../../../shared/codec/index.ts';
import { type JsonObject, TypeUrl } from '../../../shared/xds/types.ts';
import { cluster, endpoints, GATEWAY, httpListener, NODE_CLUSTER, route } from './fixtures.ts';

const { Cluster: CDS, ClusterLoadAssignment: EDS, Listener: LDS, RouteConfiguration: RDS } = TypeUrl;

class FakeCall implements UpstreamCall {
  readonly requests: SotwRequest[] = [];
  cancelled = false;
  #nonce = 0;
  constructor(readonly handlers: UpstreamHandlers) {}
  write(request: SotwRequest): void {
    this.requests.push(structuredClone(request));
  }
  cancel(): void {
    this.cancelled = true;
    this.handlers.closed({ code: 1, details: 'Cancelled on client' });
  }
  /** Sends a DiscoveryResponse; returns its nonce. */
  respond(typeUrl: string, versionInfo: string, resources: Array<JsonObject | AnyResource>): string {
    const nonce = `n${++this.#nonce}`;
    this.handlers.response(encodeDiscoveryResponse({ typeUrl, versionInfo, resources, nonce }));
    return nonce;
  }
}

class FakeParent implements UpstreamConnector {
  readonly target = 'parent.test:18000';
  readonly calls: FakeCall[] = [];
  connectivity = 'READY';
  open(handlers: UpstreamHandlers): UpstreamCall {
    const call = new FakeCall(handlers);
    this.calls.push(call);
    return call;
  }
  state(): string {
    return this.connectivity;
  }
  close(): void {}
  get call(): FakeCall {
    const call = this.calls[this.calls.length - 1];
    if (!call) throw new Error('no call opened');
    return call;
  }
}

const summary = (r: SotwRequest) =>
  `${r.typeUrl.split('.').pop()} v=${r.versionInfo} names=${r.resourceNames.join(',')} nonce=${r.responseNonce}` +
  (r.errorDetail ? ' NACK' : '');

function setup(overrides: { settleMs?: number; random?: () => number } = {}) {
  const parent = new FakeParent();
  const accepted: SourceSnapshot[] = [];
  const reports: NackReport[] = [];
  const metrics = new RelayMetrics();
  const feed = new ParentFeed({
    ...GATEWAY,
    nodeId: 'child-relay',
    connector: parent,
    sink: { accept: (s) => accepted.push(s) },
    log: silentLogger,
    metrics,
    reconnect: { baseMs: 100, maxMs: 1_000 },
    settleMs: overrides.settleMs ?? 1_000,
    nackReporter: { report: (r) => void reports.push(r) },
    random: overrides.random ?? (() => 0),
  });
  /** Serves v`version` of a full gateway: clusters a and b over EDS, listener l1 with route r1. */
  const serveAll = (version: string, routeTo = 'a') => {
    parent.call.respond(CDS, version, [cluster('a'), cluster('b')]);
    parent.call.respond(EDS, version, [endpoints('a', 1), endpoints('b', 2)]);
    parent.call.respond(LDS, version, [httpListener('l1', 8080, 'r1')]);
    parent.call.respond(RDS, version, [route('r1', routeTo)]);
  };
  return { parent, feed, accepted, reports, metrics, serveAll };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('ParentFeed', () => {
  it('subscribes as a proxy would: node first, CDS and LDS wildcard, then the EDS and RDS names they reference', () => {
    // Prepare
    const { parent, feed } = setup();

    // Act
    feed.start();
    const opening = parent.call.requests.map(summary);
    parent.call.respond(CDS, '1', [cluster('a'), cluster('b')]);
    parent.call.respond(EDS, '1', [endpoints('a', 1), endpoints('b', 2)]);
    parent.call.respond(LDS, '1', [httpListener('l1', 8080, 'r1')]);
    parent.call.respond(RDS, '1', [route('r1', 'a')]);

    // Assess
    expect(opening).toEqual(['Cluster v= names= nonce=', 'Listener v= names= nonce=']);
    expect(parent.call.requests[0]?.node).toEqual({
      id: 'child-relay',
      cluster: NODE_CLUSTER,
      userAgent: 'fleetplane-relay',
    });
    expect(parent.call.requests.slice(1).every((r) => r.node === undefined)).toBe(true);
    expect(parent.call.requests.slice(2).map(summary)).toEqual([
      'Cluster v=1 names= nonce=n1',
      'ClusterLoadAssignment v= names=a,b nonce=',
      'ClusterLoadAssignment v=1 names=a,b nonce=n2',
      'Listener v=1 names= nonce=n3',
      'RouteConfiguration v= names=r1 nonce=',
      'RouteConfiguration v=1 names=r1 nonce=n4',
    ]);
    expect(feed.state).toBe('streaming');
  });

  it('hands over one snapshot per settled state, each type carrying the parent version', () => {
    // Prepare
    const { feed, accepted, serveAll, parent } = setup();
    feed.start();

    // Act
    serveAll('7');
    vi.advanceTimersByTime(50);
    parent.call.respond(RDS, '8', [route('r1', 'b')]);
    vi.advanceTimersByTime(50);

    // Assess
    expect(accepted.map((s) => s.version)).toEqual([1, 2]);
    const [first, second] = accepted;
    expect(first).toMatchObject({ ...GATEWAY, origin: 'xds://parent.test:18000 cds@7 eds@7 lds@7 rds@7' });
    expect(first?.types.map((t) => [t.typeUrl, t.versionInfo, t.resources.length])).toEqual([
      [CDS, '7', 2],
      [EDS, '7', 2],
      [LDS, '7', 1],
      [RDS, '7', 1],
    ]);
    expect(second?.types.find((t) => t.typeUrl === RDS)?.versionInfo).toBe('8');
    expect(feed.status()).toMatchObject({
      nodeCluster: NODE_CLUSTER,
      loadedVersion: 2,
      connection: 'streaming',
      typeVersions: { cds: '7', eds: '7', lds: '7', rds: '8' },
    });
  });

  it('waits for referenced endpoints before the first snapshot, and gives up on missing ones after settleMs', () => {
    // Prepare
    const { parent, feed, accepted } = setup({ settleMs: 500 });
    feed.start();

    // Act: clusters reference endpoints a and b; the parent only ever has a.
    parent.call.respond(CDS, '1', [cluster('a'), cluster('b')]);
    parent.call.respond(LDS, '1', [httpListener('l1', 8080, 'r1')]);
    parent.call.respond(RDS, '1', [route('r1', 'a')]);
    vi.advanceTimersByTime(50);
    const beforeEndpoints = accepted.length;
    parent.call.respond(EDS, '1', [endpoints('a', 1)]);
    vi.advanceTimersByTime(50);
    const beforeSettle = accepted.length;
    vi.advanceTimersByTime(500);

    // Assess
    expect(beforeEndpoints).toBe(0);
    expect(beforeSettle).toBe(0);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]?.types.find((t) => t.typeUrl === EDS)?.resources).toHaveLength(1);
  });

  it('NACKs a response it cannot decode with error_detail, reports it, and keeps the last good state', () => {
    // Prepare
    const { parent, feed, accepted, reports, metrics, serveAll } = setup();
    feed.start();
    serveAll('1');
    vi.advanceTimersByTime(50);

    // Act: a cluster whose bytes are not a Cluster.
    const garbage: AnyResource = { typeUrl: CDS, value: new Uint8Array([0x0a, 0xff, 0xff]) };
    const nonce = parent.call.respond(CDS, '2', [cluster('a'), garbage]);
    vi.advanceTimersByTime(50);

    // Assess
    const nack = parent.call.requests[parent.call.requests.length - 1];
    expect(nack).toMatchObject({ typeUrl: CDS, versionInfo: '1', responseNonce: nonce });
    expect(nack?.errorDetail?.code).toBe(3);
    expect(nack?.errorDetail?.message).toMatch(/resources\[1\]: cannot decode/);
    expect(accepted).toHaveLength(1);
    expect(reports).toEqual([
      expect.objectContaining({ ...GATEWAY, nodeId: 'child-relay', typeUrl: CDS, version: '2' }),
    ]);
    expect(metrics.registry.value('fleetplane_relay_parent_nacks_total', { type: 'cds' })).toBe(1);
    expect(feed.status().lastError).toMatchObject({ reason: 'rejected' });

    // Act again: the next good version is taken and clears the error.
    parent.call.respond(CDS, '3', [cluster('a'), cluster('b', '5s')]);
    vi.advanceTimersByTime(50);
    expect(accepted.map((s) => s.version)).toEqual([1, 2]);
    expect(parent.call.requests[parent.call.requests.length - 1]).toMatchObject({ versionInfo: '3' });
    expect(feed.status().lastError).toBeUndefined();
  });

  it('NACKs two resources with one name, and a type it never asked for', () => {
    // Prepare
    const { parent, feed } = setup();
    feed.start();

    // Act
    parent.call.respond(CDS, '1', [cluster('a'), cluster('a', '2s')]);
    const duplicate = parent.call.requests[parent.call.requests.length - 1];
    parent.call.respond(TypeUrl.Secret, '1', []);
    const stray = parent.call.requests[parent.call.requests.length - 1];

    // Assess
    expect(duplicate?.errorDetail?.message).toMatch(/a second resource named "a"/);
    expect(duplicate?.versionInfo).toBe('');
    expect(stray).toMatchObject({ typeUrl: TypeUrl.Secret, errorDetail: { code: 3 } });
  });

  it('reconnects with exponential backoff, resumes its subscriptions, and publishes nothing new for the same content', () => {
    // Prepare: random() = 0 takes the lower bound of each jittered delay: half the ceiling.
    const { parent, feed, accepted, serveAll } = setup();
    feed.start();
    serveAll('1');
    vi.advanceTimersByTime(50);

    // Act: the stream fails, then the first retry fails at once.
    parent.call.handlers.closed({ code: 14, details: 'connection refused' });
    vi.advanceTimersByTime(49);
    const callsBeforeFirstRetry = parent.calls.length;
    vi.advanceTimersByTime(1);
    parent.call.handlers.closed({ code: 14, details: 'connection refused' });
    vi.advanceTimersByTime(99);
    const callsBeforeSecondRetry = parent.calls.length;
    vi.advanceTimersByTime(1);
    const resumed = parent.call.requests.map(summary);
    serveAll('1');
    vi.advanceTimersByTime(50);

    // Assess
    expect(callsBeforeFirstRetry).toBe(1);
    expect(callsBeforeSecondRetry).toBe(2);
    expect(parent.calls).toHaveLength(3);
    expect(parent.call.requests[0]?.node?.cluster).toBe(NODE_CLUSTER);
    expect(resumed).toEqual([
      'Cluster v=1 names= nonce=',
      'ClusterLoadAssignment v=1 names=a,b nonce=',
      'Listener v=1 names= nonce=',
      'RouteConfiguration v=1 names=r1 nonce=',
    ]);
    expect(accepted).toHaveLength(1);
    expect(feed.state).toBe('streaming');
  });

  it('does not apply an older version from a parent replica that lags, and takes the next newer one', () => {
    // Prepare
    const { parent, feed, accepted, serveAll } = setup();
    feed.start();
    serveAll('42', 'a');
    vi.advanceTimersByTime(50);

    // Act: after a reconnect the parent (another replica) still serves 41, then catches up to 43.
    parent.call.handlers.closed({ code: 14, details: 'connection reset' });
    vi.advanceTimersByTime(1_000);
    serveAll('41', 'b');
    vi.advanceTimersByTime(50);
    const afterOlder = accepted.length;
    const ackOfOlder = parent.call.requests.filter((r) => r.typeUrl === RDS).at(-1);
    serveAll('43', 'b');
    vi.advanceTimersByTime(50);

    // Assess
    expect(afterOlder).toBe(1);
    expect(ackOfOlder?.versionInfo).toBe('42');
    expect(ackOfOlder?.errorDetail).toBeUndefined();
    expect(accepted).toHaveLength(2);
    expect(accepted[1]?.types.map((t) => t.versionInfo)).toEqual(['43', '43', '43', '43']);
  });

  it('drops the endpoints of a cluster that is gone and unsubscribes from them', () => {
    // Prepare
    const { parent, feed, accepted, serveAll } = setup();
    feed.start();
    serveAll('1');
    vi.advanceTimersByTime(50);

    // Act
    parent.call.respond(CDS, '2', [cluster('a')]);
    vi.advanceTimersByTime(50);

    // Assess
    expect(parent.call.requests.map(summary).slice(-1)).toEqual([
      'ClusterLoadAssignment v=1 names=a nonce=n2',
    ]);
    const eds = accepted[accepted.length - 1]?.types.find((t) => t.typeUrl === EDS);
    expect(eds?.resources).toHaveLength(1);
  });

  it('stops for good on stop and hangs up on idle', () => {
    // Prepare
    const { parent, feed } = setup();
    feed.start();

    // Act
    feed.idle();
    const idleState = feed.state;
    feed.start();
    feed.stop();
    vi.advanceTimersByTime(10_000);

    // Assess
    expect(idleState).toBe('idle');
    expect(parent.calls.map((c) => c.cancelled)).toEqual([true, true]);
    expect(parent.calls).toHaveLength(2);
    expect(feed.state).toBe('stopped');
  });
});
