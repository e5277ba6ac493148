// The forwarder's Prometheus instruments, named once here so /metrics, tests and docs agree.
// The registry is the relay's dependency-free one (services/relay/metrics.ts).

import { type Counter, type Gauge, MetricsRegistry } from '../relay/metrics.ts';

export class ForwarderMetrics {
  readonly registry: MetricsRegistry;
  readonly observed: Counter;
  readonly forwarded: Counter;
  readonly failed: Counter;
  readonly retried: Counter;
  readonly lagSeconds: Gauge;
  readonly informerRestarts: Counter;
  readonly lists: Counter;
  readonly watchExpired: Counter;
  readonly bookmarks: Counter;

  constructor(registry = new MetricsRegistry()) {
    this.registry = registry;
    const p = 'fleetplane_forwarder_';
    this.observed = registry.counter(
      `${p}observed_total`,
      'Object changes seen, by kind, origin (watch, resync) and change (UPSERT, DELETE).',
    );
    this.forwarded = registry.counter(`${p}forwarded_total`, 'Change events accepted by the bus, by kind.');
    this.failed = registry.counter(
      `${p}failed_total`,
      'Change events given up on, by kind and reason (the PutEvents error code, mapping, shutdown).',
    );
    this.retried = registry.counter(
      `${p}retried_total`,
      'Change event retries after a retryable failure (PutEvents entries and requeued events).',
    );
    this.lagSeconds = registry.gauge(
      `${p}lag_seconds`,
      'For the last PutEvents call: the longest time from a change being observed to its acceptance by the bus, in seconds.',
    );
    this.informerRestarts = registry.counter(
      `${p}informer_restarts_total`,
      'Informers restarted after an error (the client-node informer stops on errors), by kind.',
    );
    this.lists = registry.counter(
      `${p}lists_total`,
      'Full lists (start, relist after 410, restart), by kind.',
    );
    this.watchExpired = registry.counter(
      `${p}watch_expired_total`,
      'Watches answered with 410 Gone (resourceVersion too old), each followed by a relist, by kind.',
    );
    this.bookmarks = registry.counter(`${p}bookmarks_total`, 'Watch bookmarks received, by kind.');
  }

  /** Pending events, computed on every scrape. */
  queueDepth(read: () => number): void {
    this.registry.collectedGauge(
      'fleetplane_forwarder_queue_depth',
      'Change events waiting to be sent.',
      () => [{ labels: {}, value: read() }],
    );
  }
}
