// Benchmark: one relay process (`fleetplane relay`, a child process so its CPU and RSS are its
// own) against thousands of concurrent ADS streams on loopback, driven by forked load-client
// processes (load-client.ts). A synthetic fleet (bench/fleet.ts, plus a Kubernetes Service behind
// every HTTPRoute so there is EDS) is translated, and version 1 of every Gateway is published into
// a temporary directory with publishSnapshot, the code `translate --to snapshot` runs. Each round
// then changes one route per Gateway (an RDS-only change), writes version r+1 of every Gateway and
// swaps all latest.json pointers at once; each stream records when the new RDS reached it.
// Measured: propagation from the rename of the Gateway's latest.json (p50, p99, max), server CPU
// (user+sys from /proc/<pid>/stat) and RSS per stream, and encodes per snapshot version from the
// relay's /metrics. With --targets=relay,go the same load runs against a go-control-plane server
// (bench/go-control-plane, built here with `go build`, never a product dependency), side by side.
//
//   npm run bench:relay                                   # 1k, 5k and 10k streams, relay and go
//   npm run bench:relay -- --streams=1000 --targets=relay # other flags: see DEFAULTS below
//
// Raw results: bench/out/relay-load-<N>.json (-per-connection-<k> appended when k ≠ 1).

import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FsSnapshotStore } from '../../shared/fs/fs-snapshot-store.ts';
import type { SnapshotStore } from '../../shared/ports/snapshot-store.ts';
import { gatewayRefOf, latestKey, nodeCluster, renderVersion } from '../../shared/snapshot/layout.ts';
import { publishSnapshot } from '../../shared/snapshot/publish.ts';
import type { KubeObject } from '../../shared/translate/common.ts';
import { translateAll } from '../../shared/translate/index.ts';
import { buildSnapshots } from '../../shared/xds/build-snapshots.ts';
import {
  DEFAULT_CONTROLLER_NAME,
  type GatewaySnapshot,
  type JsonObject,
  TypeUrl,
} from '../../shared/xds/types.ts';
import { generateFleet } from '../fleet.ts';
import type { FromClient, GatewayPlan, StreamPlan, ToClient } from './load-client.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const outDir = join(repo, 'bench', 'out');

const DEFAULTS = {
  streams: '1000,5000,10000',
  targets: 'relay,go',
  clients: '4',
  perConnection: '1',
  deltaShare: '0.1',
  poll: '100ms',
  rounds: '5',
  gateways: '20',
  routes: '400',
  backends: '800',
  openPerSecond: '1000',
};
type Args = typeof DEFAULTS;

function parseArgs(): Args {
  const args = { ...DEFAULTS };
  for (const arg of process.argv.slice(2)) {
    const m = /^--([a-zA-Z-]+)=(.*)$/.exec(arg);
    const key = m?.[1]?.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!m || !key || !(key in args))
      throw new Error(`unknown argument ${arg}; flags: ${Object.keys(DEFAULTS).join(', ')}`);
    args[key as keyof Args] = m[2] ?? '';
  }
  return args;
}

// ---- measurement helpers -------------------------------------------------------------------

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** user+sys CPU seconds of a process. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)] as number;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

function metricDelta(before: Map<string, number>, after: Map<string, number>, name: string) {
  const out: Record<string, number> = {};
  for (const [key, value] of after) {
    if (!key.startsWith(name)) continue;
    const label = /type="([^"]+)"/.exec(key)?.[1] ?? key.slice(name.length);
    out[label] = (out[label] ?? 0) + value - (before.get(key) ?? 0);
  }
  return out;
}

// ---- the fleet and its snapshots -----------------------------------------------------------

const translateOptions = { controllerName: DEFAULT_CONTROLLER_NAME, sds: { type: 'ads' } as const };

function buildFleet(objects: KubeObject[]): GatewaySnapshot[] {
  const sourced = objects.map((object, i) => ({ object, source: `fleet#${i}` }));
  const { items } = translateAll(sourced, { defaultNamespace: 'default' });
  return buildSnapshots(items, translateOptions).snapshots.sort((a, b) =>
    `${a.gateway.namespace}/${a.gateway.name}`.localeCompare(`${b.gateway.namespace}/${b.gateway.name}`),
  );
}

/**
 * Adds a Kubernetes Service (with an EndpointSlice of three addresses) behind a third rule of every
 * HTTPRoute, so each Gateway also has EDS clusters and ClusterLoadAssignments, as most fleets do.
 */
function withServices(objects: KubeObject[]): KubeObject[] {
  const out: KubeObject[] = [];
  for (const o of objects) {
    if (o.kind !== 'HTTPRoute') {
      out.push(o);
      continue;
    }
    const name = `svc-${String(o.metadata?.name)}`;
    const namespace = String(o.metadata?.namespace);
    const r = Number(/\d+$/.exec(name)?.[0] ?? 0);
    const route = structuredClone(o) as KubeObject & { spec: { rules: unknown[] } };
    route.spec.rules.push({
      matches: [{ path: { type: 'PathPrefix', value: '/k8s' } }],
      backendRefs: [{ name, port: 8080 }],
    });
    out.push(
      route,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace },
        spec: { ports: [{ name: 'http', port: 8080 }] },
      },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `${name}-a1`, namespace, labels: { 'kubernetes.io/service-name': name } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 8080 }],
        endpoints: [0, 1, 2].map((k) => ({
          addresses: [`10.${100 + k}.${(r >> 8) & 255}.${r & 255}`],
          conditions: { ready: true },
        })),
      },
    );
  }
  return out;
}

/** Round r changes one path prefix in one HTTPRoute of every Gateway: an RDS-only change. */
function withRouteChange(objects: KubeObject[], gateways: number, round: number): KubeObject[] {
  return objects.map((o) => {
    const m = o.kind === 'HTTPRoute' ? /^route-(\d+)$/.exec(String(o.metadata?.name)) : null;
    if (!m || Number(m[1]) >= gateways) return o;
    const copy = structuredClone(o) as KubeObject & {
      spec: { rules: Array<{ matches: Array<{ path: { value: string } }> }> };
    };
    const match = copy.spec.rules[0]?.matches[0];
    if (match) match.path.value = `/svc-0-round-${round}`;
    return copy;
  });
}

const CLUSTER_ID = 'bench';

/**
 * Writes version `version` of every Gateway: first all version folders, then every latest.json by
 * temporary file and rename (as FsSnapshotStore's compare-and-swap does) in one synchronous loop,
 * so the moment each pointer changed is known to within microseconds of the rename, whatever the
 * machine's load does to this process's event loop.
 */
function writeVersion(dir: string, snapshots: GatewaySnapshot[], version: number): number[] {
  const pointers: Array<{ path: string; tmp: string }> = [];
  const createdAt = new Date().toISOString();
  for (const s of snapshots) {
    const gateway = gatewayRefOf(s.gateway);
    const rendered = renderVersion(s.resources, { clusterId: CLUSTER_ID, gateway, version, createdAt });
    for (const f of [...rendered.files, rendered.manifestFile]) {
      const path = join(dir, f.key);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.body, { flag: 'wx' });
    }
    const path = join(dir, latestKey(CLUSTER_ID, gateway));
    const tmp = `${path}.${version}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(rendered.latest, null, 2)}\n`);
    pointers.push({ path, tmp });
  }
  return pointers.map((p) => {
    renameSync(p.tmp, p.path);
    return now();
  });
}

async function publishAll(store: SnapshotStore, snapshots: GatewaySnapshot[]) {
  const out: Array<{ nodeCluster: string; version: number; latestKey: string }> = [];
  for (const s of snapshots) {
    const gateway = gatewayRefOf(s.gateway);
    const r = await publishSnapshot(store, { clusterId: CLUSTER_ID, gateway }, s.resources);
    out.push({ nodeCluster: nodeCluster(CLUSTER_ID, gateway), version: r.version, latestKey: r.latestKey });
  }
  return out;
}

function nameOf(r: JsonObject, field: 'name' | 'cluster_name'): string {
  return String(r[field] ?? '');
}

function plans(snapshots: GatewaySnapshot[]): GatewayPlan[] {
  return snapshots.map((s) => ({
    nodeCluster: nodeCluster(CLUSTER_ID, gatewayRefOf(s.gateway)),
    eds: s.resources.endpoints.map((r) => nameOf(r, 'cluster_name')).sort(),
    rds: s.resources.routes.map((r) => nameOf(r, 'name')).sort(),
    sds: s.resources.secrets.map((r) => nameOf(r, 'name')).sort(),
  }));
}

// ---- servers under test --------------------------------------------------------------------

interface Server {
  name: string;
  pid: number;
  target: string;
  metrics?: () => Promise<Map<string, number>>;
  stop(): Promise<void>;
}

function lines(child: ChildProcess, stream: 'stdout' | 'stderr', onLine: (l: string) => void) {
  const s = child[stream];
  if (s) createInterface({ input: s }).on('line', onLine);
}

async function startRelay(dir: string, poll: string, logFile: string): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      join(repo, 'bin', 'fleetplane.mjs'),
      'relay',
      '--source',
      dir,
      '--listen',
      '127.0.0.1:0',
      '--admin',
      '127.0.0.1:0',
      '--poll-interval',
      poll,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const log: string[] = [];
  const addresses = await new Promise<{ ads: string; admin: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start:\n${log.join('\n')}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}:\n${log.join('\n')}`)));
    lines(child, 'stderr', (l) => {
      if (log.length < 200) log.push(l);
      if (l.includes('relay listening')) {
        const entry = JSON.parse(l) as { ads: string; admin: string };
        clearTimeout(timer);
        resolve({ ads: entry.ads, admin: entry.admin });
      }
    });
  });
  return {
    name: 'fleetplane relay',
    pid: child.pid as number,
    target: addresses.ads,
    metrics: async () => parseMetrics(await (await fetch(`http://${addresses.admin}/metrics`)).text()),
    stop: () => stopChild(child, () => writeFileSync(logFile, log.join('\n'))),
  };
}

function buildGoServer(): string {
  const dir = join(repo, 'bench', 'go-control-plane');
  const binary = join(outDir, 'go-control-plane-bench');
  execFileSync('go', ['build', '-o', binary, '.'], { cwd: dir, stdio: 'inherit' });
  return binary;
}

async function startGo(binary: string, dir: string, poll: string): Promise<Server> {
  const child = spawn(binary, ['-source', dir, '-listen', '127.0.0.1:0', '-poll', poll], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  lines(child, 'stderr', (l) => log.length < 200 && log.push(l));
  const target = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`go server did not start:\n${log.join('\n')}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`go server exited with ${code}:\n${log.join('\n')}`)));
    lines(child, 'stdout', (l) => {
      const m = /^listening (\S+)/.exec(l);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  return { name: 'go-control-plane', pid: child.pid as number, target, stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess, then?: () => void): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      then?.();
      resolve();
      return;
    }
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      then?.();
      resolve();
    });
    child.kill('SIGTERM');
  });
}

// ---- load clients --------------------------------------------------------------------------

class LoadClients {
  readonly children: ChildProcess[] = [];
  readonly progress: Array<Extract<FromClient, { type: 'progress' }> | undefined> = [];
  readonly #waiters: Array<(m: FromClient, i: number) => void> = [];

  async spawn(count: number): Promise<void> {
    const hellos: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const child = fork(join(here, 'load-client.ts'), [], {
        execArgv: ['--import', 'tsx', '--max-old-space-size=4096'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      this.children.push(child);
      child.on('message', (m: FromClient) => {
        if (m.type === 'progress') this.progress[i] = m;
        for (const w of [...this.#waiters]) w(m, i);
      });
      hellos.push(this.#next((m, j) => j === i && m.type === 'hello').then(() => {}));
    }
    await Promise.all(hellos);
  }

  #next(pred: (m: FromClient, i: number) => boolean, timeoutMs = 120_000): Promise<FromClient> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error('load client did not answer in time'));
      }, timeoutMs);
      const waiter = (m: FromClient, i: number) => {
        if (!pred(m, i)) return;
        clearTimeout(timer);
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        resolve(m);
      };
      this.#waiters.push(waiter);
    });
  }

  /** Sends to each client; collects one matching answer from each. */
  async ask<T extends FromClient>(
    message: (i: number) => ToClient,
    pred: (m: FromClient) => boolean,
    timeoutMs?: number,
  ): Promise<T[]> {
    const answers = this.children.map((_, i) =>
      this.#next((m, j) => j === i && pred(m), timeoutMs),
    ) as Promise<T>[];
    for (const [i, c] of this.children.entries()) c.send(message(i));
    return Promise.all(answers);
  }

  cpuSeconds(): number {
    return this.children.reduce((sum, c) => sum + (c.pid && c.exitCode === null ? cpuSeconds(c.pid) : 0), 0);
  }

  totals() {
    const p = this.progress.filter((x) => x !== undefined);
    return {
      opened: p.reduce((n, x) => n + x.opened, 0),
      ready: p.reduce((n, x) => n + x.ready, 0),
      errors: p.reduce((n, x) => n + x.errors, 0),
      lastError: p.find((x) => x.lastError)?.lastError,
    };
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve();
            const kill = setTimeout(() => c.kill('SIGKILL'), 5000);
            c.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            if (c.connected) c.send({ type: 'stop' } satisfies ToClient);
            else c.kill('SIGTERM');
          }),
      ),
    );
  }
}

// ---- one run: one server, N streams --------------------------------------------------------

interface RoundResult {
  round: number;
  streams: number;
  received: number;
  propagationMs: { p50: number; p99: number; max: number; min: number };
  publishSpreadMs: number;
  /** Responses of any type a stream received for the update (1 when only the changed type is resent). */
  responsesPerStream: number;
  serverCpuSeconds: number;
  /** All load clients together, same window: they share the 2 vCPUs with the server. */
  clientsCpuSeconds: number;
  windowMs: number;
  loadAverage1m: number;
  encodes?: Record<string, number>;
  resourceEncodes?: Record<string, number>;
  responsesSent?: Record<string, number>;
  snapshotVersionsLoaded?: number;
}

async function runOne(
  kind: 'relay' | 'go',
  n: number,
  args: Args,
  fleet: KubeObject[],
  goBinary: string | undefined,
) {
  const gatewayCount = Number(args.gateways);
  const dir = mkdtempSync(join(tmpdir(), `relay-load-${kind}-`));
  const initial = buildFleet(fleet);
  await publishAll(new FsSnapshotStore(dir), initial);
  const gateways = plans(initial);
  const loadBefore = loadavg();

  const server =
    kind === 'relay'
      ? await startRelay(dir, args.poll, join(outDir, `relay-load-${n}-relay.log`))
      : await startGo(goBinary as string, dir, args.poll);
  const clients = new LoadClients();
  try {
    await sleep(2000);
    const idleRss = rssMiB(server.pid);
    const cpuAtStart = cpuSeconds(server.pid);

    // Streams: round-robin over gateways; every 1/deltaShare-th stream is Delta.
    const deltaEvery = Number(args.deltaShare) > 0 ? Math.round(1 / Number(args.deltaShare)) : 0;
    const all: StreamPlan[] = Array.from({ length: n }, (_, i) => ({
      gateway: i % gatewayCount,
      delta: deltaEvery > 0 && i % deltaEvery === deltaEvery - 1,
    }));
    const clientCount = Number(args.clients);
    await clients.spawn(clientCount);
    const connectStart = now();
    for (let c = 0; c < clientCount; c++) {
      const streams = all.filter((_, i) => i % clientCount === c);
      clients.children[c]?.send({
        type: 'start',
        target: server.target,
        gateways,
        streams,
        perConnection: Number(args.perConnection),
        openPerSecond: Math.ceil(Number(args.openPerSecond) / clientCount),
      } satisfies ToClient);
    }
    const connectDeadline = now() + 60_000 + (n / Number(args.openPerSecond)) * 4000;
    for (;;) {
      await sleep(500);
      const t = clients.totals();
      if (t.ready >= n) break;
      if (now() > connectDeadline)
        throw new Error(
          `${server.name}: only ${t.ready}/${n} streams ready (opened ${t.opened}, errors ${t.errors}: ${t.lastError})`,
        );
    }
    const connectMs = now() - connectStart;
    const connectErrors = clients.totals();
    const cpuAfterConnect = cpuSeconds(server.pid);
    await sleep(3000);
    const steadyStart = { cpu: cpuSeconds(server.pid), at: now() };
    await sleep(5000);
    const steadyCpuPercent =
      ((cpuSeconds(server.pid) - steadyStart.cpu) / ((now() - steadyStart.at) / 1000)) * 100;
    const loadedRss = rssMiB(server.pid);
    console.error(
      `${server.name} ${n} streams: ready in ${(connectMs / 1000).toFixed(1)} s; RSS idle ${idleRss.toFixed(0)} MiB → ${loadedRss.toFixed(0)} MiB`,
    );

    const rounds: RoundResult[] = [];
    for (let r = 1; r <= Number(args.rounds); r++) {
      const next = buildFleet(withRouteChange(fleet, gatewayCount, r));
      const versions = gateways.map(() => r + 1);
      await clients.ask(
        () => ({ type: 'expect', round: r, versions, typeUrl: TypeUrl.RouteConfiguration }),
        (m) => m.type === 'expecting' && m.round === r,
      );
      const metricsBefore = await server.metrics?.();
      const cpuBefore = cpuSeconds(server.pid);
      const clientCpuBefore = clients.cpuSeconds();
      const started = now();
      const collecting = collect(clients, r);
      const written = writeVersion(dir, next, r + 1);
      // Each client answers once all its streams have the new version (late ones are asked after 60 s).
      const answers = await collecting;
      const allReceivedAt = now();
      await sleep(1000); // the ACKs of the last responses
      const cpuAfter = cpuSeconds(server.pid);
      const clientCpuAfter = clients.cpuSeconds();
      const metricsAfter = await server.metrics?.();
      const latencies: number[] = [];
      let received = 0;
      const responses = answers.reduce((sum, a) => sum + a.responses, 0);
      for (const [c, answer] of answers.entries()) {
        const mine = all.filter((_, i) => i % clientCount === c);
        for (const [k, t] of answer.times.entries()) {
          if (t === null) continue;
          received++;
          latencies.push(t - (written[mine[k]?.gateway ?? 0] ?? started));
        }
      }
      latencies.sort((a, b) => a - b);
      const result: RoundResult = {
        round: r,
        streams: n,
        received,
        propagationMs: {
          p50: round1(percentile(latencies, 50)),
          p99: round1(percentile(latencies, 99)),
          max: round1(latencies.at(-1) ?? Number.NaN),
          min: round1(latencies[0] ?? Number.NaN),
        },
        publishSpreadMs: round1(Math.max(...written) - Math.min(...written)),
        responsesPerStream: round1(responses / n),
        serverCpuSeconds: Math.round((cpuAfter - cpuBefore) * 100) / 100,
        clientsCpuSeconds: Math.round((clientCpuAfter - clientCpuBefore) * 100) / 100,
        windowMs: Math.round(allReceivedAt - started + 1000),
        loadAverage1m: round1(loadavg()[0] ?? Number.NaN),
      };
      if (metricsBefore && metricsAfter) {
        result.encodes = metricDelta(metricsBefore, metricsAfter, 'fleetplane_relay_encodes_total');
        result.resourceEncodes = metricDelta(
          metricsBefore,
          metricsAfter,
          'fleetplane_relay_resource_encodes_total',
        );
        result.responsesSent = metricDelta(
          metricsBefore,
          metricsAfter,
          'fleetplane_relay_responses_sent_total',
        );
        result.snapshotVersionsLoaded = Object.values(
          metricDelta(metricsBefore, metricsAfter, 'fleetplane_relay_snapshot_loads_total'),
        ).reduce((a, b) => a + b, 0);
      }
      rounds.push(result);
      console.error(
        `  round ${r}: ${received}/${n} got v${r + 1}; p50 ${result.propagationMs.p50} ms, p99 ${result.propagationMs.p99} ms, max ${result.propagationMs.max} ms; ${result.responsesPerStream} responses/stream; server CPU ${result.serverCpuSeconds} s` +
          (result.encodes ? `; encodes ${JSON.stringify(result.encodes)}` : ''),
      );
      await sleep(1000);
    }
    const totals = clients.totals();
    const all50 = rounds.flatMap((x) => x.propagationMs.p50);
    return {
      server: server.name,
      streams: n,
      connections: Math.ceil(n / Number(args.perConnection)),
      deltaStreams: all.filter((s) => s.delta).length,
      gateways: gatewayCount,
      pollInterval: args.poll,
      connectSeconds: round1(connectMs / 1000),
      connectCpuSeconds: Math.round((cpuAfterConnect - cpuAtStart) * 100) / 100,
      steadyCpuPercent: round1(steadyCpuPercent),
      rssMiB: { idle: round1(idleRss), loaded: round1(loadedRss) },
      rssKiBPerStream: round1(((loadedRss - idleRss) * 1024) / n),
      rounds,
      medianOfRoundP50Ms: all50.sort((a, b) => a - b)[Math.floor(all50.length / 2)],
      /** Failed stream attempts (each retried with backoff, as Envoy does) while connecting and after. */
      streamErrors: {
        whileConnecting: connectErrors.errors,
        afterReady: totals.errors - connectErrors.errors,
        last: totals.lastError,
      },
      loadAverage: { before: loadBefore.map(round1), after: loadavg().map(round1) },
    };
  } finally {
    await clients.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits for every client's 'received' for round r; after 60 s asks the late ones to report. */
async function collect(clients: LoadClients, r: number) {
  const answers: Array<Extract<FromClient, { type: 'received' }> | undefined> = [];
  await new Promise<void>((resolve) => {
    let left = clients.children.length;
    const timer = setTimeout(() => {
      clients.children.forEach((c, i) => {
        if (!answers[i]) c.send({ type: 'report', round: r } satisfies ToClient);
      });
    }, 60_000);
    clients.children.forEach((c, i) => {
      const on = (m: FromClient) => {
        if (m.type !== 'received' || m.round !== r || answers[i]) return;
        answers[i] = m;
        c.off('message', on);
        if (--left === 0) {
          clearTimeout(timer);
          resolve();
        }
      };
      c.on('message', on);
    });
  });
  return answers as Array<Extract<FromClient, { type: 'received' }>>;
}

// ---- main ----------------------------------------------------------------------------------

const args = parseArgs();
mkdirSync(outDir, { recursive: true });
const fleet = withServices(
  generateFleet({
    backends: Number(args.backends),
    routes: Number(args.routes),
    gateways: Number(args.gateways),
    namespaces: Number(args.gateways),
  }),
);
const sample = buildFleet(fleet);
const snapshotShape = {
  gateways: sample.length,
  perGateway: {
    clusters: sample[0]?.resources.clusters.length,
    endpoints: sample[0]?.resources.endpoints.length,
    listeners: sample[0]?.resources.listeners.length,
    routes: sample[0]?.resources.routes.length,
    secrets: sample[0]?.resources.secrets.length,
  },
  /** Encoded DiscoveryResponse bytes per type of one Gateway. */
  bytesPerGateway: Object.fromEntries(
    (sample[0]
      ? renderVersion(sample[0].resources, {
          clusterId: CLUSTER_ID,
          gateway: gatewayRefOf(sample[0].gateway),
          version: 1,
          createdAt: new Date(0).toISOString(),
        }).manifest.files
      : []
    )
      .filter((f) => f.format === 'binary')
      .map((f) => [f.name, f.bytes]),
  ),
};
const targets = args.targets.split(',') as Array<'relay' | 'go'>;
const goBinary = targets.includes('go') ? buildGoServer() : undefined;
const machine = {
  cpu: `${cpus()[0]?.model ?? 'unknown'} x${cpus().length}`,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  go: goBinary ? execFileSync('go', ['version']).toString().trim() : undefined,
};
console.error(`fleet: ${JSON.stringify(snapshotShape)}; machine: ${JSON.stringify(machine)}`);
for (const n of args.streams.split(',').map(Number)) {
  const results: Record<string, unknown> = {};
  for (const kind of targets) {
    try {
      results[kind] = await runOne(kind, n, args, fleet, goBinary);
    } catch (error) {
      console.error(`${kind} at ${n} streams failed: ${(error as Error).message}`);
      results[kind] = { error: (error as Error).message };
    }
    await sleep(3000);
  }
  const suffix = args.perConnection === '1' ? '' : `-per-connection-${args.perConnection}`;
  const file = join(outDir, `relay-load-${n}${suffix}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), machine, args, snapshotShape, results }, null, 2)}\n`,
  );
  console.error(`wrote ${file}`);
}
