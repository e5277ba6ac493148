// The build-snapshot function: a DynamoDB Streams batch of IR table changes → the clusters whose
// IR content changed, or that recorded a relay NACK → each cluster's snapshots rebuilt once and
// published, with a Snapshot Published event per new Gateway version, and its statuses rewritten.
//
// Stream checkpoint rule: Lambda resumes a shard from the lowest sequence number reported in
// `batchItemFailures`, so a failing cluster reports the first record of its own in the batch.
// Records before it are not retried; records after it (of any cluster) are, which is harmless
// because an unchanged build publishes nothing.

import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { readIrTableChange } from '../../shared/aws/ir-table-layout.ts';
import { FleetplaneError } from '../../shared/errors.ts';
import {
  type BuildClusterDeps,
  buildClusterSnapshots,
} from '../../shared/pipeline/build-cluster-snapshots.ts';
import { type Observability, withObservability } from '../shared/observability.ts';

export type BuildSnapshotHandlerDeps = BuildClusterDeps & Observability;

export class ClusterBuildError extends FleetplaneError {}

export function createHandler(deps: BuildSnapshotHandlerDeps) {
  const { logger, metrics } = deps;

  const handler = async (event: DynamoDBStreamEvent, _context: Context): Promise<DynamoDBBatchResponse> => {
    // clusterId → sequence number of its first record that can change a snapshot (Map keeps order).
    const clusters = new Map<string, string>();
    let skipped = 0;
    for (const record of event.Records) {
      const change = readIrTableChange(record);
      if (!change?.affectsSnapshots && !change?.affectsStatuses) {
        skipped++;
        continue;
      }
      const sequenceNumber = record.dynamodb?.SequenceNumber;
      if (sequenceNumber === undefined) throw new ClusterBuildError('stream record without a SequenceNumber');
      if (!clusters.has(change.clusterId)) clusters.set(change.clusterId, sequenceNumber);
    }
    metrics.addMetric('StreamRecordsSkipped', MetricUnit.Count, skipped);

    const batchItemFailures: DynamoDBBatchResponse['batchItemFailures'] = [];
    for (const [clusterId, firstSequenceNumber] of clusters) {
      const started = performance.now();
      try {
        const result = await buildClusterSnapshots(clusterId, deps);
        metrics.addMetric('SnapshotsPublished', MetricUnit.Count, result.published.length);
        metrics.addMetric('ClusterBuildTime', MetricUnit.Milliseconds, performance.now() - started);
        for (const p of result.published) {
          logger.info('snapshot published', {
            clusterId,
            gateway: p.gateway,
            version: p.version,
            manifestKey: p.manifestKey,
            recovered: p.recovered,
          });
        }
        if (result.failures.length > 0) {
          const names = result.failures.map(
            (f) => `${f.gateway.namespace}/${f.gateway.name}: ${f.error.message}`,
          );
          throw new ClusterBuildError(
            `cluster ${clusterId}: ${names.length} Gateway(s) failed to publish: ${names.join('; ')}`,
            {
              cause: result.failures[0]?.error,
            },
          );
        }
        logger.debug('cluster built', {
          clusterId,
          items: result.items,
          unchanged: result.unchanged.length,
          statuses: result.statuses,
          notes: result.notes,
        });
      } catch (err) {
        metrics.addMetric('ClusterBuildFailures', MetricUnit.Count, 1);
        logger.error('cluster build failed; retrying from its first record', {
          clusterId,
          sequenceNumber: firstSequenceNumber,
          error: err as Error,
        });
        batchItemFailures.push({ itemIdentifier: firstSequenceNumber });
      }
    }
    return { batchItemFailures };
  };

  return withObservability(handler, deps);
}
