import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeDiscoveryResponse } from '../../../shared/codec/index.ts';
import { FsSnapshotStore } from '../../../shared/fs/fs-snapshot-store.ts';
import type { SnapshotStore } from '../../../shared/ports/snapshot-store.ts';
import { latestKey, sha256Hex, versionPrefix } from '../../../shared/snapshot/layout.ts';
import { parseLatest, publishSnapshot } from '../../../shared/snapshot/publish.ts';
import { TypeUrl, type XdsResources } from '../../../shared/xds/types.ts';

const target = { clusterId: 'c1', gateway: { namespace: 'infra', name: 'edge' } };

function resources(clusterName: string): XdsResources {
  return {
    listeners: [],
    routes: [],
    clusters: [{ '@type': TypeUrl.Cluster, name: clusterName, type: 'STATIC', connect_timeout: '5s' }],
    endpoints: [],
    secrets: [],
  };
}

async function store() {
  const root = await mkdtemp(join(tmpdir(), 'fleetplane-publish-'));
  return { root, store: new FsSnapshotStore(root) };
}

describe('publishSnapshot', () => {
  it('writes an immutable version folder and a latest pointer whose hashes verify', async () => {
    const { root, store: s } = await store();
    const result = await publishSnapshot(s, target, resources('a'), () => new Date('2026-01-01T00:00:00Z'));
    expect(result.status).toBe('published');
    const prefix = versionPrefix('c1', target.gateway, 1);
    expect(prefix).toBe('clusters/c1/gateways/infra/edge/versions/0000000001/');
    const names = (await readdir(join(root, prefix))).sort();
    expect(names).toEqual([
      'cds.json',
      'cds.pb',
      'eds.json',
      'eds.pb',
      'lds.json',
      'lds.pb',
      'manifest.json',
      'rds.json',
      'rds.pb',
      'sds.json',
      'sds.pb',
    ]);
    const latest = parseLatest(await readFile(join(root, latestKey('c1', target.gateway))), 'latest');
    const manifestBytes = await readFile(join(root, prefix, 'manifest.json'));
    expect(latest.sha256).toBe(sha256Hex(manifestBytes));
    const manifest = JSON.parse(manifestBytes.toString('utf8'));
    for (const file of manifest.files) {
      expect(sha256Hex(await readFile(join(root, prefix, file.name)))).toBe(file.sha256);
    }
    const cds = decodeDiscoveryResponse(new Uint8Array(await readFile(join(root, prefix, 'cds.pb'))));
    expect(cds.versionInfo).toBe('1');
  });

  it('publishes nothing for unchanged content and the next version for changed content', async () => {
    const { store: s } = await store();
    await publishSnapshot(s, target, resources('a'));
    expect(await publishSnapshot(s, target, resources('a'))).toMatchObject({
      status: 'unchanged',
      version: 1,
    });
    expect(await publishSnapshot(s, target, resources('b'))).toMatchObject({
      status: 'published',
      version: 2,
    });
  });

  it('never moves latest backwards when two publishers race', async () => {
    const { root, store: s } = await store();
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map((n) => publishSnapshot(s, target, resources(n))),
    );
    const versions = results.map((r) => r.version).sort();
    expect(new Set(versions).size).toBe(4);
    const latest = parseLatest(await readFile(join(root, latestKey('c1', target.gateway))), 'latest');
    expect(latest.version).toBe(Math.max(...versions));
  });

  it('takes the next version when the version folder already exists', async () => {
    const { store: s } = await store();
    const taken = versionPrefix('c1', target.gateway, 1);
    await s.putIfAbsent(`${taken}cds.pb`, new Uint8Array([1]), 'application/x-protobuf');
    expect(await publishSnapshot(s, target, resources('a'))).toMatchObject({
      status: 'published',
      version: 2,
    });
  });

  it('gives up with a clear error when compare-and-swap keeps failing', async () => {
    const { store: fs } = await store();
    const inner: SnapshotStore = fs;
    const hostile: SnapshotStore = {
      get: (k) => inner.get(k),
      putIfAbsent: (k, b, c) => inner.putIfAbsent(k, b, c),
      compareAndSwap: async () => false,
    };
    await expect(publishSnapshot(hostile, target, resources('a'))).rejects.toThrow(
      /compare-and-swap conflicts/,
    );
  });
});
