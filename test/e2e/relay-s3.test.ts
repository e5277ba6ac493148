// `fleetplane relay --source s3://bucket/prefix` as users run it (a process), against the emulator,
// feeding a real Envoy over ADS. Snapshots are translated from manifests and uploaded in the
// pipeline's layout (latest.json last). The poll interval is a minute, so every change Envoy sees
// within seconds came through a notification: an authenticated POST /notify, then a "Snapshot
// Published" event on SQS. A corrupt version is refused (shown in /debug/snapshots) while Envoy
// keeps serving, and SIGTERM stops the relay cleanly.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adsBootstrap } from '../../services/relay/bootstrap.ts';
import { createS3Client } from '../../shared/aws/clients.ts';
import { ensureQueue, ensureSnapshotBucket } from '../../shared/aws/provision.ts';
import { SqsQueue } from '../../shared/aws/sqs-queue.ts';
import { latestKey, versionPrefix } from '../../shared/snapshot/layout.ts';
import { freePort, type RunningEnvoy, repoRoot, startEnvoy } from '../support/envoy.ts';
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
  translateToSnapshot,
} from './relay-support/harness.ts';

const CLI = join(repoRoot, 'bin', 'fleetplane.mjs');
const PREFIX = 'fleet/e2e';
const TOKEN = 'e2e-notify-token-0123456789abcdef';
const emulator = useEmulator();

describe('fleetplane relay --source s3:// → Envoy', () => {
  const backends: Backend[] = [];
  let s3: S3Client;
  let bucketName = '';
  let queue: SqsQueue;
  let relay: ChildProcess | undefined;
  let exited: Promise<number | null> = Promise.resolve(null);
  let envoy: RunningEnvoy | undefined;
  let logs = '';
  let work = '';
  let listenerPort = 0;
  const ports = { ads: 0, admin: 0, notify: 0 };

  /** Translates the manifests into a local folder, then uploads what changed, latest.json last. */
  const publish = async (routeTo: string, servers = backends.slice(0, 2)): Promise<number> => {
    await translateToSnapshot(manifests(listenerPort, servers, routeTo), work);
    const pointer = latestKey(CLUSTER_ID, GATEWAY);
    const { version } = JSON.parse(await readFile(join(work, pointer), 'utf8')) as { version: number };
    const folder = versionPrefix(CLUSTER_ID, GATEWAY, version);
    for (const name of await readdir(join(work, folder)))
      await put(`${folder}${name}`, await readFile(join(work, folder, name)));
    await put(pointer, await readFile(join(work, pointer)));
    return version;
  };
  const put = (key: string, body: Uint8Array) =>
    s3.send(new PutObjectCommand({ Bucket: bucketName, Key: `${PREFIX}/${key}`, Body: body }));
  const admin = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${ports.admin}${path}`);
    return { status: res.status, body: await res.text() };
  };
  const servedBy = (name: string, timeoutMs = 8_000) =>
    eventually(async () => {
      const res = await getVia(listenerPort, '/app', HOST);
      const backend = res.status === 200 ? (JSON.parse(res.body) as { backend: string }).backend : res.status;
      if (backend !== name) throw new Error(`served by ${backend}, want ${name}`);
    }, timeoutMs);

  beforeAll(async () => {
    backends.push(await startBackend('svc-a'), await startBackend('svc-b'));
    listenerPort = await freePort();
    [ports.ads, ports.admin, ports.notify] = [await freePort(), await freePort(), await freePort()];
    work = await mkdtemp(join(tmpdir(), 'fleetplane-relay-s3-e2e-'));
    const { clientConfig, endpoint } = emulator.current;
    s3 = createS3Client(clientConfig);
    bucketName = uniqueName('relay-e2e');
    await ensureSnapshotBucket(s3, bucketName);
    const sqs = new SQSClient(clientConfig);
    const ref = await ensureQueue(sqs, uniqueName('relay-e2e-notify'));
    queue = new SqsQueue({ queueUrl: ref.url, queueArn: ref.arn, client: sqs });
    await publish('svc-a');
    const tokenFile = join(work, 'notify-token');
    await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 });

    relay = spawn(
      process.execPath,
      [
        CLI,
        'relay',
        '--source',
        `s3://${bucketName}/${PREFIX}`,
        '--listen',
        `127.0.0.1:${ports.ads}`,
        '--admin',
        `127.0.0.1:${ports.admin}`,
        '--poll-interval',
        '60s',
        '--notify-queue',
        ref.url,
        '--notify-listen',
        `127.0.0.1:${ports.notify}`,
        '--notify-token-file',
        tokenFile,
        '--endpoint-url',
        endpoint,
        '--region',
        clientConfig.region,
      ],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'ignore', 'pipe'],
        // Dummy credentials for the emulator only; nothing else in the environment points at AWS.
        env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
      },
    );
    relay.stderr?.on('data', (d) => {
      logs += d;
    });
    const child = relay;
    exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    await eventually(async () => {
      if ((await admin('/readyz')).status !== 200) throw new Error(`relay not ready:\n${logs}`);
    }, 20_000);
    envoy = await startEnvoy(
      adsBootstrap({
        xdsServer: { host: '127.0.0.1', port: ports.ads },
        nodeCluster: NODE_CLUSTER,
        nodeId: 'e2e-s3',
        protocol: 'sotw',
        reconnect: { baseMs: 100, maxMs: 500 },
      }) as Record<string, unknown>,
    );
  }, 60_000);

  afterAll(async () => {
    await envoy?.stop();
    if (relay && relay.exitCode === null) relay.kill('SIGKILL');
    for (const b of backends) b.server.close();
  });

  it('serves the snapshot from the bucket to Envoy', async () => {
    await servedBy('svc-a', 15_000);
    const snapshots = JSON.parse((await admin('/debug/snapshots')).body);
    expect(snapshots.source.description).toBe(`s3://${bucketName}/${PREFIX}/`);
    expect(snapshots.snapshots).toMatchObject([{ nodeCluster: NODE_CLUSTER, version: 1 }]);
  }, 20_000);

  it('applies a route change at once on POST /notify, and refuses a wrong token', async () => {
    // Prepare
    const version = await publish('svc-b');
    const notify = (token: string) =>
      fetch(`http://127.0.0.1:${ports.notify}/notify`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ clusterId: CLUSTER_ID, gateway: GATEWAY }),
      });

    // Act
    const denied = await notify('not-the-token-0123456789');
    const started = Date.now();
    const res = await notify(TOKEN);
    await servedBy('svc-b');

    // Assess
    expect(denied.status).toBe(401);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { gateways: unknown[] }).gateways).toMatchObject([
      { nodeCluster: NODE_CLUSTER, loadedVersion: version },
    ]);
    expect(Date.now() - started).toBeLessThan(8_000);
  }, 20_000);

  it('applies a route change at once on a "Snapshot Published" event from SQS', async () => {
    // Prepare
    const version = await publish('svc-a');

    // Act
    await queue.send(
      JSON.stringify({
        version: '0',
        source: 'fleetplane.snapshots',
        'detail-type': 'Snapshot Published',
        detail: {
          clusterId: CLUSTER_ID,
          gateway: GATEWAY,
          version,
          latestKey: `${PREFIX}/${latestKey(CLUSTER_ID, GATEWAY)}`,
        },
      }),
    );
    await servedBy('svc-a', 15_000);

    // Assess
    const snapshots = JSON.parse((await admin('/debug/snapshots')).body);
    expect(snapshots.snapshots).toMatchObject([{ nodeCluster: NODE_CLUSTER, version }]);
    expect(snapshots.source.notifications.sqs.received).toBeGreaterThanOrEqual(1);
  }, 25_000);

  it('refuses a corrupt version: Envoy keeps the last good config and /debug/snapshots says why', async () => {
    // Prepare: a version routing to svc-b whose cds.pb is altered in the bucket after upload.
    const good = JSON.parse((await admin('/debug/snapshots')).body).snapshots[0].version as number;
    const corrupt = await publish('svc-b');
    const key = `${versionPrefix(CLUSTER_ID, GATEWAY, corrupt)}cds.pb`;
    const bytes = await readFile(join(work, key));
    bytes[bytes.byteLength >> 1] = (bytes[bytes.byteLength >> 1] ?? 0) ^ 0x01;
    await put(key, bytes);

    // Act
    const res = await fetch(`http://127.0.0.1:${ports.notify}/notify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });

    // Assess
    expect(res.status).toBe(200);
    const snapshots = JSON.parse((await admin('/debug/snapshots')).body);
    expect(snapshots.snapshots).toMatchObject([{ nodeCluster: NODE_CLUSTER, version: good }]);
    expect(snapshots.source.gateways).toMatchObject([
      {
        nodeCluster: NODE_CLUSTER,
        loadedVersion: good,
        latestVersion: corrupt,
        lastError: { reason: 'integrity' },
      },
    ]);
    expect((await admin('/metrics')).body).toMatch(
      /fleetplane_relay_snapshot_load_failures_total\{node_cluster="e2e\/e2e\/gw",reason="integrity"\} 1/,
    );
    await servedBy('svc-a');
  }, 20_000);

  it('stops cleanly on SIGTERM', async () => {
    relay?.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(logs).toMatch(/relay stopped/);
  }, 20_000);
});
