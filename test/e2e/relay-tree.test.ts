// A two-level relay tree with a real Envoy at the leaf: a directory-backed parent relay, a child
// relay whose source is `xds://<parent>`, and Envoy bootstrapped against the child. HTTP reaches a
// loopback backend; a new snapshot written to the parent's directory reaches Envoy through the
// child without a restart; the parent restarts, the child reconnects and Envoy keeps working.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../services/common/log.ts';
import type { ClientInfo } from '../../services/relay/ads/ads-stream.ts';
import { adsBootstrap } from '../../services/relay/bootstrap.ts';
import { type RunningRelay, startRelay } from '../../services/relay/relay.ts';
import { RelayMetrics } from '../../services/relay/relay-metrics.ts';
import { ParentRelaySource } from '../../services/relay/source/parent-relay-source.ts';
import { freePort, type RunningEnvoy, startEnvoy } from '../support/envoy.ts';
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

const backends: Backend[] = [];
let parent: RunningRelay | undefined;
let child: RunningRelay | undefined;
let envoy: RunningEnvoy | undefined;
let dir = '';
let listenerPort = 0;
const parentPorts = { ads: 0, admin: 0 };
const childPorts = { ads: 0, admin: 0 };

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
const admin = async (port: number, path: string) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, text: await res.text() };
};
const clientsOf = async (port: number) =>
  (JSON.parse((await admin(port, '/debug/clients')).text) as { clients: ClientInfo[] }).clients;

function startChild(): Promise<RunningRelay> {
  const metrics = new RelayMetrics();
  return startRelay({
    source: new ParentRelaySource({
      parent: { host: '127.0.0.1', port: parentPorts.ads },
      nodeId: 'child-relay',
      log: silentLogger,
      metrics,
      reconnect: { baseMs: 100, maxMs: 400 },
    }),
    listen: { host: '127.0.0.1', port: childPorts.ads },
    admin: { host: '127.0.0.1', port: childPorts.admin },
    log: silentLogger,
    metrics,
  });
}

beforeAll(async () => {
  backends.push(await startBackend('svc-a'), await startBackend('svc-b'));
  listenerPort = await freePort();
  for (const ports of [parentPorts, childPorts]) {
    ports.ads = await freePort();
    ports.admin = await freePort();
  }
  dir = await mkdtemp(join(tmpdir(), 'fleetplane-relay-tree-'));
  await translateToSnapshot(manifests(listenerPort, backends, 'svc-a'), dir);
  parent = await startDirectoryRelay(dir, parentPorts);
  child = await startChild();
  const bootstrap = adsBootstrap({
    xdsServer: { host: '127.0.0.1', port: childPorts.ads },
    nodeCluster: NODE_CLUSTER,
    nodeId: 'leaf-envoy',
    reconnect: { baseMs: 100, maxMs: 500 },
  });
  envoy = await startEnvoy(bootstrap as Record<string, unknown>);
}, 30_000);

afterAll(async () => {
  await envoy?.stop();
  await child?.stop();
  await parent?.stop();
  for (const b of backends) b.server.close();
});

describe('relay tree: directory → parent relay → child relay → Envoy', () => {
  it('proxies HTTP with config the child fetched from the parent, over one stream per gateway', async () => {
    // Act
    await servedBy('svc-a');

    // Assess: Envoy ACKed the parent's versions through the child.
    const [leaf] = await clientsOf(childPorts.admin);
    expect(leaf).toMatchObject({ node: { id: 'leaf-envoy', cluster: NODE_CLUSTER }, status: 'serving' });
    for (const type of ['cds', 'eds', 'lds', 'rds'])
      expect(leaf?.types[type], type).toMatchObject({ acked: { version: '1' } });
    // The parent sees the child as one client of that gateway, which ACKed every type.
    const upstream = await clientsOf(parentPorts.admin);
    expect(upstream).toHaveLength(1);
    expect(upstream[0]).toMatchObject({
      node: { id: 'child-relay', cluster: NODE_CLUSTER },
      status: 'serving',
    });
    for (const type of ['cds', 'eds', 'lds', 'rds'])
      expect(upstream[0]?.types[type], type).toMatchObject({ acked: { version: '1' } });
    const snapshots = JSON.parse((await admin(childPorts.admin, '/debug/snapshots')).text);
    expect(snapshots.source.gateways[0]).toMatchObject({
      nodeCluster: NODE_CLUSTER,
      connection: 'streaming',
      typeVersions: { cds: '1', eds: '1', lds: '1', rds: '1' },
    });
    expect((await admin(childPorts.admin, '/readyz')).status).toBe(200);
  }, 20_000);

  it('carries a new snapshot from the parent directory to Envoy within seconds, without a restart', async () => {
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

    // Act
    await translateToSnapshot(manifests(listenerPort, backends, 'svc-b'), dir);
    await servedBy('svc-b');
    switching = false;
    await traffic;

    // Assess: make before break holds across both levels.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(envoy?.process.pid).toBe(pid);
    // The types that changed carry the parent's new version (an unchanged listener is not resent).
    const [leaf] = await clientsOf(childPorts.admin);
    for (const type of ['cds', 'rds'])
      expect(leaf?.types[type], type).toMatchObject({ acked: { version: '2' } });
    // Each level encodes once per type per version.
    expect(parent?.metrics.registry.value('fleetplane_relay_encodes_total', { type: 'rds' })).toBe(2);
  }, 20_000);

  it('keeps Envoy working while the parent is down, and reconnects to the restarted parent', async () => {
    // Act: stop the parent; the child keeps serving; a change made meanwhile arrives after restart.
    await parent?.stop();
    await eventually(async () => {
      const snapshots = JSON.parse((await admin(childPorts.admin, '/debug/snapshots')).text);
      if (!String(snapshots.source.gateways[0]?.connection).startsWith('backoff'))
        throw new Error('still up');
    }, 5_000);
    const duringOutage = await serving();
    const readyDuringOutage = (await admin(childPorts.admin, '/readyz')).status;
    await translateToSnapshot(manifests(listenerPort, backends, 'svc-a'), dir);
    parent = await startDirectoryRelay(dir, parentPorts);
    await servedBy('svc-a');

    // Assess
    expect(duringOutage).toBe('svc-b');
    expect(readyDuringOutage).toBe(200);
    const [leaf] = await clientsOf(childPorts.admin);
    expect(leaf?.types.rds).toMatchObject({ acked: { version: '3' } });
    expect(child?.metrics.registry.sum('fleetplane_relay_parent_stream_errors_total')).toBeGreaterThan(0);
    expect(child?.metrics.registry.sum('fleetplane_relay_parent_nacks_total')).toBe(0);
    const upstream = await clientsOf(parentPorts.admin);
    expect(upstream).toHaveLength(1);
    expect(upstream[0]?.types.cds).toMatchObject({ acked: { version: '3' } });
  }, 25_000);
});
