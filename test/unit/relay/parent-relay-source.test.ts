// The parent-relay source as the relay drives it through the snapshot cache: one upstream stream
// per gateway however many clients ask, closed only after the last one has been gone a while;
// readiness; `xds://` parsing; and the reconnect backoff it uses.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../services/common/log.ts';
import { backoffDelay } from '../../../services/relay/backoff.ts';
import { RelayConfigError } from '../../../services/relay/errors.ts';
import { RelayMetrics } from '../../../services/relay/relay-metrics.ts';
import { SnapshotCache } from '../../../services/relay/snapshot-cache.ts';
import type { UpstreamConnector, UpstreamHandlers } from '../../../services/relay/source/parent-feed.ts';
import { ParentRelaySource, parseParentUrl } from '../../../services/relay/source/parent-relay-source.ts';

class CountingParent implements UpstreamConnector {
  readonly target = 'parent.test:18000';
  readonly opened: Array<{ node?: string; cancelled: boolean; handlers: UpstreamHandlers }> = [];
  connectivity = 'READY';
  open(handlers: UpstreamHandlers) {
    const call = { cancelled: false, handlers, node: undefined as string | undefined };
    this.opened.push(call);
    return {
      write: (r: { node?: { cluster: string } }) => {
        call.node ??= r.node?.cluster;
      },
      cancel: () => {
        call.cancelled = true;
      },
    };
  }
  state() {
    return this.connectivity;
  }
  close() {}
}

async function setup() {
  const parent = new CountingParent();
  const metrics = new RelayMetrics();
  const source = new ParentRelaySource({
    parent: { host: 'parent.test', port: 18000 },
    log: silentLogger,
    metrics,
    connector: parent,
    idleCloseMs: 60_000,
  });
  const cache = new SnapshotCache({ metrics, log: silentLogger, demand: (key) => source.demand(key) });
  await source.start(cache);
  return { parent, source, cache, metrics };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('ParentRelaySource', () => {
  it('opens one stream per gateway however many clients watch it', async () => {
    // Prepare
    const { parent, cache } = await setup();

    // Act
    cache.watch('c1/infra/edge', () => {});
    cache.watch('c1/infra/edge', () => {});
    cache.watch('c1/apps/api', () => {});

    // Assess
    expect(parent.opened.map((c) => c.node)).toEqual(['c1/infra/edge', 'c1/apps/api']);
  });

  it('closes a stream only after its last client has been gone for idleCloseMs, forgets a gateway the parent never served, and reopens on demand', async () => {
    // Prepare
    const { parent, cache, source } = await setup();
    const first = cache.watch('c1/infra/edge', () => {});
    const second = cache.watch('c1/infra/edge', () => {});

    // Act
    first();
    vi.advanceTimersByTime(120_000);
    const afterOneLeft = parent.opened[0]?.cancelled;
    second();
    vi.advanceTimersByTime(59_000);
    const beforeIdle = parent.opened[0]?.cancelled;
    vi.advanceTimersByTime(1_000);
    const afterIdle = parent.opened[0]?.cancelled;
    const idleGateways = source.status().gateways;
    cache.watch('c1/infra/edge', () => {});

    // Assess
    expect(afterOneLeft).toBe(false);
    expect(beforeIdle).toBe(false);
    expect(afterIdle).toBe(true);
    expect(idleGateways).toEqual([]);
    expect(parent.opened).toHaveLength(2);
    expect(source.status().gateways[0]?.connection).toBe('open');
  });

  it('is ready once the parent is reachable, and says why not before', async () => {
    // Prepare
    const { parent, source } = await setup();

    // Act
    parent.connectivity = 'TRANSIENT_FAILURE';
    const down = source.ready();
    parent.connectivity = 'READY';
    const up = source.ready();

    // Assess
    expect(down).toEqual({
      ready: false,
      reason: 'parent relay xds://parent.test:18000 not reachable yet (TRANSIENT_FAILURE)',
    });
    expect(up).toEqual({ ready: true });
  });

  it('stops every stream on stop and opens none after', async () => {
    // Prepare
    const { parent, cache, source } = await setup();
    cache.watch('c1/infra/edge', () => {});

    // Act
    await source.stop();
    cache.watch('c1/apps/api', () => {});

    // Assess
    expect(parent.opened.map((c) => c.cancelled)).toEqual([true]);
  });
});

describe('parseParentUrl', () => {
  it.each([
    ['xds://127.0.0.1:18000', { host: '127.0.0.1', port: 18000 }],
    ['xds://relay.internal:18000/', { host: 'relay.internal', port: 18000 }],
    ['xds://[::1]:18000', { host: '::1', port: 18000 }],
  ])('parses %s', (value, expected) => {
    expect(parseParentUrl(value, '--source')).toEqual(expected);
  });

  it.each(['xds://relay.internal', 'xds://:18000', 'xds://relay:0', 'xds://relay:18000/path'])(
    'rejects %s with an example',
    (value) => {
      expect(() => parseParentUrl(value, '--source')).toThrow(RelayConfigError);
      expect(() => parseParentUrl(value, '--source')).toThrow(/e\.g\. xds:\/\/relay\.internal:18000/);
    },
  );
});

describe('backoffDelay', () => {
  it('doubles from the base up to the cap, jittered within the upper half', () => {
    // Prepare
    const policy = { baseMs: 100, maxMs: 1_000 };

    // Act
    const low = [1, 2, 3, 4, 5, 40].map((n) => backoffDelay(n, policy, () => 0));
    const high = [1, 2, 3, 4, 5, 40].map((n) => backoffDelay(n, policy, () => 1));

    // Assess
    expect(low).toEqual([50, 100, 200, 400, 500, 500]);
    expect(high).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });
});
