// End to end over files: manifests → `translate --to snapshot` → the agent (in process, polling the
// directory) → a real Envoy started from the agent's bootstrap → HTTP to loopback backends. Then,
// without restarting Envoy: a route change, an endpoints-only change, a corrupt version the agent
// refuses (the files on disk stay the last good version and Envoy keeps serving), and recovery.
// Then the same path from S3 (the emulator) through `fleetplane agent` itself: the bootstrap it
// prints (validated by Envoy, then run), an update picked up by ETag poll, and a corrupt object.

import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { type AgentCliOptions, runAgent } from '../../cli/agent.ts';
import { SnapshotAgent } from '../../services/agent/agent.ts';
import { agentBootstrap } from '../../services/agent/bootstrap.ts';
import { type LogFields, silentLogger } from '../../services/common/log.ts';
import { createS3Client } from '../../shared/aws/clients.ts';
import { ensureSnapshotBucket } from '../../shared/aws/provision.ts';
import { S3SnapshotStore } from '../../shared/aws/s3-snapshot-store.ts';
import { decodeDiscoveryResponse } from '../../shared/codec/index.ts';
import { DirectorySnapshotReader } from '../../shared/fs/fs-snapshot-reader.ts';
import type { SnapshotStore } from '../../shared/ports/snapshot-store.ts';
import { latestKey, versionPrefix } from '../../shared/snapshot/layout.ts';
import { publishSnapshot } from '../../shared/snapshot/publish.ts';
import { freePort, type RunningEnvoy, startEnvoy, validateEnvoyConfig } from '../support/envoy.ts';
import { uniqueName, useEmulator } from '../support/moto.ts';
import {
  type Backend,
  CLUSTER_ID,
  eventually,
  GATEWAY,
  getVia,
  HOST,
  manifests,
  NODE_CLUSTER,
  startBackend,
  translateToResources,
  translateToSnapshot,
} from './relay-support/harness.ts';

async function fingerprint(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[relative(dir, path)] = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  }
  return out;
}

describe('agent → Envoy over path-based config', () => {
  const backends: Backend[] = [];
  const warnings: Array<{ message: string } & LogFields> = [];
  let envoy: RunningEnvoy | undefined;
  let agent: SnapshotAgent;
  let loop: { stop: AbortController; done: Promise<void> } | undefined;
  let src = '';
  let out = '';
  let listenerPort = 0;

  const startLoop = () => {
    const stop = new AbortController();
    loop = { stop, done: agent.run({ intervalMs: 200, signal: stop.signal }) };
  };
  const stopLoop = async () => {
    loop?.stop.abort();
    await loop?.done;
    loop = undefined;
  };
  const serving = async (): Promise<string> => {
    const res = await getVia(listenerPort, '/app', HOST);
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body}`);
    return (JSON.parse(res.body) as { backend: string }).backend;
  };
  const servedBy = (name: string, timeoutMs = 10_000) =>
    eventually(async () => {
      const backend = await serving();
      if (backend !== name) throw new Error(`served by ${backend}, want ${name}`);
    }, timeoutMs);
  const latestVersion = async () =>
    (JSON.parse(await readFile(join(src, latestKey(CLUSTER_ID, GATEWAY)), 'utf8')) as { version: number })
      .version;

  beforeAll(async () => {
    backends.push(await startBackend('svc-a'), await startBackend('svc-b'), await startBackend('svc-c'));
    listenerPort = await freePort();
    src = await mkdtemp(join(tmpdir(), 'fleetplane-agent-e2e-src-'));
    out = await mkdtemp(join(tmpdir(), 'fleetplane-agent-e2e-out-'));
    await translateToSnapshot(manifests(listenerPort, backends.slice(0, 2), 'svc-a'), src);
    agent = new SnapshotAgent({
      reader: new DirectorySnapshotReader(src),
      nodeCluster: NODE_CLUSTER,
      dir: out,
      retryBaseMs: 200,
      log: { ...silentLogger, warn: (message, fields) => warnings.push({ message, ...fields }) },
    });
    const first = await agent.poll();
    if (first.status !== 'written') throw new Error(`agent did not write: ${JSON.stringify(first)}`);
    startLoop();
    envoy = await startEnvoy(agentBootstrap({ dir: out, nodeCluster: NODE_CLUSTER, nodeId: 'e2e-agent' }));
  }, 30_000);

  afterAll(async () => {
    await stopLoop();
    await envoy?.stop();
    for (const b of backends) b.server.close();
  });

  it('prints a bootstrap Envoy validates', async () => {
    // Act
    const validated = await validateEnvoyConfig(
      agentBootstrap({ dir: out, nodeCluster: NODE_CLUSTER, nodeId: 'validate' }),
    );

    // Assess
    expect(validated.ok, validated.output).toBe(true);
  }, 20_000);

  it('proxies HTTP to the loopback backend with the config from the files', async () => {
    // Act
    await servedBy('svc-a');

    // Assess
    const dump = await (await fetch(`http://127.0.0.1:${envoy?.adminPort}/config_dump`)).json();
    const text = JSON.stringify(dump);
    expect(text).toContain(join(out, 'rds', 'route_'));
    expect(text).toContain(join(out, 'eds', 'kube_e2e_svc-a_80.pb'));
    expect(text).not.toContain('"ads"');
  }, 20_000);

  it('applies a route change within seconds, by rename, without a restart or a failed request', async () => {
    // Prepare
    const pid = envoy?.process.pid;
    const started = Date.now();
    const statuses: number[] = [];
    let switching = true;
    const traffic = (async () => {
      while (switching) {
        statuses.push((await getVia(listenerPort, '/app', HOST)).status);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    // Act: the route now goes to svc-b (a new cluster with its endpoints, then the route to it).
    await translateToSnapshot(manifests(listenerPort, backends.slice(0, 2), 'svc-b'), src);
    await servedBy('svc-b');
    const switchedAfterMs = Date.now() - started;
    // Envoy serves svc-b as soon as the routes move; the agent then holds the CDS file that drops
    // svc-a for its settle time, so the version is complete on disk only after that. Traffic keeps
    // flowing through the removal, which must not fail a request either.
    await eventually(async () => {
      if (agent.servingVersion !== 2) throw new Error(`agent serves ${agent.servingVersion}, want 2`);
    });
    switching = false;
    await traffic;

    // Assess
    expect(switchedAfterMs).toBeLessThan(5_000);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(envoy?.process.pid).toBe(pid);
    expect(envoy?.process.exitCode).toBeNull();
    const clusters = decodeDiscoveryResponse(await readFile(join(out, 'cds.pb'))).resources.map(
      (r) => r.name,
    );
    expect(clusters.some((name) => String(name).includes('svc-a'))).toBe(false);
    expect(clusters.some((name) => String(name).includes('svc-b'))).toBe(true);
  }, 20_000);

  it('moves traffic to new endpoints when only an EDS file changes', async () => {
    // Prepare: svc-b's EndpointSlice now points at the svc-c server.
    const [a, , c] = backends as [Backend, Backend, Backend];
    const moved = [a, { ...c, name: 'svc-b' }];

    // Act
    await translateToSnapshot(manifests(listenerPort, moved, 'svc-b'), src);
    await servedBy('svc-c');

    // Assess
    expect(agent.servingVersion).toBe(3);
  }, 20_000);

  it('refuses a corrupt version: the files stay the last good version and Envoy keeps serving', async () => {
    // Prepare: publish a version routing back to svc-a, then flip a byte of its cds.pb.
    await stopLoop();
    const good = await fingerprint(out);
    const before = warnings.length;
    const [a, , c] = backends as [Backend, Backend, Backend];
    await translateToSnapshot(manifests(listenerPort, [a, { ...c, name: 'svc-b' }], 'svc-a'), src);
    const corrupt = await latestVersion();
    const cds = join(src, versionPrefix(CLUSTER_ID, GATEWAY, corrupt), 'cds.pb');
    const body = await readFile(cds);
    body[body.byteLength >> 1] = (body[body.byteLength >> 1] ?? 0) ^ 0x01;
    await writeFile(cds, body);

    // Act
    const outcome = await agent.poll();
    startLoop();
    await new Promise((r) => setTimeout(r, 1_000)); // several polls and retries' worth

    // Assess
    expect(outcome).toMatchObject({ status: 'failed', reason: 'integrity', version: corrupt, serving: 3 });
    expect(await fingerprint(out)).toEqual(good);
    expect(agent.servingVersion).toBe(3);
    expect(agent.counters.failures.integrity).toBeGreaterThanOrEqual(2);
    expect(warnings.slice(before)[0]).toMatchObject({ reason: 'integrity', version: corrupt, serving: 3 });
    expect(await serving()).toBe('svc-c');
  }, 20_000);

  it('recovers with the next good version', async () => {
    // Act: svc-b back on its own server (content unlike both the served and the corrupt version).
    await translateToSnapshot(manifests(listenerPort, backends.slice(0, 2), 'svc-b'), src);
    await servedBy('svc-b');

    // Assess
    expect(agent.servingVersion).toBe(await latestVersion());
  }, 20_000);
});

describe('fleetplane agent --source s3:// → Envoy', () => {
  const emulator = useEmulator();
  const PREFIX = 'fleet/agents';
  const backends: Backend[] = [];
  const logs: string[] = [];
  let envoy: RunningEnvoy | undefined;
  let agentRun: { stop: AbortController; done: Promise<number> } | undefined;
  let store: SnapshotStore;
  let s3: ReturnType<typeof createS3Client>;
  let bucketName = '';
  let out = '';
  let listenerPort = 0;
  let options: AgentCliOptions;

  const publish = async (routeTo: string) => {
    const resources = await translateToResources(manifests(listenerPort, backends, routeTo));
    const result = await publishSnapshot(store, { clusterId: CLUSTER_ID, gateway: GATEWAY }, resources);
    if (result.status !== 'published') throw new Error('nothing published');
    return result.version;
  };
  const servedBy = (name: string, timeoutMs = 10_000) =>
    eventually(async () => {
      const res = await getVia(listenerPort, '/app', HOST);
      const backend = res.status === 200 ? (JSON.parse(res.body) as { backend: string }).backend : res.status;
      if (backend !== name) throw new Error(`served by ${backend}, want ${name}`);
    }, timeoutMs);
  const agentLogs = () =>
    logs
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { message: string } & LogFields);

  beforeAll(async () => {
    // Dummy credentials for the emulator only, as the CLI reads them from the environment.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    backends.push(await startBackend('svc-a'), await startBackend('svc-b'));
    listenerPort = await freePort();
    out = await mkdtemp(join(tmpdir(), 'fleetplane-agent-s3-out-'));
    s3 = createS3Client(emulator.current.clientConfig);
    bucketName = uniqueName('agent-e2e');
    await ensureSnapshotBucket(s3, bucketName);
    const bucket = new S3SnapshotStore({ bucketName, client: s3 });
    store = {
      get: (key) => bucket.get(`${PREFIX}/${key}`),
      putIfAbsent: (key, body, type) => bucket.putIfAbsent(`${PREFIX}/${key}`, body, type),
      compareAndSwap: (key, body, type, etag) => bucket.compareAndSwap(`${PREFIX}/${key}`, body, type, etag),
    };
    options = {
      source: `s3://${bucketName}/${PREFIX}`,
      nodeCluster: NODE_CLUSTER,
      dir: out,
      interval: '200ms',
      nodeId: 'e2e-agent-s3',
      adminPort: '9901',
      endpointUrl: emulator.current.endpoint,
      region: emulator.current.clientConfig.region,
      logLevel: 'info',
    };
  }, 30_000);

  afterAll(async () => {
    agentRun?.stop.abort();
    await agentRun?.done;
    await envoy?.stop();
    for (const b of backends) b.server.close();
    vi.unstubAllEnvs();
  });

  it('--once fails with a clear message while nothing is published', async () => {
    // Act
    const lines: string[] = [];
    const code = await runAgent(
      { ...options, once: true },
      {
        stdout: { write: () => true },
        stderr: { write: (s: string) => lines.push(s) },
      },
    );

    // Assess
    expect(code).toBe(1);
    expect(lines.join('')).toMatch(/fleetplane: agent: nothing published for this gateway yet/);
  }, 20_000);

  it('prints a bootstrap Envoy validates, and Envoy started from it serves the files from S3', async () => {
    // Prepare
    await publish('svc-a');
    const printed: string[] = [];
    const code = await runAgent(
      { ...options, printBootstrap: true },
      {
        stdout: { write: (s: string) => printed.push(s) },
        stderr: { write: () => true },
      },
    );

    // Act: Envoy needs the files to exist at start (so `agent --once` first, as an init step).
    const stop = new AbortController();
    agentRun = {
      stop,
      done: runAgent(options, {
        stdout: { write: () => true },
        stderr: { write: (s: string) => logs.push(s) },
        signal: stop.signal,
      }),
    };
    await eventually(async () => {
      await readFile(join(out, 'lds.pb'));
    });
    const validated = await validateEnvoyConfig(printed.join(''));
    envoy = await startEnvoy(parse(printed.join('')) as Record<string, unknown>);

    // Assess
    expect(code).toBe(0);
    expect(validated.ok, validated.output).toBe(true);
    await servedBy('svc-a');
  }, 30_000);

  it('picks up a new version from S3 by ETag poll and applies it by rename, without a restart', async () => {
    // Prepare
    const pid = envoy?.process.pid;

    // Act
    const version = await publish('svc-b');
    await servedBy('svc-b');

    // Assess
    expect(envoy?.process.pid).toBe(pid);
    await eventually(async () => {
      const written = agentLogs().filter((l) => l.message === 'snapshot version written');
      if (written.at(-1)?.version !== version) throw new Error('version not written yet');
    });
  }, 20_000);

  it('rejects a corrupt object from S3 and keeps the last good files, and Envoy keeps serving', async () => {
    // Prepare: latest.json moves to a version whose lds.pb was altered in the bucket. The agent logs
    // a version as written only once all of it is on disk (after the settle for leaving clusters).
    await eventually(async () => {
      if (!agentLogs().some((l) => l.message === 'snapshot version written' && l.version === 2))
        throw new Error('version 2 not settled yet');
    });
    const good = await fingerprint(out);
    const resources = await translateToResources(manifests(listenerPort, backends, 'svc-a'));
    const result = await publishSnapshot(
      {
        ...store,
        putIfAbsent: (k, body, type) => {
          const altered = k.endsWith('/lds.pb')
            ? body.map((b, i) => (i === body.byteLength >> 1 ? b ^ 0x01 : b))
            : body;
          return store.putIfAbsent(k, altered, type);
        },
      },
      { clusterId: CLUSTER_ID, gateway: GATEWAY },
      resources,
    );

    // Act
    await eventually(async () => {
      if (!agentLogs().some((l) => l.reason === 'integrity' && l.version === 3))
        throw new Error('corrupt version not seen yet');
    });

    // Assess
    expect(result).toMatchObject({ status: 'published', version: 3 });
    const refusal = agentLogs().find((l) => l.reason === 'integrity');
    expect(refusal).toMatchObject({
      version: 3,
      serving: 2,
      error: expect.stringMatching(/lds\.pb: sha256 does not match/),
    });
    expect(await fingerprint(out)).toEqual(good);
    await servedBy('svc-b');
  }, 20_000);
});
