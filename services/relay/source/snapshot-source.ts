// Port: where the relay gets snapshot versions: a directory or an S3 bucket in the snapshot layout
// (both polled through `latest.json`, refreshed at once on a notification; polled-source.ts), or a
// parent relay (the relay as an ADS client, so relays form a tree). Sources hand over packed
// resources per type; the relay decodes and encodes each version once (served-snapshot.ts).

import type { AnyResource } from '../../../shared/codec/index.ts';
import type { GatewayRef } from '../../../shared/snapshot/layout.ts';
import type { SnapshotLoadFailure } from '../errors.ts';

export interface SourceTypeResources {
  typeUrl: string;
  /** `version_info` the producer gave this type's DiscoveryResponse. */
  versionInfo: string;
  resources: AnyResource[];
}

/** One complete, verified snapshot version of one Gateway. */
export interface SourceSnapshot {
  clusterId: string;
  gateway: GatewayRef;
  /** Monotonic per Gateway; a source never hands over a version lower than one it handed before. */
  version: number;
  contentHash?: string;
  createdAt?: string;
  /** Where it came from, for debugging (a manifest key, a parent relay address). */
  origin: string;
  types: SourceTypeResources[];
}

export interface SnapshotSink {
  /** Takes a new version; throws a SnapshotLoadError when it cannot be served (the old one stays). */
  accept(snapshot: SourceSnapshot): void;
}

export interface SourceGatewayStatus {
  nodeCluster: string;
  /** Newest version the source has seen announced. */
  latestVersion?: number;
  /** Newest version handed to the relay. */
  loadedVersion?: number;
  lastLoadedAt?: string;
  lastError?: { message: string; reason: SnapshotLoadFailure; version?: number; at: string };
  /** Sources with a connection per gateway (a parent relay) say where it stands. */
  connection?: string;
  /** `version_info` per type as the source last saw it (a parent relay's own versions). */
  typeVersions?: Record<string, string>;
}

export interface SourceStatus {
  description: string;
  scans: number;
  lastScanAt?: string;
  /** The source itself failing (a listing that did not answer); gateways keep their last good version. */
  lastError?: { message: string; at: string };
  /** Per notification channel (`sqs`, `http`): what arrived, what was ignored, the last failure. */
  notifications?: Record<
    string,
    {
      received: number;
      ignored: number;
      lastAt?: string;
      lastIgnored?: { reason: string; at: string };
      lastError?: { message: string; at: string };
    }
  >;
  gateways: SourceGatewayStatus[];
}

export interface SnapshotSource {
  readonly description: string;
  /** Runs the first scan (awaited), then keeps watching until `stop`. */
  start(sink: SnapshotSink): Promise<void>;
  /** Looks for new versions now (a notification arrived); resolves when that scan is done. */
  refresh(): Promise<void>;
  stop(): Promise<void>;
  status(): SourceStatus;
  /**
   * For sources that fetch per gateway on demand (a parent relay): the relay calls this when
   * downstream streams start asking for `nodeCluster`, and the returned function when the last one
   * has gone. Sources that hold everything anyway leave it out.
   */
  demand?(nodeCluster: string): () => void;
  /**
   * Whether the relay can take traffic. Without it the relay is ready once it holds a snapshot,
   * which a source that loads on demand cannot have before the first client asks.
   */
  ready?(): { ready: boolean; reason?: string };
}
