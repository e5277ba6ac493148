// The directory snapshot source: discovery, new versions, and last-good on corrupt input.

import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../services/common/log.ts';
import { RelayMetrics } from '../../../services/relay/relay-metrics.ts';
import { SnapshotCache } from '../../../services/relay/snapshot-cache.ts';
import { DirectorySnapshotSource } from '../../../services/relay/source/directory-source.ts';
import { FsSnapshotStore } from '../../../shared/fs/fs-snapshot-store.ts';
import { latestKey, versionPrefix } from '../../../shared/snapshot/layout.ts';
import { publishSnapshot } from '../../../shared/snapshot/publish.ts';
import { cluster, GATEWAY, listener, NODE_CLUSTER, resources } from './fixtures.ts';

const sources: DirectorySnapshotSource[] = [];

afterEach(async () => {
  for (const s of sources.splice(0)) await s.stop();
});

async function setup(pollIntervalMs = 60_000) {
  const root = await mkdtemp(join(tmpdir(), 'fleetplane-relay-source-'));
  const store = new FsSnapshotStore(root);
  const metrics = new RelayMetrics();
  const cache = new SnapshotCache({ metrics, log: silentLogger });
  const source = new DirectorySnapshotSource({ root, pollIntervalMs, log: silentLogger, metrics });
  sources.push(source);
  const publish = (clusterName: string, target = GATEWAY) =>
    publishSnapshot(
      store,
      target,
      resources({ clusters: [cluster(clusterName)], listeners: [listener('l', 1)] }),
    );
  return { root, store, metrics, cache, source, publish };
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('DirectorySnapshotSource', () => {
  it('discovers every gateway and loads its latest version at start', async () => {
    // Prepare
    const { cache, source, publish } = await setup();
    await publish('a');
    await publish('other', { clusterId: 'c2', gateway: { namespace: 'apps', name: 'api' } });

    // Act
    await source.start(cache);

    // Assess
    expect(cache.snapshots().map((s) => [s.nodeCluster, s.version])).toEqual([
      [NODE_CLUSTER, 1],
      ['c2/apps/api', 1],
    ]);
    expect(cache.loaded).toBe(true);
  });

  it('picks up a new version on its next poll', async () => {
    // Prepare
    const { cache, source, publish } = await setup(50);
    await publish('a');
    await source.start(cache);

    // Act
    await publish('b');
    await until(() => cache.get(NODE_CLUSTER)?.version === 2);

    // Assess
    const clusters = cache
      .get(NODE_CLUSTER)
      ?.types.get('type.googleapis.com/envoy.config.cluster.v3.Cluster');
    expect([...(clusters?.resources.keys() ?? [])]).toEqual(['b']);
    expect(source.status().gateways[0]).toMatchObject({ loadedVersion: 2, latestVersion: 2 });
  });

  it('rejects a version whose file fails its sha256 and keeps serving the last good one', async () => {
    // Prepare: v1 is good; v2 has a .pb file altered after publishing.
    const { root, metrics, cache, source, publish } = await setup();
    await publish('a');
    await source.start(cache);
    await publish('b');
    const cds = join(root, versionPrefix(GATEWAY.clusterId, GATEWAY.gateway, 2), 'cds.pb');
    const bytes = await readFile(cds);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    await writeFile(cds, bytes);

    // Act
    await source.refresh();

    // Assess
    expect(cache.get(NODE_CLUSTER)?.version).toBe(1);
    expect(source.status().gateways[0]).toMatchObject({
      loadedVersion: 1,
      latestVersion: 2,
      lastError: { reason: 'integrity', version: 2 },
    });
    expect(
      metrics.registry.value('fleetplane_relay_snapshot_load_failures_total', {
        node_cluster: NODE_CLUSTER,
        reason: 'integrity',
      }),
    ).toBe(1);

    // Act again: a later good version replaces it.
    await publish('c');
    await source.refresh();
    expect(cache.get(NODE_CLUSTER)?.version).toBe(3);
    expect(source.status().gateways[0]?.lastError).toBeUndefined();
  });

  it('keeps the last good version when latest.json is garbage or names a version that is missing', async () => {
    // Prepare
    const { root, cache, source, publish } = await setup();
    await publish('a');
    await source.start(cache);
    const pointer = join(root, latestKey(GATEWAY.clusterId, GATEWAY.gateway));
    const good = JSON.parse(await readFile(pointer, 'utf8'));

    // Act
    await writeFile(pointer, '{ not json');
    await source.refresh();
    const afterGarbage = source.status().gateways[0]?.lastError?.reason;
    await writeFile(pointer, JSON.stringify({ ...good, version: 7 }));
    await source.refresh();

    // Assess
    expect(afterGarbage).toBe('pointer');
    expect(source.status().gateways[0]?.lastError).toMatchObject({ reason: 'missing', version: 7 });
    expect(cache.get(NODE_CLUSTER)?.version).toBe(1);
  });

  it('does not reload a version it already serves when the pointer file is only touched', async () => {
    // Prepare
    const { root, metrics, cache, source, publish } = await setup();
    await publish('a');
    await source.start(cache);
    const pointer = join(root, latestKey(GATEWAY.clusterId, GATEWAY.gateway));

    // Act
    await writeFile(pointer, await readFile(pointer));
    await source.refresh();

    // Assess
    expect(
      metrics.registry.value('fleetplane_relay_snapshot_loads_total', { node_cluster: NODE_CLUSTER }),
    ).toBe(1);
    expect(metrics.registry.value('fleetplane_relay_encodes_total', { type: 'cds' })).toBe(1);
  });
});
