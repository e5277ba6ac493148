// Port: the IR table. One item per Kubernetes resource, written order-safely (a write carries the
// source resourceVersion and loses to anything newer), deletes kept as tombstones, plus the
// snapshot builder's bookkeeping and the statuses it derives.

import type { AnyIrItem, ResourceId, ResourceStatus } from '../ir/types.ts';
import type { GatewayRef } from '../snapshot/layout.ts';

/**
 * `written`: the item now reflects this event. `stale`: an equal or newer resourceVersion is
 * already stored (a duplicate or an out-of-order event), so the event was dropped.
 */
export type IrWriteOutcome = 'written' | 'stale';

/** Where an IR write came from; `resourceVersion` orders writes to the same resource. */
export interface IrSource {
  /** Decimal string, compared as an integer (see docs/pipeline.md for the caveat). */
  resourceVersion: string;
  generation?: number;
  /** When the producer saw the change (ISO 8601). */
  observedAt?: string;
}

/** What the snapshot builder last published for one Gateway. */
export interface SnapshotState {
  gateway: GatewayRef;
  version: number;
  contentHash: string;
  latestKey: string;
  publishedAt: string;
}

export interface IrStore {
  /** Creates or replaces the resource's IR unless an equal or newer resourceVersion is stored. */
  putItem(clusterId: string, item: AnyIrItem, source: IrSource): Promise<IrWriteOutcome>;
  /**
   * Replaces the resource with a tombstone (expiring after a TTL) under the same ordering rule, so
   * a late upsert cannot resurrect it. A delete also wins a tie with the upsert it deletes.
   */
  deleteItem(clusterId: string, id: ResourceId, source: IrSource): Promise<IrWriteOutcome>;
  /** Every live (not deleted) IR item of the cluster, read consistently. */
  listCluster(clusterId: string): Promise<AnyIrItem[]>;

  getSnapshotState(clusterId: string, gateway: GatewayRef): Promise<SnapshotState | undefined>;
  listSnapshotStates(clusterId: string): Promise<SnapshotState[]>;
  /** Records a published version; never moves a Gateway's version backwards. */
  putSnapshotState(clusterId: string, state: SnapshotState): Promise<IrWriteOutcome>;

  /**
   * Makes the stored statuses of the cluster equal to `statuses`: changed ones are written,
   * unchanged ones are left alone, and statuses of resources not listed are removed.
   */
  replaceStatuses(
    clusterId: string,
    statuses: ResourceStatus[],
  ): Promise<{ written: number; removed: number }>;
  listStatuses(clusterId: string): Promise<ResourceStatus[]>;
}
