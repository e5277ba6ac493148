// SnapshotSource over an S3 bucket in the snapshot layout (`s3://bucket[/prefix]`), where the
// pipeline's build-snapshot function publishes. Every `pollIntervalMs` each known gateway's
// `latest.json` is read with `If-None-Match: <ETag>` (a 304 while nothing changed); every
// `discoverIntervalMs` the prefix is listed, folder by folder with a `/` delimiter, for new
// gateways. A "Snapshot Published" notification (SQS) or an HTTP call makes it look at once, so the
// poll is only the safety net. Downloads are verified by the shared loader, and a version that
// fails (corrupt object, S3 unreachable) leaves the last good one served, with the error in
// /debug/snapshots and in fleetplane_relay_snapshot_load_failures_total.

import { S3SnapshotReader, type S3SnapshotReaderOptions } from '../../../shared/aws/s3-snapshot-reader.ts';
import type { Logger } from '../../common/log.ts';
import type { RelayMetrics } from '../relay-metrics.ts';
import type { NotificationReceiver } from './notifications.ts';
import { PolledSnapshotSource } from './polled-source.ts';

export interface S3SourceOptions {
  bucketName: string;
  /** Key prefix of the layout inside the bucket. Default: the bucket root. */
  prefix?: string;
  /** Your own client; one is built from `clientConfig` otherwise (AWS_ENDPOINT_URL honoured). */
  client?: S3SnapshotReaderOptions['client'];
  clientConfig?: S3SnapshotReaderOptions['clientConfig'];
  /** How often each gateway's `latest.json` is checked. Default 5 s. */
  pollIntervalMs?: number;
  /** How often the prefix is listed for new gateways. Default 30 s. */
  discoverIntervalMs?: number;
  /** How long a version that failed waits before it is tried again (unless its pointer changes). Default 30 s. */
  retryFailedMs?: number;
  /** Gateways checked at the same time during a poll. Default 16. */
  concurrency?: number;
  /** SQS "Snapshot Published" events, an HTTP endpoint. */
  notifications?: NotificationReceiver[];
  log: Logger;
  metrics: RelayMetrics;
  now?: () => number;
}

export class S3SnapshotSource extends PolledSnapshotSource {
  constructor(options: S3SourceOptions) {
    super({
      reader: new S3SnapshotReader({
        bucketName: options.bucketName,
        ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
        ...(options.client ? { client: options.client } : {}),
        ...(options.clientConfig ? { clientConfig: options.clientConfig } : {}),
      }),
      pollIntervalMs: options.pollIntervalMs ?? 5_000,
      discoverIntervalMs: options.discoverIntervalMs ?? 30_000,
      concurrency: options.concurrency ?? 16,
      ...(options.retryFailedMs !== undefined ? { retryFailedMs: options.retryFailedMs } : {}),
      ...(options.notifications ? { notifications: options.notifications } : {}),
      log: options.log,
      metrics: options.metrics,
      ...(options.now ? { now: options.now } : {}),
    });
  }
}

/** `s3://bucket` or `s3://bucket/prefix` → its parts; undefined when it is not that. */
export function parseS3Url(value: string): { bucketName: string; prefix: string } | undefined {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(value);
  if (!match?.[1]) return undefined;
  return { bucketName: match[1], prefix: match[2] ?? '' };
}
