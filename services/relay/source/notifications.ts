// Notifications that make a polling source look at once instead of at its next poll: the "Snapshot
// Published" event (through SQS, as EventBridge delivers it) or an authenticated HTTP call. A
// notification names one gateway, or none (look at all of them). Receivers only say "look now";
// what is loaded is still decided by reading and verifying `latest.json`, so a forged or stale
// notification can cost a read, never serve something the source does not hold.

import { z } from 'zod';
import {
  SNAPSHOT_EVENT_SOURCE,
  SNAPSHOT_PUBLISHED_DETAIL_TYPE,
} from '../../../shared/pipeline/definition.ts';
import type { GatewayRef } from '../../../shared/snapshot/layout.ts';
import { KUBERNETES_NAME } from '../../../shared/snapshot/layout.ts';
import type { SourceGatewayStatus } from './snapshot-source.ts';

export interface NotifiedGateway {
  clusterId: string;
  gateway: GatewayRef;
}

export interface NotificationTarget {
  /**
   * Looks at `target` now (all gateways when undefined, listing the root again); resolves when
   * done with the status of the gateways looked at. Never rejects: failures land in their status.
   */
  notify(via: string, target?: NotifiedGateway): Promise<SourceGatewayStatus[]>;
  /** A notification that was not one (bad JSON, another event); counted and shown in status. */
  notificationIgnored(via: string, reason: string): void;
  /** The receiver itself failed (a queue unreachable); shown in status until the next success. */
  notificationFailed(via: string, error: unknown): void;
}

export interface NotificationReceiver {
  /** `sqs` or `http`: the key of its counters in the source's status. */
  readonly via: string;
  readonly description: string;
  /** Starts receiving (binding a port, starting a poll loop); rejects when it cannot. */
  start(target: NotificationTarget): Promise<void>;
  stop(): Promise<void>;
}

export type ParsedNotification = { valid: true; target?: NotifiedGateway } | { valid: false; error: string };

/**
 * The part of a notification the relay reads: which gateway. The rest of the event's detail
 * (shared/pipeline/snapshot-events.ts: version, latestKey, manifestKey) is not needed, because the
 * pointer is read from the source anyway, and not required, so a producer adding or dropping
 * fields never makes relays ignore its events. An HTTP caller may send just this.
 */
const name = z
  .string()
  .regex(KUBERNETES_NAME, 'must be a Kubernetes object name (lowercase, digits, - and .)');
const GatewayOnlySchema = z.object({
  clusterId: name,
  gateway: z.object({ namespace: name, name }),
});

/**
 * Reads a notification body: an EventBridge "Snapshot Published" event (as SQS receives it from an
 * EventBridge rule), its `detail` alone, `{clusterId, gateway: {namespace, name}}`, or nothing at
 * all (`undefined`, `{}`) for "look at every gateway". Errors name the field.
 */
export function parseNotification(body: unknown): ParsedNotification {
  if (body === undefined || body === null) return { valid: true };
  if (typeof body !== 'object' || Array.isArray(body))
    return { valid: false, error: 'body: expected a JSON object' };
  const value = body as Record<string, unknown>;
  if (Object.keys(value).length === 0) return { valid: true };
  if ('detail-type' in value || 'detail' in value) {
    if (value.source !== SNAPSHOT_EVENT_SOURCE || value['detail-type'] !== SNAPSHOT_PUBLISHED_DETAIL_TYPE)
      return {
        valid: false,
        error:
          `source/detail-type: ${JSON.stringify(value.source)}/${JSON.stringify(value['detail-type'])} ` +
          `is not a "${SNAPSHOT_PUBLISHED_DETAIL_TYPE}" event from ${SNAPSHOT_EVENT_SOURCE}`,
      };
    return fromSchema(GatewayOnlySchema, value.detail, 'detail');
  }
  return fromSchema(GatewayOnlySchema, value, '');
}

function fromSchema(schema: z.ZodType<NotifiedGateway>, value: unknown, at: string): ParsedNotification {
  const parsed = schema.safeParse(value);
  if (parsed.success)
    return {
      valid: true,
      target: {
        clusterId: parsed.data.clusterId,
        gateway: { namespace: parsed.data.gateway.namespace, name: parsed.data.gateway.name },
      },
    };
  const error = parsed.error.issues
    .map((issue) => {
      const path = [at, ...issue.path.map(String)].filter((p) => p !== '').join('.');
      return `${path || 'body'}: ${issue.message}`;
    })
    .join('; ');
  return { valid: false, error };
}
