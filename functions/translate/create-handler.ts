// The translate function: SQS messages (each the EventBridge change event a rule delivered) →
// validated change events → IR writes. A relay NACK, routed here by its own rule, is recorded for
// the snapshot builder to turn into Gateway status; a forwarder's Collection Listed event
// tombstones the IR items its list no longer holds. Each record stands alone: a record that fails, including
// a poison message whose detail is invalid, is reported in `batchItemFailures` so SQS redelivers
// only it, and after maxReceiveCount moves it to the dead-letter queue; the rest go through.

import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  type ApplyChangeEventDeps,
  applyChangeEvent,
  ChangeEventError,
} from '../../shared/pipeline/apply-change-event.ts';
import { parsePipelineMessage } from '../../shared/pipeline/change-event-message.ts';
import { reconcileCollection } from '../../shared/pipeline/collection-listed.ts';
import { type RejectionStore, recordRelayNack } from '../../shared/pipeline/proxy-rejections.ts';
import { type Observability, withObservability } from '../shared/observability.ts';

export type TranslateHandlerDeps = ApplyChangeEventDeps &
  Observability & {
    /** Where relay NACKs are recorded; a NACK fails (towards the DLQ) without one. */
    rejections?: RejectionStore;
  };

export function createHandler(deps: TranslateHandlerDeps) {
  const { logger, metrics } = deps;
  const processor = new BatchProcessor(EventType.SQS);

  const recordHandler = async (record: SQSRecord): Promise<void> => {
    try {
      const message = parsePipelineMessage(record.body);
      if (message.type === 'relay-nack') {
        if (!deps.rejections)
          throw new ChangeEventError('relay NACK received, but no rejection store is configured');
        const { rejection, outcome } = await recordRelayNack(message.detail, deps.rejections);
        metrics.addMetric('RelayNacksRecorded', MetricUnit.Count, outcome === 'written' ? 1 : 0);
        logger.info('relay NACK recorded', {
          messageId: record.messageId,
          clusterId: message.detail.clusterId,
          rejection,
          outcome,
        });
        return;
      }
      if (message.type === 'collection-listed') {
        const d = message.detail;
        const result = await reconcileCollection(d, deps);
        const tombstoned = result.deleted.filter((r) => r.outcome === 'written');
        metrics.addMetric('ListDeletesWritten', MetricUnit.Count, tombstoned.length);
        logger.info('collection list reconciled', {
          messageId: record.messageId,
          clusterId: d.clusterId,
          collection: `${d.group || 'core'}/${d.kind}`,
          namespace: d.namespace ?? '(all)',
          resourceVersion: d.resourceVersion,
          outcome: result.outcome,
          kept: result.kept,
          tombstoned: tombstoned.map((r) => `${r.id.namespace ? `${r.id.namespace}/` : ''}${r.id.name}`),
          newerThanList: result.deleted.length - tombstoned.length,
        });
        return;
      }
      const detail = message.detail;
      const { id, outcome } = await applyChangeEvent(detail, deps);
      metrics.addMetric(`ChangeEvents${outcome[0]?.toUpperCase()}${outcome.slice(1)}`, MetricUnit.Count, 1);
      logger.debug('change event applied', {
        messageId: record.messageId,
        clusterId: detail.clusterId,
        resource: id,
        resourceVersion: detail.resourceVersion,
        change: detail.change,
        outcome,
      });
    } catch (err) {
      const poison = err instanceof ChangeEventError;
      metrics.addMetric(poison ? 'ChangeEventsInvalid' : 'ChangeEventsFailed', MetricUnit.Count, 1);
      logger.error(poison ? 'invalid change event; failing it towards the DLQ' : 'change event failed', {
        messageId: record.messageId,
        receiveCount: record.attributes.ApproximateReceiveCount,
        error: err as Error,
      });
      throw err;
    }
  };

  const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });

  return withObservability(handler, deps);
}
