// Observed changes → change events on the bus, in batches. Pending changes are keyed by object and
// coalesced to the newest resourceVersion (the IR store only keeps the newest anyway), sent when
// ten are waiting (one full PutEvents call) or when the oldest has waited the flush interval, and
// mapped right before sending, so a Secret that changed five times is stored once.
//
// Failures. EventBridgePublisher already splits calls by size and count and retries retryable
// entries; an entry it still reports as transient (a retryable code, or a call error it gave up
// on) is requeued here and tried again after a backoff, up to `maxAttempts` flushes for UPSERTs
// (the next resync sends the object again) and without limit for DELETEs (nothing would send them
// again). Everything else (a non-retryable code, an object that cannot be mapped) is logged and
// counted in failed_total: nothing is dropped silently.
//
// Lists. A Collection Listed event (one per successful list of a kind and namespace scope) waits
// here too, keyed by its scope, the newest list replacing an older one still pending; like a
// DELETE it is retried as long as the process runs, since only the next list would send it again.

import { collectionListedDetail, collectionListedEvent } from '../../shared/pipeline/collection-listed.ts';
import {
  ObjectMappingError,
  type ObjectToChangeEventDeps,
  objectToChangeEvent,
  toOutboundEvent,
} from '../../shared/pipeline/object-to-change-event.ts';
import { RETRYABLE_PUT_EVENTS_CODES } from '../../shared/pipeline/put-events-batches.ts';
import {
  EventPublishError,
  type EventPublisher,
  type OutboundEvent,
} from '../../shared/ports/event-publisher.ts';
import type { Logger } from '../common/log.ts';
import { type Backoff, reconnectDelayMs } from './backoff.ts';
import type { ForwarderMetrics } from './forwarder-metrics.ts';
import type { Listing, Observation } from './kind-informer.ts';

export interface ChangeBatcherOptions {
  clusterId: string;
  publisher: EventPublisher;
  mapping: ObjectToChangeEventDeps;
  metrics: ForwarderMetrics;
  log: Logger;
  /** How long a change may wait for others before it is sent. */
  flushIntervalMs: number;
  /** Backoff between flushes that left events to retry. */
  backoff: Backoff;
  /** Send at once when this many are pending. Default 10 (one PutEvents call). */
  batchSize?: number;
  /** Events per putEvents call; the publisher splits them further. Default 100. */
  maxPerFlush?: number;
  /** Flushes an event may take part in before it is given up. Default 5. */
  maxAttempts?: number;
  /** Objects mapped at once (claim checks and Secrets call AWS). Default 8. */
  mappingConcurrency?: number;
  now?: () => Date;
  random?: () => number;
}

/** What waits to be sent: an observed change, or a list's Collection Listed event. */
type Outgoing = Observation | (Listing & { change: 'LISTED' });

interface Pending {
  key: string;
  observation: Outgoing;
  attempts: number;
}

type Sent = { pending: Pending; outcome: 'forwarded' | 'requeued' | 'failed' };
type Ready = { pending: Pending; event: OutboundEvent; observedAt: string };
type Mapped = { pending: Pending; ready?: Ready; error?: unknown };

export class ChangeBatcher {
  readonly #o: Required<Omit<ChangeBatcherOptions, 'now' | 'random'>> &
    Pick<ChangeBatcherOptions, 'now' | 'random'>;
  readonly #pending = new Map<string, Pending>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  /** The changes of the PutEvents call under way: no longer pending, not yet sent. */
  readonly #inFlight = new Set<Pending>();
  #failedFlushes = 0;
  #closed = false;

  constructor(options: ChangeBatcherOptions) {
    this.#o = { batchSize: 10, maxPerFlush: 100, maxAttempts: 5, mappingConcurrency: 8, ...options };
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Queues the Collection Listed event of one list (after the list's own changes). */
  enqueueListing(listing: Listing): void {
    this.enqueue({ ...listing, change: 'LISTED' });
  }

  enqueue(observation: Outgoing): void {
    const key = keyOf(observation);
    const existing = this.#pending.get(key);
    if (existing && !supersedes(observation, existing.observation)) return;
    // Map.set on an existing key keeps its place, so a busy object does not starve the others.
    this.#pending.set(key, { key, observation, attempts: existing?.attempts ?? 0 });
    if (this.#closed) return;
    // While the bus is failing, a full batch waits for the backoff like everything else.
    if (this.#pending.size >= this.#o.batchSize && this.#failedFlushes === 0) void this.#kick();
    else this.#arm(this.#o.flushIntervalMs);
  }

  /** Sends everything pending now; resolves when the queue is empty or a send left retries. */
  flush(): Promise<void> {
    return this.#kick();
  }

  /**
   * Stops the timers and sends what is pending, retrying transient failures until `timeoutMs`.
   * Returns how many changes could not be sent (they are counted as failed, reason `shutdown`),
   * at the deadline even when a PutEvents call is still under way: its changes count as unsent,
   * since nothing confirmed them.
   */
  async close(timeoutMs: number): Promise<{ unsent: number }> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const deadline = Date.now() + timeoutMs;
    if (this.#running) await until(this.#running, deadline);
    while (this.#pending.size > 0 && Date.now() < deadline) {
      await until(this.#kick(), deadline);
      if (this.#pending.size === 0 && this.#inFlight.size === 0) break;
      if (Date.now() >= deadline) break;
      const delay = reconnectDelayMs(this.#failedFlushes, this.#o.backoff, this.#o.random);
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(delay, Math.max(0, deadline - Date.now()))),
      );
    }
    const unsent = [...this.#inFlight, ...this.#pending.values()];
    this.#pending.clear();
    for (const p of unsent) this.#o.metrics.failed.inc({ kind: p.observation.kind.name, reason: 'shutdown' });
    if (unsent.length > 0) {
      this.#o.log.error('change events not sent before shutdown; the next start lists everything again', {
        unsent: unsent.length,
        objects: unsent.slice(0, 10).map((p) => p.key),
      });
    }
    return { unsent: unsent.length };
  }

  #arm(delayMs: number): void {
    if (this.#timer || this.#running || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#kick();
    }, delayMs);
  }

  #kick(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#running) return this.#running;
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      if (this.#pending.size === 0) return;
      this.#arm(
        this.#failedFlushes > 0
          ? reconnectDelayMs(this.#failedFlushes, this.#o.backoff, this.#o.random)
          : this.#o.flushIntervalMs,
      );
    });
    return this.#running;
  }

  async #drain(): Promise<void> {
    while (this.#pending.size > 0) {
      const batch = [...this.#pending.values()].slice(0, this.#o.maxPerFlush);
      for (const p of batch) {
        this.#pending.delete(p.key);
        this.#inFlight.add(p);
      }
      const results = await this.#send(batch).finally(() => {
        for (const p of batch) this.#inFlight.delete(p);
      });
      const requeued = results.filter((r) => r.outcome === 'requeued');
      for (const r of requeued) this.#requeue(r.pending);
      if (requeued.length > 0) {
        this.#failedFlushes++;
        return;
      }
      this.#failedFlushes = 0;
    }
  }

  async #send(batch: Pending[]): Promise<Sent[]> {
    const { metrics, log } = this.#o;
    const mapped = await mapLimited(batch, this.#o.mappingConcurrency, async (pending): Promise<Mapped> => {
      try {
        return { pending, ready: await this.#map(pending) };
      } catch (error) {
        return { pending, error };
      }
    });

    const results: Sent[] = [];
    const ready: Ready[] = [];
    for (const m of mapped) {
      if (m.ready) {
        ready.push(m.ready);
        continue;
      }
      // A mapping error is the object's own fault; anything else (S3, Secrets Manager) may heal.
      const permanent = m.error instanceof ObjectMappingError;
      log.error(permanent ? 'object cannot become a change event' : 'could not prepare change event', {
        object: m.pending.key,
        error: m.error as Error,
      });
      results.push({ pending: m.pending, outcome: permanent ? 'failed' : 'requeued' });
      if (permanent) metrics.failed.inc({ kind: m.pending.observation.kind.name, reason: 'mapping' });
    }
    if (ready.length === 0) return this.#counted(results);

    let failures = new Map<number, { errorCode: string; errorMessage: string }>();
    try {
      const summary = await this.#o.publisher.putEvents(ready.map((r) => r.event));
      if (summary.retries > 0) metrics.retried.inc({}, summary.retries);
    } catch (err) {
      if (!(err instanceof EventPublishError)) {
        log.warn('PutEvents failed; retrying the batch', { events: ready.length, error: err as Error });
        for (const r of ready) results.push({ pending: r.pending, outcome: 'requeued' });
        return this.#counted(results);
      }
      if (err.summary.retries > 0) metrics.retried.inc({}, err.summary.retries);
      failures = new Map(err.failures.map((f) => [f.index, f]));
    }

    ready.forEach((r, index) => {
      const failure = failures.get(index);
      if (!failure) {
        results.push({ pending: r.pending, outcome: 'forwarded' });
        return;
      }
      // The publisher marks entries it retried until it gave up ("gave up after N attempts"): a
      // retryable code, or a transient call error such as a timeout. Those are worth a later flush.
      const transient =
        RETRYABLE_PUT_EVENTS_CODES.has(failure.errorCode) ||
        /gave up after \d+ attempts/.test(failure.errorMessage);
      if (!transient) {
        metrics.failed.inc({ kind: r.pending.observation.kind.name, reason: failure.errorCode });
        log.error('change event refused by the bus', {
          object: r.pending.key,
          errorCode: failure.errorCode,
          errorMessage: failure.errorMessage,
        });
      }
      results.push({ pending: r.pending, outcome: transient ? 'requeued' : 'failed' });
    });

    // Lag: the longest any change of this call waited between being observed and being accepted.
    const forwarded = ready.filter((_, i) => !failures.has(i));
    if (forwarded.length > 0) {
      const oldest = Math.min(...forwarded.map((r) => new Date(r.observedAt).getTime()));
      metrics.lagSeconds.set({}, Math.max(0, this.#now().getTime() - oldest) / 1000);
    }
    return this.#counted(results);
  }

  async #map(pending: Pending): Promise<Ready> {
    const o = pending.observation;
    if (o.change === 'LISTED') {
      const detail = await collectionListedDetail(
        {
          clusterId: this.#o.clusterId,
          group: o.kind.group,
          version: o.kind.version,
          kind: o.kind.kind,
          namespace: o.namespace,
          resourceVersion: o.resourceVersion,
          observedAt: o.observedAt,
          names: o.names,
        },
        this.#o.mapping,
      );
      return { pending, event: collectionListedEvent(detail), observedAt: detail.observedAt };
    }
    const detail = await objectToChangeEvent({ ...o, clusterId: this.#o.clusterId }, this.#o.mapping);
    return { pending, event: toOutboundEvent(detail), observedAt: detail.observedAt };
  }

  #counted(results: Sent[]): Sent[] {
    for (const r of results) {
      if (r.outcome === 'forwarded') this.#o.metrics.forwarded.inc({ kind: r.pending.observation.kind.name });
    }
    return results;
  }

  #requeue(pending: Pending): void {
    const attempts = pending.attempts + 1;
    const newer = this.#pending.get(pending.key);
    if (newer && !supersedes(pending.observation, newer.observation)) return;
    // An UPSERT given up on comes back with the next resync or list; nothing regenerates a DELETE
    // (the object is gone from the cache) or a list's event until the next list, so transient
    // failures of those are retried as long as the process runs.
    if (attempts >= this.#o.maxAttempts && pending.observation.change === 'UPSERT') {
      this.#o.metrics.failed.inc({ kind: pending.observation.kind.name, reason: 'retriesExhausted' });
      this.#o.log.error('change event given up after repeated transient failures', {
        object: pending.key,
        attempts,
      });
      return;
    }
    this.#o.metrics.retried.inc();
    this.#pending.set(pending.key, { ...pending, attempts });
  }

  #now(): Date {
    return this.#o.now?.() ?? new Date();
  }
}

function keyOf(o: Outgoing): string {
  if (o.change === 'LISTED') return `listed ${o.kind.group || 'core'}/${o.kind.kind} ${o.namespace ?? '*'}`;
  const ns = o.object.metadata.namespace ?? '';
  return `${o.kind.group || 'core'}/${o.kind.kind} ${ns ? `${ns}/` : ''}${o.object.metadata.name}`;
}

function versionOf(o: Outgoing): bigint {
  try {
    if (o.change === 'LISTED') return BigInt(o.resourceVersion);
    return BigInt(o.resourceVersion ?? o.object.metadata.resourceVersion ?? '0');
  } catch {
    return 0n;
  }
}

/** Whether `next` replaces `current`: newer, or the same version seen by a watch rather than a resync. */
function supersedes(next: Outgoing, current: Outgoing): boolean {
  const a = versionOf(next);
  const b = versionOf(current);
  return a > b || (a === b && !(next.change !== 'LISTED' && next.origin === 'resync'));
}

/** Waits for `promise` (its failure included), but not past `deadline` (epoch ms). */
async function until(promise: Promise<unknown>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
  });
  try {
    await Promise.race([promise.then(noop, noop), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function noop(): void {}

async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
