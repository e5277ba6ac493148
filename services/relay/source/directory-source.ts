// SnapshotSource over a directory in the snapshot layout (what `fleetplane translate --to snapshot`
// writes, the same layout as the S3 bucket). The polling engine is shared with the S3 source
// (polled-source.ts); here the root is listed on every poll, which costs a few readdirs, and an
// unchanged `latest.json` costs one stat.

import { DirectorySnapshotReader } from '../../../shared/fs/fs-snapshot-reader.ts';
import type { Logger } from '../../common/log.ts';
import type { RelayMetrics } from '../relay-metrics.ts';
import type { NotificationReceiver } from './notifications.ts';
import { PolledSnapshotSource } from './polled-source.ts';

export interface DirectorySourceOptions {
  root: string;
  /** How often pointers are checked. Default 1000 ms. */
  pollIntervalMs?: number;
  /** How long a version that failed waits before it is tried again (unless its pointer changes). Default 30 s. */
  retryFailedMs?: number;
  /** Notification receivers (an HTTP endpoint) that make it look at once. */
  notifications?: NotificationReceiver[];
  log: Logger;
  metrics: RelayMetrics;
  now?: () => number;
}

export class DirectorySnapshotSource extends PolledSnapshotSource {
  constructor(options: DirectorySourceOptions) {
    super({
      reader: new DirectorySnapshotReader(options.root),
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      discoverIntervalMs: 0,
      ...(options.retryFailedMs !== undefined ? { retryFailedMs: options.retryFailedMs } : {}),
      ...(options.notifications ? { notifications: options.notifications } : {}),
      log: options.log,
      metrics: options.metrics,
      ...(options.now ? { now: options.now } : {}),
    });
  }
}
