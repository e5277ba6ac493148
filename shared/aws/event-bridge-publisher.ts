// EventPublisher on EventBridge PutEvents. Entries are split into calls within the service's
// limits (10 entries, 256 KiB measured as EventBridge measures), entries that fail with a
// retryable code are retried with exponential backoff and full jitter, and anything that still
// fails is named in one EventPublishError at the end: nothing is dropped silently.
//
// Call-level errors (network, throttling of the whole call) are first retried by the SDK's own
// retry strategy; if the call still fails, its entries are retried here when the error is
// transient, and reported otherwise.

import {
  type EventBridgeClient,
  type EventBridgeClientConfig,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import {
  backoffDelayMs,
  planPutEventsBatches,
  putEventsEntrySize,
  RETRYABLE_PUT_EVENTS_CODES,
} from '../pipeline/put-events-batches.ts';
import {
  EventPublishError,
  type EventPublisher,
  type FailedEvent,
  type OutboundEvent,
  type PutEventsSummary,
} from '../ports/event-publisher.ts';
import { createEventBridgeClient } from './clients.ts';

export interface EventBridgePublisherOptions {
  eventBusName: string;
  /** Your own client; one is built from `clientConfig` otherwise. */
  client?: EventBridgeClient;
  clientConfig?: EventBridgeClientConfig;
  /** Rounds of PutEvents calls, the first included. Default: 6. */
  maxAttempts?: number;
  /** Backoff base and cap. Defaults: 100 ms and 5 s. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Seams for tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

interface Pending {
  index: number;
  entry: PutEventsRequestEntry;
  size: number;
  lastError?: { code: string; message: string };
}

export class EventBridgePublisher implements EventPublisher {
  readonly eventBusName: string;
  readonly #client: EventBridgeClient;
  readonly #maxAttempts: number;
  readonly #backoff: { baseMs: number; capMs: number };
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;

  constructor(options: EventBridgePublisherOptions) {
    this.eventBusName = options.eventBusName;
    this.#client = options.client ?? createEventBridgeClient(options.clientConfig);
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 6);
    this.#backoff = { baseMs: options.baseDelayMs ?? 100, capMs: options.maxDelayMs ?? 5000 };
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = options.random ?? Math.random;
  }

  async putEvents(events: readonly OutboundEvent[]): Promise<PutEventsSummary> {
    const summary: PutEventsSummary = { sent: 0, calls: 0, retries: 0 };
    const failures: FailedEvent[] = [];
    const fail = (p: Pending, code: string, message: string) =>
      failures.push({
        index: p.index,
        source: p.entry.Source ?? '',
        detailType: p.entry.DetailType ?? '',
        errorCode: code,
        errorMessage: message,
      });

    const { batches: firstRound, oversized } = planPutEventsBatches(
      events.map((event, index) => this.#pending(event, index)),
      (p) => p.size,
    );
    for (const p of oversized) {
      fail(
        p,
        'EntryTooLarge',
        `entry is ${p.size} bytes; PutEvents takes at most 262144 (use the claim check)`,
      );
    }

    let batches = firstRound;
    for (let attempt = 1; batches.length > 0; attempt++) {
      const retry: Pending[] = [];
      for (const batch of batches) {
        summary.calls++;
        await this.#send(batch, summary, retry, fail);
      }
      if (retry.length === 0) break;
      if (attempt === this.#maxAttempts) {
        for (const p of retry) {
          const last = p.lastError ?? { code: 'Unknown', message: 'no error reported' };
          fail(p, last.code, `${last.message} (gave up after ${attempt} attempts)`);
        }
        break;
      }
      summary.retries += retry.length;
      await this.#sleep(backoffDelayMs(attempt, this.#backoff, this.#random));
      batches = planPutEventsBatches(retry, (p) => p.size).batches;
    }

    if (failures.length > 0) {
      failures.sort((a, b) => a.index - b.index);
      throw new EventPublishError(failures, summary);
    }
    return summary;
  }

  #pending(event: OutboundEvent, index: number): Pending {
    const detail = JSON.stringify(event.detail);
    const entry: PutEventsRequestEntry = {
      EventBusName: this.eventBusName,
      Source: event.source,
      DetailType: event.detailType,
      Detail: detail,
    };
    if (event.resources) entry.Resources = [...event.resources];
    if (event.time) entry.Time = event.time;
    const size = putEventsEntrySize({
      source: event.source,
      detailType: event.detailType,
      detail,
      resources: event.resources,
      time: event.time,
    });
    return { index, entry, size };
  }

  async #send(
    batch: Pending[],
    summary: PutEventsSummary,
    retry: Pending[],
    fail: (p: Pending, code: string, message: string) => void,
  ): Promise<void> {
    let results: Array<{ ErrorCode?: string; ErrorMessage?: string; EventId?: string }>;
    try {
      const res = await this.#client.send(new PutEventsCommand({ Entries: batch.map((p) => p.entry) }));
      results = res.Entries ?? [];
    } catch (err) {
      const code = (err as Error).name || 'Error';
      const message = (err as Error).message;
      for (const p of batch) {
        if (isTransientCallError(err)) retry.push({ ...p, lastError: { code, message } });
        else fail(p, code, message);
      }
      return;
    }
    batch.forEach((p, i) => {
      const result = results[i];
      if (result === undefined) {
        // The response must have one result per entry; a missing one is treated as a transient fault.
        retry.push({ ...p, lastError: { code: 'InternalFailure', message: 'no result for this entry' } });
      } else if (!result.ErrorCode) {
        summary.sent++;
      } else if (RETRYABLE_PUT_EVENTS_CODES.has(result.ErrorCode)) {
        retry.push({ ...p, lastError: { code: result.ErrorCode, message: result.ErrorMessage ?? '' } });
      } else {
        fail(p, result.ErrorCode, result.ErrorMessage ?? '');
      }
    });
  }
}

function isTransientCallError(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  if (e.$retryable) return true;
  if (e.name && RETRYABLE_PUT_EVENTS_CODES.has(e.name)) return true;
  const status = e.$metadata?.httpStatusCode;
  // No HTTP status at all means the request never got an answer (a network error).
  return status === undefined || status >= 500 || status === 429;
}
