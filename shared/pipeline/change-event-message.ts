// Reading a change event as delivered to a consumer: an EventBridge event (the body of an SQS
// message, when a rule targets a queue) whose `detail` must satisfy ChangeEventDetailSchema.
// Errors name every bad field, so a poison message explains itself in the logs and the DLQ.

import { z } from 'zod';
import {
  CHANGE_EVENT_DETAIL_TYPE,
  CHANGE_EVENT_SOURCE,
  type ChangeEventDetail,
  ChangeEventDetailSchema,
} from '../events/change-event.ts';
import { fieldPath } from '../translate/common.ts';
import { ChangeEventError } from './apply-change-event.ts';

const EnvelopeSchema = z.object({
  source: z.literal(CHANGE_EVENT_SOURCE),
  'detail-type': z.literal(CHANGE_EVENT_DETAIL_TYPE),
  detail: z.unknown(),
});

/** Parses an EventBridge event's JSON text into a validated change-event detail. */
export function parseChangeEventMessage(body: string): ChangeEventDetail {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    throw new ChangeEventError('message body is not JSON', { cause: err });
  }
  return parseChangeEvent(value);
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
