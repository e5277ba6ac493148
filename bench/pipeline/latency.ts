// Benchmark: event-to-snapshot latency on the local runtime. Starts moto and the local pipeline
// (services/local/local-pipeline.ts, wired as `fleetplane dev` wires it), feeds a small synthetic
// fleet through the dev manifest feed and waits for every Gateway's first snapshot; then changes
// one Backend (be-0, on Gateway ns-000/gw-0) --changes times, one after another. Each change is a
// watch event put on the bus through the pipeline's publisher, as the manifest feed sends it, and
// is timed until latest.json in S3 names the new version (polled every --poll-ms), and until the
// Snapshot Published notification arrives. Each new version is checked to hold the changed port.
//
// The stream mapping's batching window (EVENT_SOURCE_SETTINGS: 1 s, as in the CDK) is the largest
// part of the latency, so the run is repeated for each of --windows (default 1000, 100 and 0 ms).
// Run: node --import tsx bench/pipeline/latency.ts [--flags]; see bench/README.md.

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import {
  EVENT_SOURCE_SETTINGS,
  localPipelineNames,
  startLocalPipeline,
} from '../../services/local/local-pipeline.ts';
import { ManifestFeed } from '../../services/local/manifest-feed.ts';
import { startEmulator } from '../../services/local/moto.ts';
import { FleetplaneError } from '../../shared/errors.ts';
import { CHANGE_EVENT_DETAIL_TYPE, CHANGE_EVENT_SOURCE } from '../../shared/events/change-event.ts';
import type { SnapshotStore } from '../../shared/ports/snapshot-store.ts';
import { type GatewayRef, latestKey, versionPrefix } from '../../shared/snapshot/layout.ts';
import { parseLatest } from '../../shared/snapshot/publish.ts';
import { backendObject, generateFleet } from '../fleet.ts';
import { changeEventFor, distribution, machineInfo, parseFlags, sleep, writeResult } from './common.ts';

const flags = parseFlags({
  changes: 100,
  windows: [EVENT_SOURCE_SETTINGS.buildSnapshot.maxBatchingWindowMs, 100, 0],
  pollMs: 20,
  backends: 50,
  routes: 25,
  gateways: 2,
  namespaces: 5,
  /** Give up on one change after this long. */
  timeoutMs: 30_000,
});
const size = {
  backends: flags.backends,
  routes: flags.routes,
  gateways: flags.gateways,
  namespaces: flags.namespaces,
};
const CLUSTER = 'bench';
const TARGET: GatewayRef = { namespace: 'ns-000', name: 'gw-0' };
const machine = machineInfo();

class LatencyBenchError extends FleetplaneError {}

async function latestVersion(store: SnapshotStore, gateway: GatewayRef): Promise<number> {
  const key = latestKey(CLUSTER, gateway);
  const current = await store.get(key);
  return current ? parseLatest(current.body, key).version : 0;
}

/** Polls `check` every `everyMs` until it returns true; false if `timeoutMs` passes first. */
async function until(check: () => Promise<boolean> | boolean, everyMs: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  return false;
}

interface ChangeTiming {
  /** Until latest.json in S3 names the new version (the contract relays and agents poll). */
  s3Ms: number;
  /** Until the Snapshot Published notification reached the runtime through its queue. */
  notifiedMs: number;
  /** Until the translate invocation that wrote the change returned. */
  translatedMs: number;
  /** PutEvents call alone. */
  putEventsMs: number;
}

async function runWindow(
  clientConfig: Parameters<typeof startLocalPipeline>[0]['clientConfig'],
  windowMs: number,
) {
  const notified = new Map<string, { version: number; at: number }>();
  const translations: number[] = [];
  const builds: Array<{ at: number; records: number }> = [];
  const errors: string[] = [];
  const pipeline = await startLocalPipeline({
    clientConfig,
    names: localPipelineNames(`fleetplane-bench-w${windowMs}-${randomUUID().slice(0, 6)}`),
    logLevel: 'ERROR',
    buildSnapshot: { maxBatchingWindowMs: windowMs },
    onSnapshotPublished: (d) => {
      if (d.clusterId !== CLUSTER) return;
      const key = `${d.gateway.namespace}/${d.gateway.name}`;
      if ((notified.get(key)?.version ?? 0) < d.version)
        notified.set(key, { version: d.version, at: performance.now() });
    },
    onTranslate: (i) => {
      if (i.messageIds.length > i.failed.length) translations.push(performance.now());
    },
    onBuild: (i) => builds.push({ at: performance.now(), records: i.sequenceNumbers.length }),
    onError: (err) => errors.push(err.message),
  });
  const dir = await mkdtemp(join(tmpdir(), 'fleetplane-bench-manifests-'));
  try {
    // The initial fleet, through the dev manifest feed (Secrets go to Secrets Manager, as in dev).
    const fleet = generateFleet(size);
    await writeFile(join(dir, 'fleet.yaml'), fleet.map((o) => stringify(o)).join('---\n'));
    const feed = new ManifestFeed({
      dir,
      clusterId: CLUSTER,
      publisher: pipeline.publisher,
      secretSink: pipeline.secretSink,
      claimCheck: pipeline.claimCheck,
    });
    const loadStarted = performance.now();
    const sync = await feed.sync();
    if (sync.problems.length > 0) throw new LatencyBenchError(`fleet manifest: ${sync.problems[0]?.message}`);
    const gateways = Array.from({ length: size.gateways }, (_, g) => ({
      namespace: `ns-${String(g % size.namespaces).padStart(3, '0')}`,
      name: `gw-${g}`,
    }));
    const loaded = await until(
      async () =>
        (await Promise.all(gateways.map((g) => latestVersion(pipeline.snapshotStore, g)))).every(
          (v) => v > 0,
        ),
      100,
      120_000,
    );
    if (!loaded)
      throw new LatencyBenchError(
        `the initial fleet gave no snapshot of every Gateway in 120 s: ${errors.join('; ')}`,
      );
    const initialMs = performance.now() - loadStarted;
    // Quiet: the feed's events may still be finishing in later builds.
    const quietMs = Math.max(1500, windowMs + 1000);
    await until(
      () => performance.now() - Math.max(builds.at(-1)?.at ?? 0, translations.at(-1) ?? 0) > quietMs,
      100,
      60_000,
    );

    const timings: ChangeTiming[] = [];
    let previous = await latestVersion(pipeline.snapshotStore, TARGET);
    let verified = 0;
    const firstRv = BigInt(Date.now()) * 1000n + 1_000_000_000n;
    for (let k = 1; k <= flags.changes; k++) {
      const detail = changeEventFor(backendObject(0, TARGET.namespace, k), {
        clusterId: CLUSTER,
        resourceVersion: String(firstRv + BigInt(k)),
      });
      const translatedBefore = translations.length;
      const t0 = performance.now();
      await pipeline.publisher.putEvents([
        { source: CHANGE_EVENT_SOURCE, detailType: CHANGE_EVENT_DETAIL_TYPE, detail },
      ]);
      const putEventsMs = performance.now() - t0;
      let version = previous;
      const inS3 = await until(
        async () => {
          version = await latestVersion(pipeline.snapshotStore, TARGET);
          return version > previous;
        },
        flags.pollMs,
        flags.timeoutMs,
      );
      const s3At = performance.now();
      if (!inS3)
        throw new LatencyBenchError(
          `change ${k}: no new version of gw-0 in ${flags.timeoutMs} ms: ${errors.join('; ')}`,
        );
      const key = `${TARGET.namespace}/${TARGET.name}`;
      const notifiedInTime = await until(
        () => (notified.get(key)?.version ?? 0) >= version,
        5,
        flags.timeoutMs,
      );
      if (!notifiedInTime)
        throw new LatencyBenchError(`change ${k}: no Snapshot Published for version ${version}`);
      const translatedAt = translations[translatedBefore] ?? Number.NaN;
      timings.push({
        s3Ms: s3At - t0,
        notifiedMs: (notified.get(key)?.at ?? Number.NaN) - t0,
        translatedMs: translatedAt - t0,
        putEventsMs,
      });
      // The new version holds the Backend's new port (static host, 8080 + k).
      const prefix = versionPrefix(CLUSTER, TARGET, version);
      const files = await Promise.all(
        ['cds.json', 'eds.json'].map((f) => pipeline.snapshotStore.get(prefix + f)),
      );
      const text = files.map((f) => (f ? new TextDecoder().decode(f.body) : '')).join('\n');
      if (new RegExp(`"port_?[vV]alue":\\s*${8080 + k}\\b`).test(text)) verified++;
      previous = version;
    }
    const pick = (f: keyof ChangeTiming) => distribution(timings.map((t) => t[f]));
    return {
      maxBatchingWindowMs: windowMs,
      changes: timings.length,
      versionsVerified: verified,
      initialFleetToAllSnapshotsMs: Math.round(initialMs),
      s3Ms: pick('s3Ms'),
      notifiedMs: pick('notifiedMs'),
      translatedMs: pick('translatedMs'),
      putEventsMs: pick('putEventsMs'),
      buildInvocations: builds.length,
      s3MsSamples: timings.map((t) => Math.round(t.s3Ms)),
      mappingErrors: errors.length,
    };
  } finally {
    await pipeline.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const started = performance.now();
const emulator = await startEmulator({ setupOutput: 'ignore' });
const runs = [];
try {
  for (const windowMs of flags.windows) {
    const result = await runWindow(emulator.clientConfig, windowMs);
    process.stderr.write(
      `window ${windowMs} ms: p50 ${result.s3Ms.p50} ms, p95 ${result.s3Ms.p95} ms, max ${result.s3Ms.max} ms to S3\n`,
    );
    runs.push(result);
  }
} finally {
  await emulator.stop();
}

await writeResult('pipeline-latency', {
  benchmark: 'pipeline-latency',
  date: new Date().toISOString(),
  machine,
  fleet: { ...size, objects: generateFleet(size).length },
  changedBackend: 'ns-000/be-0 (kgateway static, port 8080 + n) on Gateway ns-000/gw-0',
  pollMs: flags.pollMs,
  stream: {
    batchSize: EVENT_SOURCE_SETTINGS.buildSnapshot.batchSize,
    pollIntervalAfterEmptyReadMs: 250,
  },
  runs,
  totalSeconds: Math.round((performance.now() - started) / 1000),
});
