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

import type { ChangeEventDetail } from '../../shared/events/change-event.ts';
import {
  ObjectMappingError,
  type ObjectToChangeEventDeps,
  objectToChangeEvent,
  toOutboundEvent,
} from '../../shared/pipeline/object-to-change-event.ts';
import { RETRYABLE_PUT_EVENTS_CODES } from '../../shared/pipeline/put-events-batches.ts';
import { EventPublishError, type EventPublisher } from '../../shared/ports/event-publisher.ts';
import type { Logger } from '../common/log.ts';
import { type Backoff, reconnectDelayMs } from './backoff.ts';
import type { ForwarderMetrics } from './forwarder-metrics.ts';
import type { Observation } from './kind-informer.ts';

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

interface Pending {
  key: string;
  observation: Observation;
  attempts: number;
}

type Sent = { pending: Pending; outcome: 'forwarded' | 'requeued' | 'failed' };
type Mapped = { pending: Pending; detail?: ChangeEventDetail; error?: unknown };

export class ChangeBatcher {
  readonly #o: Required<Omit<ChangeBatcherOptions, 'now' | 'random'>> &
    Pick<ChangeBatcherOptions, 'now' | 'random'>;
  readonly #pending = new Map<string, Pending>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #failedFlushes = 0;
  #closed = false;

  constructor(options: ChangeBatcherOptions) {
    this.#o = { batchSize: 10, maxPerFlush: 100, maxAttempts: 5, mappingConcurrency: 8, ...options };
  }

  get size(): number {
    return this.#pending.size;
  }

  enqueue(observation: Observation): void {
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
   * Returns how many changes could not be sent (they are counted as failed, reason `shutdown`).
   */
  async close(timeoutMs: number): Promise<{ unsent: number }> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const deadline = Date.now() + timeoutMs;
    await this.#running;
    while (this.#pending.size > 0 && Date.now() < deadline) {
      await this.#kick();
      if (this.#pending.size === 0) break;
      const delay = reconnectDelayMs(this.#failedFlushes, this.#o.backoff, this.#o.random);
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(delay, Math.max(0, deadline - Date.now()))),
      );
    }
    const unsent = [...this.#pending.values()];
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
      for (const p of batch) this.#pending.delete(p.key);
      const results = await this.#send(batch);
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
        const detail = await objectToChangeEvent(
          { ...pending.observation, clusterId: this.#o.clusterId },
          this.#o.mapping,
        );
        return { pending, detail };
      } catch (error) {
        return { pending, error };
      }
    });

    const results: Sent[] = [];
    const ready: Array<{ pending: Pending; detail: ChangeEventDetail }> = [];
    for (const m of mapped) {
      if (m.detail) {
        ready.push({ pending: m.pending, detail: m.detail });
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
      const summary = await this.#o.publisher.putEvents(ready.map((r) => toOutboundEvent(r.detail)));
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
      const oldest = Math.min(...forwarded.map((r) => new Date(r.detail.observedAt).getTime()));
      metrics.lagSeconds.set({}, Math.max(0, this.#now().getTime() - oldest) / 1000);
    }
    return this.#counted(results);
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
    // (the object is gone from the cache), so transient failures of deletes are retried as long as
    // the process runs.
    if (attempts >= this.#o.maxAttempts && pending.observation.change !== 'DELETE') {
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

function keyOf(o: Observation): string {
  const ns = o.object.metadata.namespace ?? '';
  return `${o.kind.group || 'core'}/${o.kind.kind} ${ns ? `${ns}/` : ''}${o.object.metadata.name}`;
}

function versionOf(o: Observation): bigint {
  try {
    return BigInt(o.resourceVersion ?? o.object.metadata.resourceVersion ?? '0');
  } catch {
    return 0n;
  }
}

/** Whether `next` replaces `current`: newer, or the same version seen by a watch rather than a resync. */
function supersedes(next: Observation, current: Observation): boolean {
  const a = versionOf(next);
  const b = versionOf(current);
  return a > b || (a === b && next.origin !== 'resync');
}

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
