// Port: puts events on the bus. Implementations batch within the bus's limits, retry entries that
// failed for a transient reason, and throw an EventPublishError naming every entry that did not
// make it: nothing is dropped silently.

import { FleetplaneError } from '../errors.ts';

export interface OutboundEvent {
  source: string;
  detailType: string;
  /** Serialised with JSON.stringify. */
  detail: Record<string, unknown>;
  resources?: string[];
  /** The bus stamps the receive time when absent. */
  time?: Date;
}

export interface PutEventsSummary {
  /** Entries accepted by the bus. */
  sent: number;
  /** PutEvents calls made, retries included. */
  calls: number;
  /** Entry retries after a retryable failure. */
  retries: number;
}

export interface EventPublisher {
  putEvents(events: readonly OutboundEvent[]): Promise<PutEventsSummary>;
}

export interface FailedEvent {
  /** Index of the event in the `putEvents` argument. */
  index: number;
  source: string;
  detailType: string;
  errorCode: string;
  errorMessage: string;
}

export class EventPublishError extends FleetplaneError {
  constructor(
    readonly failures: FailedEvent[],
    readonly summary: PutEventsSummary,
    options?: ErrorOptions,
  ) {
    const listed = failures
      .slice(0, 10)
      .map((f) => `#${f.index} ${f.detailType} (${f.errorCode}: ${f.errorMessage})`)
      .join('; ');
    const more = failures.length > 10 ? `; and ${failures.length - 10} more` : '';
    super(`${failures.length} event(s) were not put on the bus: ${listed}${more}`, options);
  }
}
