// The snapshot-building step of the pipeline, for one cluster: read every live IR item, build one
// snapshot per Gateway we own, publish each (an unchanged one publishes nothing), announce new
// versions on the bus, then record the bookkeeping and the derived statuses.
//
// Every Gateway of the cluster is rebuilt on every change. That is what makes a Backend,
// ReferenceGrant or EndpointSlice change reach every Gateway it affects without a dependency
// index; the price is one read of the cluster's IR and one `latest.json` read per Gateway per
// build (see docs/pipeline.md).
//
// Statuses are the build's, plus `Programmed=False` on each Gateway whose current version a proxy
// NACKed (proxy-rejections.ts); a newer version drops the condition on the build that publishes it.
//
// Announce before bookkeeping: if the event cannot be put, the bookkeeping still lags S3 and the
// retry announces the version again, so a Snapshot Published event is delivered at least once.

import type { EventPublisher } from '../ports/event-publisher.ts';
import type { IrStore, SnapshotState } from '../ports/ir-store.ts';
import type { SnapshotStore } from '../ports/snapshot-store.ts';
import { contentHash, type GatewayRef, gatewayRefOf, versionPrefix } from '../snapshot/layout.ts';
import { publishSnapshot } from '../snapshot/publish.ts';
import { buildSnapshots } from '../xds/build-snapshots.ts';
import { DEFAULT_CONTROLLER_NAME, type GatewaySnapshot } from '../xds/types.ts';
import { gatewayKey, type RejectionStore, withRejections } from './proxy-rejections.ts';
import { snapshotPublishedEvent } from './snapshot-events.ts';

export interface BuildClusterDeps {
  irStore: IrStore;
  snapshotStore: SnapshotStore;
  /** Where Snapshot Published events go; none are sent when absent. */
  events?: EventPublisher;
  /** Recorded proxy NACKs, shown as Gateway conditions; none are when absent. */
  rejections?: RejectionStore;
  /** GatewayClass controllerName that marks Gateways as ours. Default: DEFAULT_CONTROLLER_NAME. */
  controllerName?: string;
  /** Gateways published at the same time. Default: 4. */
  concurrency?: number;
  now?: () => Date;
}

export interface PublishedSnapshot {
  clusterId: string;
  gateway: GatewayRef;
  version: number;
  latestKey: string;
  /** Key of the version's immutable manifest.json. */
  manifestKey: string;
  contentHash: string;
  /**
   * True when S3 already held this version but the bookkeeping did not: an earlier build
   * published it and stopped before announcing it, so it is announced now.
   */
  recovered: boolean;
}

export interface ClusterBuildResult {
  clusterId: string;
  /** Live IR items read. */
  items: number;
  /** Gateways announced by this build: new versions, and recovered ones. */
  published: PublishedSnapshot[];
  unchanged: Array<{ gateway: GatewayRef; version: number }>;
  /** Gateways whose publish failed; the others were still published and announced. */
  failures: Array<{ gateway: GatewayRef; error: Error }>;
  statuses: { written: number; removed: number };
  notes: string[];
}

export async function buildClusterSnapshots(
  clusterId: string,
  deps: BuildClusterDeps,
): Promise<ClusterBuildResult> {
  const now = deps.now ?? (() => new Date());
  const items = await deps.irStore.listCluster(clusterId);
  const build = buildSnapshots(items, {
    controllerName: deps.controllerName ?? DEFAULT_CONTROLLER_NAME,
    sds: { type: 'ads' },
  });
  const states = new Map(
    (await deps.irStore.listSnapshotStates(clusterId)).map((s) => [gatewayKey(s.gateway), s]),
  );

  const outcomes = await mapWithConcurrency(build.snapshots, deps.concurrency ?? 4, (snapshot) =>
    publishOne(clusterId, snapshot, states, deps, now),
  );

  const published: PublishedSnapshot[] = [];
  const unchanged: ClusterBuildResult['unchanged'] = [];
  const failures: ClusterBuildResult['failures'] = [];
  for (const outcome of outcomes) {
    if (outcome.kind === 'failed') failures.push({ gateway: outcome.gateway, error: outcome.error });
    else if (outcome.kind === 'unchanged')
      unchanged.push({ gateway: outcome.gateway, version: outcome.version });
    else published.push(outcome.snapshot);
  }

  if (deps.events && published.length > 0) {
    await deps.events.putEvents(published.map((p) => snapshotPublishedEvent(p)));
  }
  for (const p of published) {
    const state: SnapshotState = {
      gateway: p.gateway,
      version: p.version,
      contentHash: p.contentHash,
      latestKey: p.latestKey,
      publishedAt: now().toISOString(),
    };
    await deps.irStore.putSnapshotState(clusterId, state);
  }
  let derived = build.statuses;
  if (deps.rejections) {
    const versions = new Map([...states.values()].map((s) => [gatewayKey(s.gateway), s.version]));
    for (const p of published) versions.set(gatewayKey(p.gateway), p.version);
    for (const u of unchanged) versions.set(gatewayKey(u.gateway), u.version);
    derived = withRejections(build.statuses, await deps.rejections.listRejections(clusterId), versions);
  }
  const statuses = await deps.irStore.replaceStatuses(clusterId, derived);
  return { clusterId, items: items.length, published, unchanged, failures, statuses, notes: build.notes };
}

type PublishOutcome =
  | { kind: 'published'; snapshot: PublishedSnapshot }
  | { kind: 'unchanged'; gateway: GatewayRef; version: number }
  | { kind: 'failed'; gateway: GatewayRef; error: Error };

async function publishOne(
  clusterId: string,
  snapshot: GatewaySnapshot,
  states: ReadonlyMap<string, SnapshotState>,
  deps: BuildClusterDeps,
  now: () => Date,
): Promise<PublishOutcome> {
  const gateway = gatewayRefOf(snapshot.gateway);
  try {
    const result = await publishSnapshot(deps.snapshotStore, { clusterId, gateway }, snapshot.resources, now);
    if (result.status === 'published') {
      return {
        kind: 'published',
        snapshot: {
          clusterId,
          gateway,
          version: result.version,
          latestKey: result.latestKey,
          manifestKey: result.manifestKey,
          contentHash: result.latest.contentHash,
          recovered: false,
        },
      };
    }
    const state = states.get(gatewayKey(gateway));
    if (state === undefined || state.version < result.version) {
      return {
        kind: 'published',
        snapshot: {
          clusterId,
          gateway,
          version: result.version,
          latestKey: result.latestKey,
          manifestKey: `${versionPrefix(clusterId, gateway, result.version)}manifest.json`,
          contentHash: contentHash(snapshot.resources),
          recovered: true,
        },
      };
    }
    return { kind: 'unchanged', gateway, version: result.version };
  } catch (err) {
    return { kind: 'failed', gateway, error: err instanceof Error ? err : new Error(String(err)) };
  }
}

async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
