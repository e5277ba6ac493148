// A relay's NACK reporter that puts each NACK on the bus as an "Envoy Config Rejected" event
// (shared/pipeline/relay-events.ts), for the pipeline to turn into a status condition.
//
// `report` never blocks the ADS stream that saw the NACK: it runs the throttle (dedupe per node,
// type and version; a cap per gateway version; a global rate) and queues the event; a flush shortly
// after puts everything queued through EventBridgePublisher, which batches and retries. Every NACK
// ends in exactly one outcome passed to `onOutcome`, so what is not sent is counted, not lost.

import type { EventBridgeClient, EventBridgeClientConfig } from '@aws-sdk/client-eventbridge';
import {
  type NackAdmission,
  NackEventThrottle,
  type NackEventThrottleOptions,
  type RelayNackDetail,
  relayNackEvent,
} from '../pipeline/relay-events.ts';
import { EventPublishError, type EventPublisher, type OutboundEvent } from '../ports/event-publisher.ts';
import { EventBridgePublisher } from './event-bridge-publisher.ts';

export type NackEventOutcome = Exclude<NackAdmission, 'send'> | 'sent' | 'queue-full' | 'invalid' | 'failed';

export interface EventBridgeNackReporterOptions {
  /** Name or ARN of the bus. */
  eventBusName: string;
  /** Your own client; one is built from `clientConfig` otherwise. */
  client?: EventBridgeClient;
  clientConfig?: EventBridgeClientConfig;
  /** Replaces the EventBridge publisher entirely (tests, other buses). */
  publisher?: EventPublisher;
  throttle?: NackEventThrottleOptions;
  /** How long the first queued event waits for others to share its PutEvents call. Default 200 ms. */
  flushDelayMs?: number;
  /** Events queued at most while a flush is under way. Default 1000. */
  maxQueue?: number;
  /** One call per NACK with what became of it; `error` for `invalid` and `failed`. */
  onOutcome?: (outcome: NackEventOutcome, nack: RelayNackDetail, error?: Error) => void;
  now?: () => number;
}

export class EventBridgeNackReporter {
  readonly eventBusName: string;
  readonly #publisher: EventPublisher;
  readonly #throttle: NackEventThrottle;
  readonly #flushDelayMs: number;
  readonly #maxQueue: number;
  readonly #onOutcome: NonNullable<EventBridgeNackReporterOptions['onOutcome']>;
  readonly #now: () => number;
  #queue: Array<{ nack: RelayNackDetail; event: OutboundEvent }> = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(options: EventBridgeNackReporterOptions) {
    this.eventBusName = options.eventBusName;
    this.#publisher =
      options.publisher ??
      new EventBridgePublisher({
        eventBusName: options.eventBusName,
        ...(options.client ? { client: options.client } : {}),
        ...(options.clientConfig ? { clientConfig: options.clientConfig } : {}),
      });
    this.#throttle = new NackEventThrottle(options.throttle);
    this.#flushDelayMs = options.flushDelayMs ?? 200;
    this.#maxQueue = options.maxQueue ?? 1000;
    this.#onOutcome = options.onOutcome ?? (() => {});
    this.#now = options.now ?? Date.now;
  }

  report(nack: RelayNackDetail): void {
    let event: OutboundEvent;
    try {
      event = relayNackEvent(nack);
    } catch (error) {
      this.#onOutcome('invalid', nack, error as Error);
      return;
    }
    if (this.#queue.length >= this.#maxQueue) {
      this.#onOutcome('queue-full', nack);
      return;
    }
    const admission = this.#throttle.admit(nack, this.#now());
    if (admission !== 'send') {
      this.#onOutcome(admission, nack);
      return;
    }
    this.#queue.push({ nack, event });
    if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.flush();
      }, this.#flushDelayMs);
      this.#timer.unref();
    }
  }

  /** Puts everything queued on the bus; resolves once it has been sent or given up on. */
  flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#flushing = this.#flushing.then(() => this.#send());
    return this.#flushing;
  }

  /** Sends what is queued; called when the relay stops. */
  close(): Promise<void> {
    return this.flush();
  }

  async #send(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    try {
      await this.#publisher.putEvents(batch.map((b) => b.event));
      for (const b of batch) this.#onOutcome('sent', b.nack);
    } catch (error) {
      // An EventPublishError names the entries that failed; the others were accepted.
      if (!(error instanceof EventPublishError)) {
        for (const b of batch) this.#onOutcome('failed', b.nack, error as Error);
        return;
      }
      const failed = new Map(error.failures.map((f) => [f.index, f]));
      batch.forEach((b, i) => {
        const f = failed.get(i);
        if (!f) this.#onOutcome('sent', b.nack);
        else this.#onOutcome('failed', b.nack, new Error(`${f.errorCode}: ${f.errorMessage}`));
      });
    }
  }
}
