// The relay's ADS listener with TLS and mTLS, end to end with throwaway certificates from openssl:
// a real Envoy started from `fleetplane bootstrap --tls-ca --tls-cert --tls-key` connects over mTLS,
// gets its Gateway's snapshot and proxies HTTP; a client whose certificate identity the --authz
// policy does not grant that gateway gets PERMISSION_DENIED naming node.cluster and identity (and
// an Envoy with such a certificate gets nothing); plaintext clients, clients without a certificate
// and clients with a certificate from another CA are refused by the handshake.

import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ChannelCredentials,
  type Client,
  type ClientDuplexStream,
  credentials,
  makeGenericClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBootstrap } from '../../cli/bootstrap.ts';
import { relaySecurityFromOptions } from '../../cli/relay-security.ts';
import { silentLogger } from '../../services/common/log.ts';
import type { ClientInfo } from '../../services/relay/ads/ads-stream.ts';
import { adsClientDefinition } from '../../services/relay/ads/grpc-service.ts';
import type { SotwRequest, SotwResponse } from '../../services/relay/ads/messages.ts';
import { type RunningRelay, startRelay } from '../../services/relay/relay.ts';
import { RelayMetrics } from '../../services/relay/relay-metrics.ts';
import { ParentRelaySource } from '../../services/relay/source/parent-relay-source.ts';
import { TypeUrl } from '../../shared/xds/types.ts';
import { freePort, type RunningEnvoy, startEnvoy } from '../support/envoy.ts';
import { createTestCa, type PemFiles, type TestCa } from '../unit/relay/tls-certs.ts';
import {
  type Backend,
  eventually,
  getVia,
  HOST,
  manifests,
  NODE_CLUSTER,
  startBackend,
  startDirectoryRelay,
  translateToSnapshot,
} from './relay-support/harness.ts';

const PROXY_ID = 'spiffe://fleet/ns/e2e/sa/gw';
const INTRUDER_ID = 'spiffe://fleet/ns/other/sa/intruder';
const CHILD_ID = 'spiffe://fleet/ns/relays/sa/child';

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

let ca: TestCa;
let otherCa: TestCa;
const certs: Record<'relay' | 'proxy' | 'intruder' | 'stranger' | 'child', PemFiles> = {} as never;
const backends: Backend[] = [];
const envoys: RunningEnvoy[] = [];
const clients: AdsClient[] = [];
let relay: RunningRelay | undefined;
let metrics: RelayMetrics;
let listenerPort = 0;
const ports = { ads: 0, admin: 0 };

const pem = (path: string) => readFile(path);

async function tlsCredentials(client?: PemFiles, trust = ca): Promise<ChannelCredentials> {
  return credentials.createSsl(
    await pem(trust.cert),
    client ? await pem(client.key) : null,
    client ? await pem(client.cert) : null,
  );
}

/** Opens a SotW stream as `nodeCluster` and resolves with its first response or its error. */
function firstResponse(
  creds: ChannelCredentials,
  nodeCluster = NODE_CLUSTER,
): Promise<{ response?: SotwResponse; error?: ServiceError }> {
  const client = new AdsClient(`127.0.0.1:${ports.ads}`, creds);
  clients.push(client);
  const call = client.StreamAggregatedResources();
  const outcome = new Promise<{ response?: SotwResponse; error?: ServiceError }>((resolve) => {
    call.once('data', (response: SotwResponse) => resolve({ response }));
    call.once('error', (error: ServiceError) => resolve({ error }));
  });
  call.write({
    node: { id: 'grpc-client', cluster: nodeCluster, userAgent: 'relay-mtls-test' },
    typeUrl: TypeUrl.Cluster,
    versionInfo: '',
    resourceNames: [],
    responseNonce: '',
  });
  return outcome.finally(() => call.cancel());
}

/**
 * `fleetplane bootstrap` with TLS flags, as JSON. `initialFetchTimeout` lets an Envoy that gets
 * nothing finish initialising (and answer /ready) without waiting 15 s per type.
 */
function bootstrapWith(
  nodeId: string,
  client: PemFiles,
  initialFetchTimeout?: string,
): Record<string, unknown> {
  let out = '';
  const code = runBootstrap(
    {
      xdsServer: `127.0.0.1:${ports.ads}`,
      nodeCluster: NODE_CLUSTER,
      nodeId,
      adminPort: '0',
      output: 'json',
      tlsCa: ca.cert,
      tlsCert: client.cert,
      tlsKey: client.key,
    },
    { stdout: { write: (s: string) => (out += s) } },
  );
  if (code !== 0) throw new Error(`bootstrap exited ${code}`);
  const bootstrap = JSON.parse(out) as {
    dynamic_resources: {
      ads_config: { grpc_services: Array<{ envoy_grpc: { retry_policy: unknown } }> };
      cds_config: Record<string, unknown>;
      lds_config: Record<string, unknown>;
    };
  };
  const dynamic = bootstrap.dynamic_resources;
  // Reconnect quickly in tests.
  for (const s of dynamic.ads_config.grpc_services)
    s.envoy_grpc.retry_policy = { retry_back_off: { base_interval: '0.1s', max_interval: '0.5s' } };
  if (initialFetchTimeout) {
    dynamic.cds_config.initial_fetch_timeout = initialFetchTimeout;
    dynamic.lds_config.initial_fetch_timeout = initialFetchTimeout;
  }
  return bootstrap as unknown as Record<string, unknown>;
}

const deniedCount = () =>
  metrics.registry.value('fleetplane_relay_streams_denied_total', { reason: 'not-authorized' });

beforeAll(async () => {
  [ca, otherCa] = await Promise.all([createTestCa('fleet CA'), createTestCa('other CA')]);
  certs.relay = await ca.issue('relay', { sans: ['DNS:localhost', 'IP:127.0.0.1'] });
  certs.proxy = await ca.issue('proxy', { sans: [`URI:${PROXY_ID}`] });
  certs.intruder = await ca.issue('intruder', { sans: [`URI:${INTRUDER_ID}`] });
  certs.stranger = await otherCa.issue('stranger', { sans: [`URI:${PROXY_ID}`] });
  certs.child = await ca.issue('child-relay', { sans: [`URI:${CHILD_ID}`] });
  const authz = join(ca.dir, 'authz.yaml');
  await writeFile(authz, `${PROXY_ID}: [e2e/e2e/gw]\n${INTRUDER_ID}: ["c9/*/*"]\n${CHILD_ID}: ["*/*/*"]\n`);

  backends.push(await startBackend('svc-a'));
  listenerPort = await freePort();
  ports.ads = await freePort();
  ports.admin = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'fleetplane-relay-mtls-'));
  await translateToSnapshot(manifests(listenerPort, backends, 'svc-a'), dir);
  metrics = new RelayMetrics();
  const security = await relaySecurityFromOptions(
    { tlsCert: certs.relay.cert, tlsKey: certs.relay.key, clientCa: ca.cert, authz },
    { log: silentLogger, metrics },
  );
  relay = await startDirectoryRelay(dir, ports, { metrics, ...security });
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  for (const e of envoys) await e.stop();
  await relay?.stop();
  for (const b of backends) b.server.close();
});

describe('relay ADS over mTLS', () => {
  it('serves a real Envoy with an allowed identity, started from `fleetplane bootstrap --tls…`', async () => {
    // Act
    const envoy = await startEnvoy(bootstrapWith('mtls-proxy', certs.proxy));
    envoys.push(envoy);
    const backend = await eventually(async () => {
      const res = await getVia(listenerPort, '/app', HOST);
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body}`);
      return (JSON.parse(res.body) as { backend: string }).backend;
    }, 20_000);

    // Assess
    expect(backend).toBe('svc-a');
    const res = await fetch(`http://127.0.0.1:${ports.admin}/debug/clients`);
    const listed = ((await res.json()) as { clients: ClientInfo[] }).clients;
    const client = listed.find((c) => c.node?.id === 'mtls-proxy');
    expect(client).toMatchObject({ status: 'serving', identities: [PROXY_ID], snapshotVersion: 1 });
    for (const type of ['cds', 'eds', 'lds', 'rds'])
      expect(client?.types[type], type).toMatchObject({ acked: { version: '1' } });
  }, 40_000);

  it('refuses an identity the policy does not grant this gateway with PERMISSION_DENIED, and counts it', async () => {
    // Prepare
    const before = deniedCount();

    // Act
    const { response, error } = await firstResponse(await tlsCredentials(certs.intruder));

    // Assess
    expect(response).toBeUndefined();
    expect(error?.code).toBe(7); // PERMISSION_DENIED
    expect(error?.details).toBe(
      `client identity ${INTRUDER_ID} may not read node.cluster ${NODE_CLUSTER}: ` +
        "the relay's authorization policy does not grant it",
    );
    expect(deniedCount()).toBe(before + 1);
    // The same identity may read what it is granted (a gateway with no snapshot: nothing to send, no error).
    const granted = firstResponse(await tlsCredentials(certs.intruder), 'c9/ns/gw');
    const outcome = await Promise.race([granted, new Promise((r) => setTimeout(() => r('open'), 1_000))]);
    expect(outcome).toBe('open');
  }, 20_000);

  it('gives an Envoy with a disallowed identity nothing', async () => {
    // Prepare
    const before = deniedCount();

    // Act
    const envoy = await startEnvoy(bootstrapWith('intruder-proxy', certs.intruder, '0.5s'));
    try {
      await eventually(async () => {
        if (deniedCount() < before + 2) throw new Error('not refused (twice) yet');
      }, 15_000);

      // Assess: refused on every retry, no listener configured, nothing in /debug/clients.
      const listeners = await fetch(`http://127.0.0.1:${envoy.adminPort}/listeners?format=json`);
      expect(((await listeners.json()) as { listener_statuses?: unknown[] }).listener_statuses ?? []).toEqual(
        [],
      );
      expect(relay?.clients().some((c) => c.node?.id === 'intruder-proxy')).toBe(false);
    } finally {
      // It keeps retrying; stop it so later tests can count streams.
      await envoy.stop();
    }
  }, 30_000);

  it.each([
    ['a plaintext client', () => Promise.resolve(credentials.createInsecure())],
    ['a TLS client without a certificate', () => tlsCredentials()],
    ['a client with a certificate from another CA', () => tlsCredentials(certs.stranger)],
  ])(
    'refuses %s at the handshake',
    async (_name, creds) => {
      // Prepare
      const opened = metrics.registry.value('fleetplane_relay_streams_opened_total', { protocol: 'sotw' });

      // Act
      const { response, error } = await firstResponse(await creds());

      // Assess
      expect(response).toBeUndefined();
      expect(error?.code).toBe(14); // UNAVAILABLE: no connection was established
      expect(metrics.registry.value('fleetplane_relay_streams_opened_total', { protocol: 'sotw' })).toBe(
        opened,
      );
    },
    20_000,
  );
});

describe('a child relay over mTLS (--parent-ca, --parent-cert, --parent-key)', () => {
  it('fetches from the mTLS relay as its parent and serves a plaintext client', async () => {
    // Prepare
    const childMetrics = new RelayMetrics();
    const { parentCredentials } = await relaySecurityFromOptions(
      { parentCa: ca.cert, parentCert: certs.child.cert, parentKey: certs.child.key },
      { log: silentLogger, metrics: childMetrics },
    );
    if (!parentCredentials) throw new Error('no parent credentials');
    const child = await startRelay({
      source: new ParentRelaySource({
        parent: { host: '127.0.0.1', port: ports.ads },
        credentials: parentCredentials,
        nodeId: 'child-relay',
        log: silentLogger,
        metrics: childMetrics,
        reconnect: { baseMs: 100, maxMs: 400 },
      }),
      listen: { host: '127.0.0.1', port: 0 },
      log: silentLogger,
      metrics: childMetrics,
    });
    const saved = ports.ads;
    ports.ads = child.ads.port;
    try {
      // Act
      const { response, error } = await firstResponse(credentials.createInsecure());

      // Assess
      expect(error).toBeUndefined();
      expect(response).toMatchObject({ typeUrl: TypeUrl.Cluster, versionInfo: '1' });
      expect(relay?.clients().find((c) => c.node?.id === 'child-relay')?.identities).toEqual([CHILD_ID]);
    } finally {
      ports.ads = saved;
      await child.stop();
    }
  }, 20_000);
});

describe('relay ADS over TLS (no client certificates)', () => {
  it('serves a TLS client and refuses a plaintext one', async () => {
    // Prepare: a second relay on the same snapshots, server TLS only.
    const tlsMetrics = new RelayMetrics();
    const security = await relaySecurityFromOptions(
      { tlsCert: certs.relay.cert, tlsKey: certs.relay.key },
      { log: silentLogger, metrics: tlsMetrics },
    );
    const dir = await mkdtemp(join(tmpdir(), 'fleetplane-relay-tls-'));
    await translateToSnapshot(manifests(listenerPort, backends, 'svc-a'), dir);
    const tlsRelay = await startDirectoryRelay(
      dir,
      { ads: 0, admin: 0 },
      { metrics: tlsMetrics, ...security },
    );
    const saved = ports.ads;
    ports.ads = tlsRelay.ads.port;
    try {
      // Act
      const overTls = await firstResponse(await tlsCredentials());
      const plaintext = await firstResponse(credentials.createInsecure());

      // Assess
      expect(overTls.error).toBeUndefined();
      expect(overTls.response).toMatchObject({ typeUrl: TypeUrl.Cluster, versionInfo: '1' });
      expect(plaintext.error?.code).toBe(14);
    } finally {
      ports.ads = saved;
      await tlsRelay.stop();
    }
  }, 20_000);
});
