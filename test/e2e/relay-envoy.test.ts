// End to end over ADS: manifests → `translate --to snapshot` → relay → a real Envoy started from
// `fleetplane bootstrap`'s config → HTTP to loopback backends. Then, without restarting Envoy: a
// route change, a snapshot Envoy rejects (NACKed, reported, not resent), a fix, and a relay restart.
// Runs once with state-of-the-world ADS and once with Delta.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientInfo } from '../../services/relay/ads/ads-stream.ts';
import { adsBootstrap } from '../../services/relay/bootstrap.ts';
import type { RunningRelay } from '../../services/relay/relay.ts';
import type { JsonObject } from '../../shared/xds/types.ts';
import { freePort, type RunningEnvoy, startEnvoy } from '../support/envoy.ts';
import {
  type Backend,
  eventually,
  getVia,
  HOST,
  manifests,
  NODE_CLUSTER,
  publishResources,
  startBackend,
  startDirectoryRelay,
  translateToResources,
  translateToSnapshot,
} from './relay-support/harness.ts';

describe.each(['sotw', 'delta'] as const)('relay → Envoy over ADS (%s)', (protocol) => {
  const backends: Backend[] = [];
  let relay: RunningRelay | undefined;
  let envoy: RunningEnvoy | undefined;
  let dir = '';
  let listenerPort = 0;
  const ports = { ads: 0, admin: 0 };

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
  const admin = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${ports.admin}${path}`);
    return { status: res.status, text: await res.text() };
  };
  const clients = async () =>
    (JSON.parse((await admin('/debug/clients')).text) as { clients: ClientInfo[] }).clients;
  const metric = async (name: string, labels: string) => {
    const line = (await admin('/metrics')).text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  beforeAll(async () => {
    backends.push(await startBackend('svc-a'), await startBackend('svc-b'));
    listenerPort = await freePort();
    ports.ads = await freePort();
    ports.admin = await freePort();
    dir = await mkdtemp(join(tmpdir(), 'fleetplane-relay-e2e-'));
    await translateToSnapshot(manifests(listenerPort, backends, 'svc-a'), dir);
    relay = await startDirectoryRelay(dir, ports);
    const bootstrap = adsBootstrap({
      xdsServer: { host: '127.0.0.1', port: ports.ads },
      nodeCluster: NODE_CLUSTER,
      nodeId: `e2e-${protocol}`,
      protocol,
      reconnect: { baseMs: 100, maxMs: 500 },
    });
    envoy = await startEnvoy(bootstrap as Record<string, unknown>);
  }, 30_000);

  afterAll(async () => {
    await envoy?.stop();
    await relay?.stop();
    for (const b of backends) b.server.close();
  });

  it('proxies HTTP to the loopback backend with the config it got from the relay', async () => {
    // Act
    await servedBy('svc-a');

    // Assess
    const [client] = await clients();
    expect(client).toMatchObject({
      protocol,
      status: 'serving',
      node: { id: `e2e-${protocol}`, cluster: NODE_CLUSTER },
      snapshotVersion: 1,
    });
    for (const type of ['cds', 'eds', 'lds', 'rds'])
      expect(client?.types[type], type).toMatchObject({ acked: { version: '1' } });
    expect((await admin('/readyz')).status).toBe(200);
  }, 20_000);

  it('applies a route change from a new snapshot within seconds, without a restart', async () => {
    // Prepare
    const pid = envoy?.process.pid;
    const started = Date.now();

    // Act: keep requests flowing while the new version rolls out (new cluster, then the route to it).
    const statuses: number[] = [];
    let switching = true;
    const traffic = (async () => {
      while (switching) {
        statuses.push((await getVia(listenerPort, '/app', HOST)).status);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await translateToSnapshot(manifests(listenerPort, backends, 'svc-b'), dir);
    await servedBy('svc-b');
    switching = false;
    await traffic;

    // Assess: make before break, so no request failed on the way.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(envoy?.process.pid).toBe(pid);
    expect(envoy?.process.exitCode).toBeNull();
    const snapshots = JSON.parse((await admin('/debug/snapshots')).text);
    expect(snapshots.snapshots[0]).toMatchObject({ nodeCluster: NODE_CLUSTER, version: 2 });
    // One encode per type per version, whatever the number of streams.
    expect(await metric('fleetplane_relay_encodes_total', 'type="rds"')).toBe(2);
  }, 20_000);

  it('reports a snapshot Envoy rejects, does not resend it, and Envoy keeps the previous config', async () => {
    // Prepare: the same config plus a second listener on the same address, which Envoy refuses.
    const good = await translateToResources(manifests(listenerPort, backends, 'svc-b'));
    const [listener] = good.listeners;
    if (!listener) throw new Error('translate built no listener');
    const duplicate: JsonObject = { ...listener, name: `${String(listener.name)}-duplicate` };

    // Act
    const published = await publishResources(dir, { ...good, listeners: [...good.listeners, duplicate] });
    await eventually(async () => {
      if ((await metric('fleetplane_relay_nacks_total', 'type="lds"')) < 1) throw new Error('no NACK yet');
    });
    const sentAfterNack = (await clients())[0]?.types.lds?.counts.sent;
    await new Promise((r) => setTimeout(r, 1_500)); // several polls and Envoy retries' worth

    // Assess
    expect(published).toMatchObject({ status: 'published', version: 3 });
    expect(await metric('fleetplane_relay_nacks_total', 'type="lds"')).toBe(1);
    const [client] = await clients();
    expect(client?.types.lds?.counts.sent).toBe(sentAfterNack);
    expect(client?.types.lds?.lastNack).toMatchObject({ version: '3' });
    expect(client?.types.lds?.lastNack?.message).toMatch(/duplicate/i);
    expect(client?.types.lds?.acked?.version).not.toBe('3');
    expect(await serving()).toBe('svc-b');
  }, 20_000);

  it('recovers with the next good snapshot, and Envoy reconnects to a restarted relay', async () => {
    // Prepare: a fixed version (routes back to svc-a).
    await translateToSnapshot(manifests(listenerPort, backends, 'svc-a'), dir);
    await servedBy('svc-a');

    // Act: stop the relay; Envoy keeps serving; start a new one on the same ports.
    await relay?.stop();
    const duringOutage = await serving();
    relay = await startDirectoryRelay(dir, ports);
    const reconnected = await eventually(async () => {
      const [client] = await clients();
      if (!client?.types.lds?.acked || !client.types.rds?.acked) throw new Error('not reconnected yet');
      return client;
    });

    // Assess
    expect(duringOutage).toBe('svc-a');
    expect(reconnected).toMatchObject({ status: 'serving', snapshotVersion: 4 });
    expect(reconnected.types.cds?.acked?.version).toBe('4');
    expect(await metric('fleetplane_relay_nacks_total', 'type="lds"')).toBe(0);
    expect(await serving()).toBe('svc-a');
  }, 25_000);
});
