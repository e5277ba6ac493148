// The relay's CLI as users run it, spawned as processes: `fleetplane bootstrap` prints a bootstrap
// the real Envoy accepts, and `fleetplane relay` serves a directory with its admin endpoints,
// becoming ready once a snapshot appears, and exiting cleanly on SIGTERM; with
// `--source xds://<parent>` it is ready once the parent is reachable and serves what it fetches.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ChannelCredentials,
  type Client,
  type ClientDuplexStream,
  credentials,
  makeGenericClientConstructor,
} from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { adsClientDefinition } from '../../services/relay/ads/grpc-service.ts';
import type { SotwRequest, SotwResponse } from '../../services/relay/ads/messages.ts';
import type { RunningRelay } from '../../services/relay/relay.ts';
import { TypeUrl } from '../../shared/xds/types.ts';
import { freePort, repoRoot, validateEnvoyFile } from '../support/envoy.ts';
import { createTestCa } from '../unit/relay/tls-certs.ts';
import {
  eventually,
  manifests,
  NODE_CLUSTER,
  startBackend,
  startDirectoryRelay,
  translateToSnapshot,
} from './relay-support/harness.ts';

const CLI = join(repoRoot, 'bin', 'fleetplane.mjs');

interface AdsClient extends Client {
  StreamAggregatedResources(): ClientDuplexStream<SotwRequest, SotwResponse>;
}
const AdsClient = makeGenericClientConstructor(
  adsClientDefinition,
  'AggregatedDiscoveryService',
) as unknown as new (
  address: string,
  creds: ChannelCredentials,
) => AdsClient;

function fleetplane(args: string[]) {
  const res = spawnSync(process.execPath, [CLI, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('fleetplane bootstrap', () => {
  it.each([[[]], [['--delta']]])(
    'prints an ADS bootstrap that Envoy validates (%j)',
    async (extra) => {
      // Act
      const res = fleetplane([
        'bootstrap',
        '--xds-server',
        '127.0.0.1:18000',
        '--node-cluster',
        'prod/infra/edge',
        '--node-id',
        'edge-1',
        '--admin-port',
        '19000',
        ...extra,
      ]);

      // Assess
      expect(res.code, res.stderr).toBe(0);
      const bootstrap = parse(res.stdout);
      expect(bootstrap.node).toEqual({ id: 'edge-1', cluster: 'prod/infra/edge' });
      expect(bootstrap.dynamic_resources.ads_config.api_type).toBe(extra.length ? 'DELTA_GRPC' : 'GRPC');
      expect(bootstrap.admin.address.socket_address).toEqual({ address: '127.0.0.1', port_value: 19000 });
      const file = join(await mkdtemp(join(tmpdir(), 'fleetplane-bootstrap-')), 'envoy.yaml');
      await writeFile(file, res.stdout);
      const validated = await validateEnvoyFile(file);
      expect(validated.ok, validated.output).toBe(true);
    },
    20_000,
  );

  it('rejects a node cluster that is not <clusterId>/<ns>/<gateway> and says how to write it', () => {
    // Act
    const res = fleetplane(['bootstrap', '--xds-server', '127.0.0.1:18000', '--node-cluster', 'edge']);

    // Assess
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/expected <clusterId>\/<namespace>\/<gateway>/);
  }, 20_000);
});

describe('fleetplane relay', () => {
  it('serves admin endpoints, becomes ready when a snapshot appears, and stops on SIGTERM', async () => {
    // Prepare: an empty source directory and a relay process on free loopback ports.
    const dir = await mkdtemp(join(tmpdir(), 'fleetplane-relay-cli-'));
    const [ads, admin] = [await freePort(), await freePort()];
    const child = spawn(
      process.execPath,
      [
        CLI,
        'relay',
        '--source',
        dir,
        '--listen',
        `127.0.0.1:${ads}`,
        '--admin',
        `127.0.0.1:${admin}`,
        '--poll-interval',
        '100ms',
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let logs = '';
    child.stderr.on('data', (d) => {
      logs += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${admin}${path}`);
      return { status: res.status, body: await res.text() };
    };
    const backend = await startBackend('svc-a');

    try {
      // Act + Assess: live at once, not ready while there is nothing to serve.
      const health = await eventually(() => get('/healthz'), 15_000);
      expect(health.status).toBe(200);
      expect((await get('/readyz')).status).toBe(503);

      await translateToSnapshot(manifests(await freePort(), [backend], 'svc-a'), dir);
      await eventually(async () => {
        if ((await get('/readyz')).status !== 200) throw new Error('not ready');
      });
      const snapshots = JSON.parse((await get('/debug/snapshots')).body);
      expect(snapshots.snapshots).toMatchObject([{ nodeCluster: NODE_CLUSTER, version: 1 }]);
      expect(snapshots.source.gateways).toMatchObject([{ nodeCluster: NODE_CLUSTER, loadedVersion: 1 }]);
      const metrics = (await get('/metrics')).body;
      expect(metrics).toContain(`fleetplane_relay_snapshot_version{node_cluster="${NODE_CLUSTER}"} 1`);
      expect(metrics).toContain('fleetplane_relay_encodes_total{type="cds"} 1');
      expect(JSON.parse((await get('/debug/clients')).body)).toEqual({ clients: [] });

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(logs).toContain('"message":"relay stopped"');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      backend.server.close();
    }
  }, 25_000);
});

describe('fleetplane relay --source xds://', () => {
  it('waits for its parent to be reachable, then serves what it fetches from it', async () => {
    // Prepare: a parent relay on a port that is not listening yet, and the child as a process.
    const dir = await mkdtemp(join(tmpdir(), 'fleetplane-relay-cli-parent-'));
    const backend = await startBackend('svc-a');
    await translateToSnapshot(manifests(await freePort(), [backend], 'svc-a'), dir);
    const [parentAds, parentAdmin, ads, admin] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const child = spawn(
      process.execPath,
      [
        CLI,
        'relay',
        '--source',
        `xds://127.0.0.1:${parentAds}`,
        '--listen',
        `127.0.0.1:${ads}`,
        '--admin',
        `127.0.0.1:${admin}`,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let logs = '';
    child.stderr.on('data', (d) => {
      logs += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${admin}${path}`);
      return { status: res.status, body: await res.text() };
    };
    let parent: RunningRelay | undefined;
    let client: AdsClient | undefined;
    let call: ClientDuplexStream<SotwRequest, SotwResponse> | undefined;

    try {
      // Act + Assess: not ready while the parent is down.
      await eventually(() => get('/healthz'), 15_000);
      const down = await get('/readyz');
      expect(down.status).toBe(503);
      expect(down.body).toContain(`parent relay xds://127.0.0.1:${parentAds} not reachable yet`);

      parent = await startDirectoryRelay(dir, { ads: parentAds, admin: parentAdmin });
      await eventually(async () => {
        if ((await get('/readyz')).status !== 200) throw new Error('not ready');
      });
      client = new AdsClient(`127.0.0.1:${ads}`, credentials.createInsecure());
      call = client.StreamAggregatedResources();
      call.on('error', () => {});
      const response = new Promise<SotwResponse>((resolve) => call?.once('data', resolve));
      call.write({
        node: { id: 'cli-test', cluster: NODE_CLUSTER, userAgent: 'test' },
        typeUrl: TypeUrl.Cluster,
        versionInfo: '',
        resourceNames: [],
        responseNonce: '',
      });
      expect(await response).toMatchObject({ typeUrl: TypeUrl.Cluster, versionInfo: '1' });
      const snapshots = JSON.parse((await get('/debug/snapshots')).body);
      expect(snapshots.source).toMatchObject({
        description: `xds://127.0.0.1:${parentAds}`,
        gateways: [{ nodeCluster: NODE_CLUSTER, connection: 'streaming' }],
      });

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(logs).toContain('"message":"relay stopped"');
    } finally {
      call?.cancel();
      client?.close();
      if (child.exitCode === null) child.kill('SIGKILL');
      await parent?.stop();
      backend.server.close();
    }
  }, 25_000);

  it('rejects a source it cannot use and says what to write', () => {
    // Act
    const res = fleetplane(['relay', '--source', 'http://parent:18000', '--listen', '127.0.0.1:0']);

    // Assess
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/unknown scheme; use a directory or xds:\/\/<host>:<port>/);
  }, 20_000);
});

describe('fleetplane relay with TLS and mTLS flags', () => {
  it('serves ADS over TLS only, with the certificate from --tls-cert', async () => {
    // Prepare: a CA, a relay certificate for 127.0.0.1, a snapshot, and the relay as a process.
    const ca = await createTestCa();
    const server = await ca.issue('relay', { sans: ['IP:127.0.0.1'] });
    const dir = await mkdtemp(join(tmpdir(), 'fleetplane-relay-cli-tls-'));
    const backend = await startBackend('svc-a');
    await translateToSnapshot(manifests(await freePort(), [backend], 'svc-a'), dir);
    const [ads, admin] = [await freePort(), await freePort()];
    const child = spawn(
      process.execPath,
      [
        CLI,
        'relay',
        '--source',
        dir,
        '--listen',
        `127.0.0.1:${ads}`,
        '--admin',
        `127.0.0.1:${admin}`,
        '--tls-cert',
        server.cert,
        '--tls-key',
        server.key,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const clients: AdsClient[] = [];
    const firstResponse = (creds: ChannelCredentials) => {
      const client = new AdsClient(`127.0.0.1:${ads}`, creds);
      clients.push(client);
      const call = client.StreamAggregatedResources();
      const outcome = new Promise<SotwResponse | Error>((resolve) => {
        call.once('data', resolve);
        call.once('error', resolve);
      });
      call.write({
        node: { id: 'cli-tls', cluster: NODE_CLUSTER, userAgent: 'test' },
        typeUrl: TypeUrl.Cluster,
        versionInfo: '',
        resourceNames: [],
        responseNonce: '',
      });
      return outcome.finally(() => call.cancel());
    };

    try {
      await eventually(async () => {
        const res = await fetch(`http://127.0.0.1:${admin}/readyz`);
        if (res.status !== 200) throw new Error('not ready');
      }, 15_000);

      // Act
      const overTls = await firstResponse(credentials.createSsl(await readFile(ca.cert)));
      const plaintext = await firstResponse(credentials.createInsecure());

      // Assess
      expect(overTls).toMatchObject({ typeUrl: TypeUrl.Cluster, versionInfo: '1' });
      expect(plaintext).toBeInstanceOf(Error);
      expect((plaintext as Error & { code?: number }).code).toBe(14); // UNAVAILABLE: no handshake
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      for (const client of clients) client.close();
      if (child.exitCode === null) child.kill('SIGKILL');
      backend.server.close();
    }
  }, 30_000);

  it('refuses --client-ca without --authz and --parent-ca without a parent source, naming the flags', () => {
    // Act
    const noAuthz = fleetplane([
      'relay',
      '--source',
      tmpdir(),
      '--tls-cert',
      'relay.pem',
      '--tls-key',
      'relay-key.pem',
      '--client-ca',
      'ca.pem',
    ]);
    const parentCa = fleetplane(['relay', '--source', tmpdir(), '--parent-ca', 'ca.pem']);

    // Assess
    expect(noAuthz.code).toBe(1);
    expect(noAuthz.stderr).toMatch(/--client-ca/);
    expect(noAuthz.stderr).toMatch(/--authz/);
    expect(parentCa.code).toBe(1);
    expect(parentCa.stderr).toMatch(/--parent-ca: only for a parent relay source/);
  }, 20_000);
});
