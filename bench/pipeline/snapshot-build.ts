// Benchmark: the build-snapshot step (shared/pipeline/build-cluster-snapshots.ts, what the
// build-snapshot function runs per cluster) on the synthetic fleet of bench/fleet.ts (10,000
// Backends, 5,000 HTTPRoutes, 50 Gateways, 100 namespaces by default): from the cluster's full IR
// to every Gateway's snapshot published. The same build runs against several stores, so that the
// emulator's I/O can be told apart from the work itself:
//   memory   — in-memory IR and snapshot stores (the unit tests' fakes): compute only;
//   fs       — snapshots written to a temporary directory (FsSnapshotStore);
//   s3       — snapshots written to S3 on moto (S3SnapshotStore), IR in memory;
//   dynamodb — IR read from DynamoDB and snapshots written to S3, both on moto: the function's path.
// For each: the first build (every Gateway new), a build with nothing changed (publishes nothing;
// skipped for dynamodb, where it costs what the next one does) and the build after one Backend
// changes (one Gateway gets a new version); bytes and objects written under the cluster's prefix.
// Run: node --import tsx bench/pipeline/snapshot-build.ts [--flags]; see bench/README.md.

import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { startEmulator } from '../../services/local/moto.ts';
import { createDynamoDbClient, createS3Client } from '../../shared/aws/clients.ts';
import { DynamoDbIrStore } from '../../shared/aws/dynamodb-ir-store.ts';
import { ensureIrTable, ensureSnapshotBucket } from '../../shared/aws/provision.ts';
import { S3SnapshotStore } from '../../shared/aws/s3-snapshot-store.ts';
import { FsSnapshotStore } from '../../shared/fs/fs-snapshot-store.ts';
import type { AnyIrItem } from '../../shared/ir/types.ts';
import {
  buildClusterSnapshots,
  type ClusterBuildResult,
} from '../../shared/pipeline/build-cluster-snapshots.ts';
import type { IrStore } from '../../shared/ports/ir-store.ts';
import type { SnapshotStore } from '../../shared/ports/snapshot-store.ts';
import { translateAll, translateObject } from '../../shared/translate/index.ts';
import { buildSnapshots } from '../../shared/xds/build-snapshots.ts';
import { DEFAULT_CONTROLLER_NAME } from '../../shared/xds/types.ts';
import {
  MemoryIrStore,
  MemorySnapshotStore,
  RecordingEventPublisher,
} from '../../test/unit/pipeline/fakes.ts';
import { backendObject, DEFAULT_FLEET, generateFleet } from '../fleet.ts';
import { machineInfo, parseFlags, writeResult } from './common.ts';

const flags = parseFlags({
  ...DEFAULT_FLEET,
  /** Rounds of the in-memory build; the median is reported. */
  rounds: 3,
  /** Gateways published at once (BuildClusterDeps.concurrency; the function uses the default, 4). */
  concurrency: 4,
  /** Also load the IR into DynamoDB on moto and build from there (the function's own path). */
  dynamodb: true,
  /** Parallel PutItems while loading the IR into DynamoDB. */
  loadConcurrency: 8,
});
const size = {
  backends: flags.backends,
  routes: flags.routes,
  gateways: flags.gateways,
  namespaces: flags.namespaces,
};
const CLUSTER = 'bench';
const PREFIX = `clusters/${CLUSTER}/`;
const machine = machineInfo();

const objects = generateFleet(size);
const { items } = translateAll(
  objects.map((object, i) => ({ object, source: `fleet#${i}` })),
  { defaultNamespace: 'default' },
);
const rv = (i: number) => String(1_000_000 + i);

// The Backend that changes: be-10, a kgateway static Backend whose port moves (8080 → 8081), on
// Gateway gw-(10 % routes % gateways).
const CHANGED = 10;
const changedNamespace = `ns-${String((CHANGED % size.routes) % size.namespaces).padStart(3, '0')}`;
const changedItem = translateObject(backendObject(CHANGED, changedNamespace, 1), {
  defaultNamespace: changedNamespace,
});
if (!changedItem) throw new Error('the changed Backend did not translate');

async function loadIr(store: IrStore, all: readonly AnyIrItem[], concurrency: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < all.length) {
      const i = next++;
      await store.putItem(CLUSTER, all[i] as AnyIrItem, { resourceVersion: rv(i) });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return performance.now() - started;
}

interface Listing {
  objects: number;
  bytes: number;
  /** Bytes by file kind: binary DiscoveryResponses, JSON ones, manifests, latest pointers. */
  bytesByKind: Record<string, number>;
}

function listingOf(entries: Array<{ key: string; size: number }>): Listing {
  const bytesByKind: Record<string, number> = { pb: 0, json: 0, manifest: 0, latest: 0 };
  let bytes = 0;
  for (const { key, size } of entries) {
    bytes += size;
    const kind = key.endsWith('/latest.json')
      ? 'latest'
      : key.endsWith('/manifest.json')
        ? 'manifest'
        : key.endsWith('.pb')
          ? 'pb'
          : 'json';
    bytesByKind[kind] = (bytesByKind[kind] ?? 0) + size;
  }
  return { objects: entries.length, bytes, bytesByKind };
}

async function listS3(client: S3Client, bucket: string): Promise<Listing> {
  const entries: Array<{ key: string; size: number }> = [];
  let token: string | undefined;
  do {
    const res = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: PREFIX, ContinuationToken: token }),
    );
    for (const o of res.Contents ?? []) entries.push({ key: o.Key ?? '', size: o.Size ?? 0 });
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return listingOf(entries);
}

async function listFs(root: string): Promise<Listing> {
  const entries: Array<{ key: string; size: number }> = [];
  for (const e of await readdir(join(root, PREFIX), { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    entries.push({ key: path, size: (await stat(path)).size });
  }
  return listingOf(entries);
}

function listMemory(store: MemorySnapshotStore): Listing {
  return listingOf(
    store.keys(PREFIX).map((key) => ({ key, size: store.objects.get(key)?.body.byteLength ?? 0 })),
  );
}

interface BuildTimes {
  firstBuildMs: number;
  published: number;
  /** What the first build wrote: every Gateway's version 1 and its latest.json. */
  written: Listing;
  /** Null when skipped (the DynamoDB variant: it costs what the build after the change costs). */
  unchangedBuildMs: number | null;
  unchanged: number | null;
  oneBackendChangedMs: number;
  republished: string[];
  /** What the build after the change added (its version folder; latest.json is replaced). */
  changeAdded: { objects: number; bytes: number };
}

/** First build, a build with nothing changed, a build after one Backend changed. */
async function threeBuilds(
  irStore: IrStore,
  snapshotStore: SnapshotStore,
  list: () => Promise<Listing> | Listing,
  options: { unchangedBuild?: boolean } = {},
): Promise<BuildTimes> {
  const deps = {
    irStore,
    snapshotStore,
    events: new RecordingEventPublisher(),
    controllerName: DEFAULT_CONTROLLER_NAME,
    concurrency: flags.concurrency,
  };
  const timed = async (): Promise<[ClusterBuildResult, number]> => {
    const t = performance.now();
    const result = await buildClusterSnapshots(CLUSTER, deps);
    if (result.failures.length > 0) throw result.failures[0]?.error;
    return [result, performance.now() - t];
  };
  const [first, firstMs] = await timed();
  if (first.published.length !== size.gateways)
    throw new Error(`first build published ${first.published.length} of ${size.gateways} Gateways`);
  const written = await list();
  let again: [ClusterBuildResult, number] | undefined;
  if (options.unchangedBuild !== false) {
    again = await timed();
    if (again[0].published.length !== 0)
      throw new Error(`an unchanged build published ${again[0].published.length}`);
  }
  await irStore.putItem(CLUSTER, changedItem as AnyIrItem, { resourceVersion: rv(10_000_000) });
  const [changed, changedMs] = await timed();
  if (changed.published.length !== 1)
    throw new Error(`one Backend changed, yet ${changed.published.length} Gateways were republished`);
  const after = await list();
  return {
    firstBuildMs: Math.round(firstMs),
    published: first.published.length,
    written,
    unchangedBuildMs: again ? Math.round(again[1]) : null,
    unchanged: again ? again[0].unchanged.length : null,
    oneBackendChangedMs: Math.round(changedMs),
    republished: changed.published.map((p) => `${p.gateway.namespace}/${p.gateway.name} v${p.version}`),
    changeAdded: { objects: after.objects - written.objects, bytes: after.bytes - written.bytes },
  };
}

/** A memory IR store holding the whole fleet (fast to fill: no I/O). */
async function memoryIr(): Promise<MemoryIrStore> {
  const store = new MemoryIrStore();
  await loadIr(store, items, 1);
  return store;
}

// Pure compute, for reference: the xDS build of all Gateways from the IR.
const buildOnly: number[] = [];
for (let r = 0; r < flags.rounds; r++) {
  const t = performance.now();
  buildSnapshots(items, { controllerName: DEFAULT_CONTROLLER_NAME, sds: { type: 'ads' } });
  buildOnly.push(performance.now() - t);
}
const median = (xs: number[]) => Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0);

// memory and fs: a warm-up round, then measured rounds taking turns, so that a burst of load from
// other processes on the machine does not fall on one variant only. The median round is reported.
const warmup = new MemorySnapshotStore();
await threeBuilds(await memoryIr(), warmup, () => listMemory(warmup));
const memoryRuns: BuildTimes[] = [];
const fsRuns: BuildTimes[] = [];
for (let r = 0; r < flags.rounds; r++) {
  const snapshots = new MemorySnapshotStore();
  memoryRuns.push(await threeBuilds(await memoryIr(), snapshots, () => listMemory(snapshots)));
  const dir = await mkdtemp(join(tmpdir(), 'fleetplane-bench-'));
  try {
    fsRuns.push(await threeBuilds(await memoryIr(), new FsSnapshotStore(dir), () => listFs(dir)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
const medianRun = (runs: BuildTimes[]) =>
  [...runs].sort((a, b) => a.firstBuildMs - b.firstBuildMs)[Math.floor(runs.length / 2)] as BuildTimes;
const memory = medianRun(memoryRuns);
const fs = medianRun(fsRuns);
process.stderr.write(`memory: first build ${memory.firstBuildMs} ms; fs: ${fs.firstBuildMs} ms\n`);

const emulator = await startEmulator({ setupOutput: 'ignore' });
const s3Client = createS3Client(emulator.clientConfig);
const dynamoClient = createDynamoDbClient(emulator.clientConfig);
let s3: BuildTimes;
let dynamodb: (BuildTimes & { irLoadMs: number; listClusterMs: number; items: number }) | undefined;
try {
  const bucket = `fleetplane-bench-s3-${Date.now()}`;
  await ensureSnapshotBucket(s3Client, bucket);
  s3 = await threeBuilds(
    await memoryIr(),
    new S3SnapshotStore({ bucketName: bucket, client: s3Client }),
    () => listS3(s3Client, bucket),
  );
  process.stderr.write(`s3: first build ${s3.firstBuildMs} ms\n`);

  if (flags.dynamodb) {
    const tableName = `fleetplane-bench-ir-${Date.now()}`;
    await ensureIrTable(dynamoClient, tableName);
    const irStore = new DynamoDbIrStore({ tableName, client: dynamoClient });
    const irLoadMs = await loadIr(irStore, items, Math.max(1, flags.loadConcurrency));
    process.stderr.write(`dynamodb: loaded ${items.length} IR items in ${Math.round(irLoadMs)} ms\n`);
    const t = performance.now();
    const listed = await irStore.listCluster(CLUSTER);
    const listClusterMs = performance.now() - t;
    if (listed.length !== items.length)
      throw new Error(`listCluster gave ${listed.length} of ${items.length}`);
    const bucket2 = `fleetplane-bench-ddb-${Date.now()}`;
    await ensureSnapshotBucket(s3Client, bucket2);
    const built = await threeBuilds(
      irStore,
      new S3SnapshotStore({ bucketName: bucket2, client: s3Client }),
      () => listS3(s3Client, bucket2),
      { unchangedBuild: false },
    );
    dynamodb = {
      irLoadMs: Math.round(irLoadMs),
      listClusterMs: Math.round(listClusterMs),
      items: listed.length,
      ...built,
    };
    process.stderr.write(`dynamodb+s3: first build ${dynamodb.firstBuildMs} ms\n`);
  }
} finally {
  s3Client.destroy();
  dynamoClient.destroy();
  await emulator.stop();
}

await writeResult('snapshot-build', {
  benchmark: 'snapshot-build',
  date: new Date().toISOString(),
  machine,
  fleet: { ...size, objects: objects.length, irItems: items.length },
  publishConcurrency: flags.concurrency,
  buildSnapshotsOnlyMs: median(buildOnly),
  memory: { ...memory, roundsFirstBuildMs: memoryRuns.map((r) => r.firstBuildMs) },
  fs: { ...fs, roundsFirstBuildMs: fsRuns.map((r) => r.firstBuildMs) },
  s3,
  dynamodbAndS3: dynamodb ?? 'skipped (--dynamodb=false)',
  peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
});
