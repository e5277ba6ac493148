// The snapshots the relay holds, one per Gateway, keyed by node cluster, and the streams watching
// each. A new version replaces the old one whole (streams read it at send time, so slow streams
// coalesce to the latest); versions never go backwards. The first watcher of a gateway, and the
// last one leaving, are passed on as demand, for sources that fetch per gateway (a parent relay).

import { nodeCluster } from '../../shared/snapshot/layout.ts';
import type { Logger } from '../common/log.ts';
import type { RelayMetrics } from './relay-metrics.ts';
import { buildServedSnapshot, type ServedSnapshot } from './served-snapshot.ts';
import type { SnapshotSink, SourceSnapshot } from './source/snapshot-source.ts';

export type SnapshotListener = (snapshot: ServedSnapshot) => void;

export interface SnapshotCacheOptions {
  metrics: RelayMetrics;
  log: Logger;
  controlPlane?: string;
  /** Called when a gateway gets its first watcher; returns what to call when the last one leaves. */
  demand?: (key: string) => () => void;
}

export class SnapshotCache implements SnapshotSink {
  readonly #held = new Map<string, ServedSnapshot>();
  readonly #watchers = new Map<string, Set<SnapshotListener>>();
  readonly #releases = new Map<string, () => void>();

  constructor(readonly options: SnapshotCacheOptions) {}

  accept(source: SourceSnapshot): void {
    const key = nodeCluster(source.clusterId, source.gateway);
    const previous = this.#held.get(key);
    if (previous && source.version <= previous.version) return;
    const served = buildServedSnapshot(source, previous, {
      metrics: this.options.metrics,
      ...(this.options.controlPlane ? { controlPlane: this.options.controlPlane } : {}),
    });
    this.#held.set(key, served);
    this.options.metrics.snapshotVersion.set({ node_cluster: key }, served.version);
    this.options.metrics.snapshotLoads.inc({ node_cluster: key });
    this.options.log.info('snapshot loaded', {
      nodeCluster: key,
      version: served.version,
      previous: previous?.version,
      origin: served.origin,
    });
    for (const listener of [...(this.#watchers.get(key) ?? [])]) listener(served);
  }

  get(key: string): ServedSnapshot | undefined {
    return this.#held.get(key);
  }

  /** Calls `listener` on every new version for `key`; returns the unsubscribe function. */
  watch(key: string, listener: SnapshotListener): () => void {
    let set = this.#watchers.get(key);
    if (!set) {
      set = new Set();
      this.#watchers.set(key, set);
      const release = this.options.demand?.(key);
      if (release) this.#releases.set(key, release);
    }
    set.add(listener);
    return () => {
      if (!set.delete(listener) || set.size > 0) return;
      this.#watchers.delete(key);
      const release = this.#releases.get(key);
      this.#releases.delete(key);
      release?.();
    };
  }

  snapshots(): ServedSnapshot[] {
    return [...this.#held.values()].sort((a, b) => a.nodeCluster.localeCompare(b.nodeCluster));
  }

  /** True once at least one snapshot is held: the relay's readiness. */
  get loaded(): boolean {
    return this.#held.size > 0;
  }
}
