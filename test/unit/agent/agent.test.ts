// The agent against a snapshot directory: what it writes and in which order, what it refuses to
// write (and that the last good files stay byte for byte), restarts, and retries.

import { createHash } from 'node:crypto';
import { readdir, readFile, truncate, unlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAgentState } from '../../../services/agent/agent-state.ts';
import { LocalOutputDir } from '../../../services/agent/output-dir.ts';
import { decodeDiscoveryResponse } from '../../../shared/codec/index.ts';
import { latestKey, sha256Hex } from '../../../shared/snapshot/layout.ts';
import type { JsonObject } from '../../../shared/xds/types.ts';
import {
  cluster,
  endpoints,
  flipByte,
  gateway,
  hcm,
  listener,
  RecordingOutputDir,
  resources,
  route,
  setup,
  TARGET,
} from './fixtures.ts';

/** Every file under `dir` with the sha256 of its bytes. */
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

describe('SnapshotAgent', () => {
  it('writes one file per CDS/LDS and per EDS/RDS resource, with ADS sources pointing at those files', async () => {
    // Prepare
    const { out, publish, agent, decodeOut } = await setup();
    await publish(gateway('svc-a'));

    // Act
    const outcome = await agent().poll();

    // Assess
    expect(outcome).toMatchObject({ status: 'written', version: 1, unchanged: 0 });
    expect(await fingerprint(out)).toHaveProperty(['eds/svc-a.pb']);
    const cds = await decodeOut('cds.pb');
    expect(cds).toMatchObject({ versionInfo: '1', resources: [{ name: 'svc-a' }] });
    expect(cds.resources[0]?.eds_cluster_config).toEqual({
      eds_config: { path_config_source: { path: join(out, 'eds', 'svc-a.pb') }, resource_api_version: 'V3' },
    });
    const lds = await decodeOut('lds.pb');
    const rds = (
      lds.resources[0] as { filter_chains: Array<{ filters: Array<{ typed_config: { rds: JsonObject } }> }> }
    ).filter_chains[0]?.filters[0]?.typed_config.rds;
    expect(rds).toEqual({
      route_config_name: 'r',
      config_source: { path_config_source: { path: join(out, 'rds', 'r.pb') }, resource_api_version: 'V3' },
    });
    expect((await decodeOut('rds/r.pb')).resources).toMatchObject([{ name: 'r' }]);
    expect((await decodeOut('eds/svc-a.pb')).resources).toMatchObject([{ cluster_name: 'svc-a' }]);
    expect(await readAgentState(new LocalOutputDir(out))).toMatchObject({
      version: 1,
      nodeCluster: 'c1/infra/edge',
    });
  });

  it('writes each file before the first file that refers to it (EDS, CDS, RDS, LDS), then the state', async () => {
    // Prepare
    const { out, publish, agent } = await setup();
    const output = new RecordingOutputDir(out);
    await publish(
      resources({
        listeners: [listener('l', 10_080, 'r')],
        routes: [route('r', 'a')],
        clusters: [cluster('a'), cluster('b')],
        endpoints: [endpoints('a', 9_001), endpoints('b', 9_002)],
      }),
    );

    // Act
    await agent({ output }).poll();

    // Assess
    expect(output.ops).toEqual([
      'write eds/a.pb',
      'write eds/b.pb',
      'write cds.pb',
      'write rds/r.pb',
      'write lds.pb',
      'write state/agent.json',
    ]);
  });

  it('rewrites only changed files, removes a cluster only after the routes left it, then its files', async () => {
    // Prepare
    const { out, publish, agent } = await setup();
    const output = new RecordingOutputDir(out);
    const a = agent({ output });
    await publish(gateway('svc-a'));
    await a.poll();
    output.ops.length = 0;
    output.writes.length = 0;

    // Act: the route now goes to svc-b (new cluster, new endpoints); the listener is unchanged.
    await publish(gateway('svc-b'));
    const outcome = await a.poll();

    // Assess
    expect(outcome).toMatchObject({ status: 'written', version: 2, unchanged: 1, removed: ['eds/svc-a.pb'] });
    expect(output.ops).toEqual([
      'write state/agent.json', // first drops the hashes of the files about to change
      'write eds/svc-b.pb',
      'write cds.pb', // svc-b added, svc-a kept while the route still uses it
      'write rds/r.pb',
      'write cds.pb', // svc-a removed
      'write state/agent.json',
      'remove eds/svc-a.pb',
    ]);
    const cds = output.writes
      .filter((w) => w.relPath === 'cds.pb')
      .map((w) => decodeDiscoveryResponse(w.body).resources.map((r) => r.name));
    expect(cds).toEqual([['svc-a', 'svc-b'], ['svc-b']]);
    expect(Object.keys(await fingerprint(out)).sort()).toEqual([
      'cds.pb',
      'eds/svc-b.pb',
      'lds.pb',
      'rds/r.pb',
      'state/agent.json',
    ]);
  });

  it('rejects a version whose file fails its sha256, writes nothing, and keeps the last good files', async () => {
    // Prepare
    const { out, publish, agent, published } = await setup();
    const a = agent();
    await publish(gateway('svc-a'));
    await a.poll();
    const good = await fingerprint(out);
    const v2 = await publish(gateway('svc-b'));
    await flipByte(published(v2, 'cds.pb'));

    // Act
    const outcome = await a.poll();

    // Assess
    expect(outcome).toMatchObject({ status: 'failed', reason: 'integrity', version: 2, serving: 1 });
    expect(outcome.status === 'failed' && outcome.message).toMatch(
      /cds\.pb: sha256 does not match the manifest/,
    );
    expect(await fingerprint(out)).toEqual(good);
    expect(a.counters.failures).toEqual({ integrity: 1 });
    expect(a.servingVersion).toBe(1);
  });

  it.each([
    ['a truncated download', 'eds.pb', (path: string) => truncate(path, 10), 'integrity', /partial download/],
    [
      'a manifest that does not match latest.json',
      'manifest.json',
      flipByte,
      'integrity',
      /manifest\.json: sha256 does not match latest\.json/,
    ],
    ['a missing file', 'lds.pb', (path: string) => unlink(path), 'missing', /lds\.pb: does not exist/],
  ])('rejects %s and keeps the last good files', async (_what, file, damage, reason, message) => {
    // Prepare
    const { out, publish, agent, published } = await setup();
    const a = agent();
    await publish(gateway('svc-a'));
    await a.poll();
    const good = await fingerprint(out);
    const v2 = await publish(gateway('svc-b'));
    await damage(published(v2, file));

    // Act
    const outcome = await a.poll();

    // Assess
    expect(outcome).toMatchObject({ status: 'failed', reason, serving: 1 });
    expect(outcome.status === 'failed' && outcome.message).toMatch(message);
    expect(await fingerprint(out)).toEqual(good);
  });

  it('rejects a version that verifies but does not decode', async () => {
    // Prepare: garbage in lds.pb, with the manifest and latest.json re-signed to match it.
    const { src, out, publish, agent, published } = await setup();
    const a = agent();
    await publish(gateway('svc-a'));
    await a.poll();
    const good = await fingerprint(out);
    const v2 = await publish(gateway('svc-b'));
    const garbage = new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    await writeFile(published(v2, 'lds.pb'), garbage);
    const manifestPath = published(v2, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    const entry = manifest.files.find((f: { name: string }) => f.name === 'lds.pb');
    Object.assign(entry, { sha256: sha256Hex(garbage), bytes: garbage.byteLength });
    const manifestBody = `${JSON.stringify(manifest, null, 2)}\n`;
    await writeFile(manifestPath, manifestBody);
    const latestPath = join(src, latestKey(TARGET.clusterId, TARGET.gateway));
    const latest = JSON.parse(await readFile(latestPath, 'utf8'));
    await writeFile(latestPath, JSON.stringify({ ...latest, sha256: sha256Hex(manifestBody) }));

    // Act
    const outcome = await a.poll();

    // Assess
    expect(outcome).toMatchObject({ status: 'failed', reason: 'decode', version: 2, serving: 1 });
    expect(await fingerprint(out)).toEqual(good);
  });

  it('rejects a version with an ADS source it cannot turn into a file, naming the field', async () => {
    // Prepare
    const { out, publish, agent } = await setup();
    const a = agent();
    await publish(gateway('svc-a'));
    await a.poll();
    const good = await fingerprint(out);
    const l = listener('l', 10_080, 'r');
    const filter = hcm('r');
    (filter.typed_config as JsonObject).http_filters = [
      {
        name: 'ext',
        config_discovery: { config_source: { ads: {} }, type_urls: ['type.googleapis.com/x.Y'] },
      },
      {
        name: 'envoy.filters.http.router',
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
      },
    ];
    l.filter_chains = [{ filters: [filter] }];
    await publish(gateway('svc-a', { listeners: [l] }));

    // Act
    const outcome = await a.poll();

    // Assess
    expect(outcome).toMatchObject({ status: 'failed', reason: 'rewrite', version: 2 });
    expect(outcome.status === 'failed' && outcome.message).toMatch(
      /http_filters\[0\]\.config_discovery\.config_source/,
    );
    expect(await fingerprint(out)).toEqual(good);
  });

  it('keeps the last good files when the source fails, and retries on the next poll', async () => {
    // Prepare
    const { out, reader, publish, agent } = await setup();
    const a = agent();
    await publish(gateway('svc-a'));
    await a.poll();
    const good = await fingerprint(out);
    await publish(gateway('svc-b'));
    reader.fail = (key) => (key.endsWith('.pb') ? new Error('socket hang up') : undefined);

    // Act
    const failed = await a.poll();
    const afterFailure = await fingerprint(out);
    reader.fail = undefined;
    const retried = await a.poll();

    // Assess
    expect(failed).toMatchObject({
      status: 'failed',
      reason: 'source',
      message: 'socket hang up',
      serving: 1,
    });
    expect(afterFailure).toEqual(good);
    expect(retried).toMatchObject({ status: 'written', version: 2 });
  });

  it('retries a broken version on the next poll, then backs off while latest.json stays the same', async () => {
    // Prepare
    let now = 1_000_000;
    const { publish, agent, published } = await setup();
    const a = agent({ now: () => now, retryBaseMs: 1_000 });
    await publish(gateway('svc-a'));
    await a.poll();
    const v2 = await publish(gateway('svc-b'));
    await flipByte(published(v2, 'rds.pb'));

    // Act
    const outcomes = [await a.poll(), await a.poll(), await a.poll()];
    now += 1_000;
    outcomes.push(await a.poll());
    const v3 = await publish(gateway('svc-c'));
    outcomes.push(await a.poll());

    // Assess: fail, retry at once (fail), wait 1 s, retry (fail), a new version goes through at once.
    expect(outcomes.map((o) => o.status)).toEqual(['failed', 'failed', 'backoff', 'failed', 'written']);
    expect(a.counters.failures).toEqual({ integrity: 3 });
    expect(outcomes[4]).toMatchObject({ version: v3 });
  });

  it('does not rewrite the version on disk after a restart, and answers unchanged while latest.json is', async () => {
    // Prepare
    const { out, publish, agent } = await setup();
    await publish(gateway('svc-a'));
    await agent().poll();
    const output = new RecordingOutputDir(out);
    const restarted = agent({ output });

    // Act
    const outcomes = [await restarted.poll(), await restarted.poll()];

    // Assess
    expect(outcomes).toEqual([
      { status: 'current', version: 1 },
      { status: 'unchanged', version: 1 },
    ]);
    expect(output.ops).toEqual([]);
  });

  it('rewrites after a restart when a file of the version on disk has gone', async () => {
    // Prepare
    const { out, publish, agent } = await setup();
    await publish(gateway('svc-a'));
    await agent().poll();
    await new LocalOutputDir(out).remove('rds/r.pb');
    const output = new RecordingOutputDir(out);

    // Act
    const outcome = await agent({ output }).poll();

    // Assess
    expect(outcome).toMatchObject({ status: 'written', version: 1, written: ['rds/r.pb'] });
  });

  it('answers missing before anything is published, and ignores a pointer that went backwards', async () => {
    // Prepare
    const { src, publish, agent } = await setup();
    const a = agent();
    const missing = await a.poll();
    await publish(gateway('svc-a'));
    const latestPath = join(src, latestKey(TARGET.clusterId, TARGET.gateway));
    const v1 = await readFile(latestPath);
    await publish(gateway('svc-b'));
    await a.poll();

    // Act
    await writeFile(latestPath, v1);
    const backwards = await a.poll();

    // Assess
    expect(missing).toEqual({ status: 'missing' });
    expect(backwards).toEqual({ status: 'ignored', version: 2, pointer: 1 });
    expect(a.servingVersion).toBe(2);
  });
});
