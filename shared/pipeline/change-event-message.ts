// Reading a change event as delivered to a consumer: an EventBridge event (the body of an SQS
// message, when a rule targets a queue) whose `detail` must satisfy ChangeEventDetailSchema, or,
// for the translate function, a relay's NACK (relay-events.ts) or a forwarder's Collection Listed
// event (collection-listed.ts), which arrive on the same queue.
// Errors name every bad field, so a poison message explains itself in the logs and the DLQ.

import { z } from 'zod';
import {
  CHANGE_EVENT_DETAIL_TYPE,
  CHANGE_EVENT_SOURCE,
  type ChangeEventDetail,
  ChangeEventDetailSchema,
} from '../events/change-event.ts';
import {
  COLLECTION_LISTED_DETAIL_TYPE,
  type CollectionListedDetail,
  CollectionListedDetailSchema,
} from '../events/collection-listed.ts';
import { fieldPath } from '../translate/common.ts';
import { ChangeEventError } from './apply-change-event.ts';
import {
  RELAY_NACK_DETAIL_TYPE,
  RELAY_NACK_SOURCE,
  type RelayNackDetail,
  RelayNackDetailSchema,
} from './relay-events.ts';

const EnvelopeSchema = z.object({
  source: z.literal(CHANGE_EVENT_SOURCE),
  'detail-type': z.literal(CHANGE_EVENT_DETAIL_TYPE),
  detail: z.unknown(),
});

/** Parses an EventBridge event's JSON text into a validated change-event detail. */
export function parseChangeEventMessage(body: string): ChangeEventDetail {
  return parseChangeEvent(parseBody(body));
}

/** What the translate function's queue carries. */
export type PipelineMessage =
  | { type: 'change'; detail: ChangeEventDetail }
  | { type: 'relay-nack'; detail: RelayNackDetail }
  | { type: 'collection-listed'; detail: CollectionListedDetail };

/** A change event, a Collection Listed event or a relay NACK, told apart by source and detail-type. */
export function parsePipelineMessage(body: string): PipelineMessage {
  const value = parseBody(body);
  const envelope = value as { source?: unknown; 'detail-type'?: unknown } | null;
  if (envelope?.source === RELAY_NACK_SOURCE && envelope['detail-type'] === RELAY_NACK_DETAIL_TYPE) {
    const detail = RelayNackDetailSchema.safeParse((value as { detail?: unknown }).detail);
    if (!detail.success)
      throw new ChangeEventError(`invalid relay NACK: ${describeIssues(detail.error, 'detail')}`);
    return { type: 'relay-nack', detail: detail.data };
  }
  if (envelope?.source === CHANGE_EVENT_SOURCE && envelope['detail-type'] === COLLECTION_LISTED_DETAIL_TYPE) {
    const detail = CollectionListedDetailSchema.safeParse((value as { detail?: unknown }).detail);
    if (!detail.success)
      throw new ChangeEventError(
        `invalid Collection Listed event: ${describeIssues(detail.error, 'detail')}`,
      );
    return { type: 'collection-listed', detail: detail.data };
  }
  return { type: 'change', detail: parseChangeEvent(value) };
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (err) {
    throw new ChangeEventError('message body is not JSON', { cause: err });
  }
}

export function parseChangeEvent(event: unknown): ChangeEventDetail {
  const envelope = EnvelopeSchema.safeParse(event);
  if (!envelope.success) throw new ChangeEventError(`not a change event: ${describeIssues(envelope.error)}`);
  const detail = ChangeEventDetailSchema.safeParse(envelope.data.detail);
  if (!detail.success)
    throw new ChangeEventError(`invalid change event: ${describeIssues(detail.error, 'detail')}`);
  return detail.data;
}

function describeIssues(error: z.ZodError, root = ''): string {
  return error.issues.map((issue) => `${fieldPath(issue.path, root)}: ${issue.message}`).join('; ');
}
