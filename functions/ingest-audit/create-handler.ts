// The audit ingestion function: Kubernetes audit events → change events (`origin: audit`) on the
// bus. Two inputs reach the same handler:
// - the API server's audit webhook, an EventList POSTed to a Lambda Function URL, authenticated
//   by a per-cluster bearer token (webhook-auth.ts); answers 401, 400 naming the bad field, 405,
//   503 when the events could not be put on the bus (the API server retries the batch, and the
//   writes downstream are idempotent), or 200 with counts;
// - a CloudWatch Logs subscription on an EKS cluster's audit log (`awslogs.data`). A failure
//   throws, so Lambda's asynchronous retries and on-failure destination take over.
// Which audit events become change events is decided by shared/pipeline/audit-event.ts.

import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type {
  CloudWatchLogsEvent,
  Context,
  LambdaFunctionURLEvent,
  LambdaFunctionURLResult,
} from 'aws-lambda';
import type { ChangeEventDetail } from '../../shared/events/change-event.ts';
import { ChangeEventDetailSchema } from '../../shared/events/change-event.ts';
import {
  type AuditEvent,
  AuditInputError,
  type AuditSkipReason,
  decideAuditEvent,
  parseAuditEvent,
  parseAuditEventList,
} from '../../shared/pipeline/audit-event.ts';
import {
  ObjectMappingError,
  objectToChangeEvent,
  toOutboundEvent,
} from '../../shared/pipeline/object-to-change-event.ts';
import type { WatchedKind } from '../../shared/pipeline/watched-kinds.ts';
import type { ClaimCheck } from '../../shared/ports/claim-check.ts';
import type { EventPublisher } from '../../shared/ports/event-publisher.ts';
import { type Observability, withObservability } from '../shared/observability.ts';
import { decodeLogsPayload, eksClusterName } from './cloudwatch-logs.ts';
import { authenticate, type WebhookToken } from './webhook-auth.ts';

export interface IngestAuditDeps extends Observability {
  publisher: EventPublisher;
  /** For objects above the claim-check threshold. */
  claimCheck?: ClaimCheck;
  /** Accepted webhook tokens (digests); none means every webhook request is refused. */
  webhookTokens: readonly WebhookToken[];
  /** Cluster of the CloudWatch Logs input; by default the name in `/aws/eks/<name>/cluster`. */
  clusterId?: string;
  /** Default: every watched kind. */
  kinds?: readonly WatchedKind[];
}

export type IngestAuditEvent = LambdaFunctionURLEvent | CloudWatchLogsEvent;

export interface IngestSummary {
  clusterId?: string;
  received: number;
  forwarded: number;
  skipped: Partial<Record<AuditSkipReason | 'malformed' | 'unmappable', number>>;
}

export function createHandler(deps: IngestAuditDeps) {
  const { logger, metrics } = deps;

  const forward = async (events: AuditEvent[], clusterId: string, summary: IngestSummary): Promise<void> => {
    const skip = (reason: keyof IngestSummary['skipped']) => {
      summary.skipped[reason] = (summary.skipped[reason] ?? 0) + 1;
    };
    const details: ChangeEventDetail[] = [];
    for (const event of events) {
      const decision = decideAuditEvent(event, { clusterId, kinds: deps.kinds });
      if (decision.action === 'skip') {
        skip(decision.reason);
        continue;
      }
      try {
        details.push(await objectToChangeEvent(decision.change, { claimCheck: deps.claimCheck }));
      } catch (err) {
        if (!(err instanceof ObjectMappingError)) throw err;
        skip('unmappable');
        logger.error('audited object cannot become a change event', { auditID: event.auditID, error: err });
      }
    }
    if (details.length > 0) await deps.publisher.putEvents(details.map(toOutboundEvent));
    summary.forwarded = details.length;
    const skipped = Object.values(summary.skipped).reduce((a, b) => a + (b ?? 0), 0);
    metrics.addMetric('AuditEventsReceived', MetricUnit.Count, summary.received);
    metrics.addMetric('AuditEventsForwarded', MetricUnit.Count, summary.forwarded);
    metrics.addMetric('AuditEventsSkipped', MetricUnit.Count, skipped);
    logger.info('audit events ingested', { ...summary });
  };

  const webhook = async (event: LambdaFunctionURLEvent): Promise<LambdaFunctionURLResult> => {
    const method = event.requestContext?.http?.method ?? '';
    if (method !== 'POST')
      return reply(
        405,
        { error: `${method || 'this method'} is not allowed; POST an audit EventList` },
        { allow: 'POST' },
      );
    const caller = authenticate(event.headers?.authorization, deps.webhookTokens);
    if (!caller) {
      metrics.addMetric('AuditWebhookUnauthorized', MetricUnit.Count, 1);
      logger.warn('audit webhook request without a valid bearer token', {
        sourceIp: event.requestContext?.http?.sourceIp,
      });
      return reply(401, { error: 'a valid bearer token is required' }, { 'www-authenticate': 'Bearer' });
    }
    let events: AuditEvent[];
    try {
      const text = event.isBase64Encoded
        ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
        : (event.body ?? '');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (err) {
        throw new AuditInputError('body', 'not JSON', { cause: err });
      }
      events = parseAuditEventList(body);
    } catch (err) {
      if (!(err instanceof AuditInputError)) throw err;
      logger.warn('malformed audit webhook request', {
        clusterId: caller.clusterId,
        field: err.field,
        error: err,
      });
      return reply(400, { error: err.message, field: err.field });
    }
    const summary: IngestSummary = {
      clusterId: caller.clusterId,
      received: events.length,
      forwarded: 0,
      skipped: {},
    };
    try {
      await forward(events, caller.clusterId, summary);
    } catch (err) {
      logger.error('audit events could not be put on the bus; the API server will retry', {
        clusterId: caller.clusterId,
        error: err as Error,
      });
      return reply(503, { error: 'the change bus is unavailable; retry' }, { 'retry-after': '5' });
    }
    return reply(200, summary);
  };

  const logs = async (event: CloudWatchLogsEvent): Promise<IngestSummary> => {
    const decoded = decodeLogsPayload(event);
    if (decoded.messageType === 'CONTROL_MESSAGE') return { received: 0, forwarded: 0, skipped: {} };
    const clusterId = deps.clusterId ?? eksClusterName(decoded.logGroup);
    if (!clusterId || !ChangeEventDetailSchema.shape.clusterId.safeParse(clusterId).success) {
      throw new AuditInputError(
        'awslogs.data logGroup',
        `${JSON.stringify(decoded.logGroup)} names no usable cluster id; set CLUSTER_ID on the function`,
      );
    }
    const summary: IngestSummary = {
      clusterId,
      received: decoded.logEvents.length,
      forwarded: 0,
      skipped: {},
    };
    const events: AuditEvent[] = [];
    decoded.logEvents.forEach((logEvent, i) => {
      try {
        let value: unknown;
        try {
          value = JSON.parse(logEvent.message);
        } catch (err) {
          throw new AuditInputError(`logEvents[${i}].message`, 'not JSON', { cause: err });
        }
        events.push(parseAuditEvent(value, `logEvents[${i}].message`));
      } catch (err) {
        if (!(err instanceof AuditInputError)) throw err;
        summary.skipped.malformed = (summary.skipped.malformed ?? 0) + 1;
        logger.warn('log event is not an audit event; skipped', {
          logGroup: decoded.logGroup,
          logStream: decoded.logStream,
          id: logEvent.id,
          field: err.field,
          error: err,
        });
      }
    });
    await forward(events, clusterId, summary);
    return summary;
  };

  const handler = async (
    event: IngestAuditEvent,
    _context: Context,
  ): Promise<LambdaFunctionURLResult | IngestSummary> => ('awslogs' in event ? logs(event) : webhook(event));

  return withObservability(handler, deps);
}

function reply(status: number, body: unknown, headers: Record<string, string> = {}): LambdaFunctionURLResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}
