// Benchmark: translation of a synthetic fleet (10,000 Backends, 5,000 HTTPRoutes, 50 Gateways over
// 100 namespaces by default) to IR, to xDS JSON and to binary protobuf; peak memory; and the cost
// of rebuilding after one Backend changes. Run: `npm run bench` (see bench/README.md).

import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { encodeDiscoveryResponse } from '../shared/codec/index.ts';
import { SNAPSHOT_TYPES } from '../shared/snapshot/layout.ts';
import { translateAll, translateObject } from '../shared/translate/index.ts';
import { buildSnapshots } from '../shared/xds/build-snapshots.ts';
import { DEFAULT_CONTROLLER_NAME, type GatewaySnapshot } from '../shared/xds/types.ts';
import { backendObject, DEFAULT_FLEET, type FleetSize, generateFleet } from './fleet.ts';

const options = { controllerName: DEFAULT_CONTROLLER_NAME, sds: { type: 'ads' } as const };
const ctx = { defaultNamespace: 'default' };

function sizeFromArgs(): FleetSize {
  const size = { ...DEFAULT_FLEET };
  for (const arg of process.argv.slice(2)) {
    const [k, v] = arg.replace(/^--/, '').split('=');
    if (k && v && k in size) size[k as keyof FleetSize] = Number(v);
  }
  return size;
}

function time<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const out = fn();
  return [out, performance.now() - start];
}

function encodeAll(snapshots: GatewaySnapshot[]): number {
  let bytes = 0;
  for (const s of snapshots) {
    for (const t of SNAPSHOT_TYPES) {
      bytes += encodeDiscoveryResponse({
        versionInfo: '1',
        typeUrl: t.typeUrl,
        resources: s.resources[t.field],
      }).byteLength;
    }
  }
  return bytes;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

const size = sizeFromArgs();
const runs = Number(process.env.BENCH_RUNS ?? 3);
const objects = generateFleet(size);
const sourced = objects.map((object, i) => ({ object, source: `fleet#${i}` }));

// Warm-up (JIT, codec registry load), then measured runs.
const [, codecLoadMs] = time(() =>
  encodeAll(buildSnapshots(translateAll(sourced.slice(0, 200), ctx).items, options).snapshots),
);

const t = { ir: [] as number[], xds: [] as number[], json: [] as number[], binary: [] as number[] };
let last:
  | { snapshots: GatewaySnapshot[]; irCount: number; xdsCount: number; jsonBytes: number; binBytes: number }
  | undefined;
for (let r = 0; r < runs; r++) {
  const [{ items }, irMs] = time(() => translateAll(sourced, ctx));
  const [build, xdsMs] = time(() => buildSnapshots(items, options));
  const [jsonBytes, jsonMs] = time(() =>
    build.snapshots.reduce((n, s) => n + JSON.stringify(s.resources).length, 0),
  );
  const [binBytes, binMs] = time(() => encodeAll(build.snapshots));
  t.ir.push(irMs);
  t.xds.push(xdsMs);
  t.json.push(jsonMs);
  t.binary.push(binMs);
  const xdsCount = build.snapshots.reduce(
    (n, s) => n + SNAPSHOT_TYPES.reduce((m, ty) => m + s.resources[ty.field].length, 0),
    0,
  );
  last = { snapshots: build.snapshots, irCount: items.length, xdsCount, jsonBytes, binBytes };
}
if (!last) throw new Error('no runs');

// One Backend changes: re-translate that object, rebuild the snapshots, re-encode the affected Gateway.
const { items } = translateAll(sourced, ctx);
const changedIndex = 10;
const changed = backendObject(
  changedIndex,
  `ns-${String((changedIndex % size.routes) % size.namespaces).padStart(3, '0')}`,
  1,
);
const rebuild = { one: [] as number[], full: [] as number[], encode: [] as number[] };
for (let r = 0; r < runs; r++) {
  const [item, oneMs] = time(() => translateObject(changed, ctx));
  if (!item) throw new Error('changed backend did not translate');
  const next = items.map((i) =>
    i.id.name === item.id.name && i.id.namespace === item.id.namespace && i.kind === item.kind ? item : i,
  );
  const [build, fullMs] = time(() => buildSnapshots(next, options));
  const affectedGateway = `gw-${(changedIndex % size.routes) % size.gateways}`;
  const affected = build.snapshots.filter((s) => s.gateway.name === affectedGateway);
  const [, encMs] = time(() => encodeAll(affected));
  rebuild.one.push(oneMs);
  rebuild.full.push(fullMs);
  rebuild.encode.push(encMs);
}

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
const inputCount = objects.length;
const irMs = median(t.ir);
const xdsMs = median(t.xds);
const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: `${cpus()[0]?.model ?? 'unknown'} x${cpus().length}`,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  size,
  runs,
  inputObjects: inputCount,
  irItems: last.irCount,
  gateways: last.snapshots.length,
  xdsResources: last.xdsCount,
  warmupIncludingCodecLoadMs: Math.round(codecLoadMs),
  medianMs: {
    toIr: Math.round(irMs),
    irToXdsJson: Math.round(xdsMs),
    fullToXdsJson: Math.round(irMs + xdsMs),
    serializeJson: Math.round(median(t.json)),
    encodeBinary: Math.round(median(t.binary)),
    fullToBinary: Math.round(irMs + xdsMs + median(t.binary)),
    rebuildOneBackend: {
      translateOne: Number(median(rebuild.one).toFixed(2)),
      rebuildAllSnapshots: Math.round(median(rebuild.full)),
      encodeAffectedGateway: Math.round(median(rebuild.encode)),
    },
  },
  resourcesPerSecond: {
    inputToXds: Math.round(inputCount / ((irMs + xdsMs) / 1000)),
    xdsEmittedPerSecond: Math.round(last.xdsCount / ((irMs + xdsMs) / 1000)),
  },
  bytes: { xdsJson: last.jsonBytes, binary: last.binBytes },
  peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
};
console.log(JSON.stringify(result, null, 2));
console.error(
  `full translation to xDS JSON ${fmt(irMs + xdsMs)}, to binary ${fmt(irMs + xdsMs + median(t.binary))}, peak RSS ${result.peakRssMiB} MiB`,
);
