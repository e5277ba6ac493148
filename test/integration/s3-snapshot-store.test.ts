import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSnapshotBucket } from '../../shared/aws/provision.ts';
import { S3SnapshotStore } from '../../shared/aws/s3-snapshot-store.ts';
import { gatewayPrefix, latestKey, sha256Hex, versionPrefix } from '../../shared/snapshot/layout.ts';
import { parseLatest, publishSnapshot } from '../../shared/snapshot/publish.ts';
import { TypeUrl, type XdsResources } from '../../shared/xds/types.ts';
import { uniqueName, useEmulator } from '../support/moto.ts';

const emulator = useEmulator();
const bucketName = uniqueName('snapshots');
let s3: S3Client;
let store: S3SnapshotStore;
const utf8 = (s: string) => new TextEncoder().encode(s);

function resources(clusterName: string): XdsResources {
  return {
    listeners: [],
    routes: [],
    clusters: [{ '@type': TypeUrl.Cluster, name: clusterName, type: 'STATIC', connect_timeout: '5s' }],
    endpoints: [],
    secrets: [],
  };
}

async function readText(key: string): Promise<string> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucketName, Key: key }));
  return (await res.Body?.transformToString()) ?? '';
}

beforeAll(async () => {
  s3 = new S3Client({ ...emulator.current.clientConfig, forcePathStyle: true });
  await ensureSnapshotBucket(s3, bucketName);
  store = new S3SnapshotStore({ bucketName, clientConfig: emulator.current.clientConfig });
});

describe('S3SnapshotStore', () => {
  it('creates an object once and reports the second create as existing, leaving it untouched', async () => {
    // Act
    const first = await store.putIfAbsent('once/a.json', utf8('first'), 'application/json');
    const second = await store.putIfAbsent('once/a.json', utf8('second'), 'application/json');

    // Assess
    expect([first, second]).toEqual(['created', 'exists']);
    expect(await readText('once/a.json')).toBe('first');
  });

  it('swaps only against the current ETag, and creates only when absent', async () => {
    // Prepare
    expect(await store.compareAndSwap('cas/latest.json', utf8('v1'), 'application/json', undefined)).toBe(
      true,
    );
    const v1 = await store.get('cas/latest.json');
    expect(await store.compareAndSwap('cas/latest.json', utf8('v2'), 'application/json', v1?.etag)).toBe(
      true,
    );

    // Act: a writer still holding v1's ETag, and one that thinks the pointer does not exist yet.
    const stale = await store.compareAndSwap(
      'cas/latest.json',
      utf8('v1-late'),
      'application/json',
      v1?.etag,
    );
    const blind = await store.compareAndSwap('cas/latest.json', utf8('v0'), 'application/json', undefined);
    const missing = await store.compareAndSwap('cas/nothing.json', utf8('x'), 'application/json', v1?.etag);

    // Assess
    expect([stale, blind, missing]).toEqual([false, false, false]);
    expect(await readText('cas/latest.json')).toBe('v2');
    expect(await store.get('cas/nothing.json')).toBeUndefined();
  });

  it('publishes numbered versions, nothing for unchanged content, and a pointer whose hashes verify', async () => {
    // Prepare
    const target = { clusterId: 'pub', gateway: { namespace: 'infra', name: 'edge' } };

    // Act
    const first = await publishSnapshot(store, target, resources('a'));
    const same = await publishSnapshot(store, target, resources('a'));
    const changed = await publishSnapshot(store, target, resources('b'));

    // Assess
    expect(first).toMatchObject({ status: 'published', version: 1 });
    expect(same).toMatchObject({ status: 'unchanged', version: 1 });
    expect(changed).toMatchObject({ status: 'published', version: 2 });
    const listed = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucketName,
        Prefix: `${gatewayPrefix('pub', target.gateway)}versions/`,
      }),
    );
    const versions = new Set(
      (listed.Contents ?? []).map((o) => o.Key?.split('/versions/')[1]?.split('/')[0]),
    );
    expect([...versions].sort()).toEqual(['0000000001', '0000000002']);
    const latest = parseLatest(utf8(await readText(latestKey('pub', target.gateway))), 'latest');
    expect(latest.version).toBe(2);
    expect(latest.sha256).toBe(sha256Hex(await readText(latest.objects[0] ?? '')));
  });

  it('never moves latest backwards when publishers race', async () => {
    // Prepare
    const target = { clusterId: 'many', gateway: { namespace: 'infra', name: 'edge' } };

    // Act
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map((n) => publishSnapshot(store, target, resources(n))),
    );

    // Assess
    const versions = results.map((r) => r.version);
    expect(new Set(versions).size).toBe(4);
    const latest = parseLatest(utf8(await readText(latestKey('many', target.gateway))), 'latest');
    expect(latest.version).toBe(Math.max(...versions));
  });

  it('takes the next version when another publisher already wrote the one it picked', async () => {
    // Prepare: a competitor created version 2's manifest but has not moved the pointer yet.
    const target = { clusterId: 'race', gateway: { namespace: 'infra', name: 'edge' } };
    await publishSnapshot(store, target, resources('a'));
    await store.putIfAbsent(
      `${versionPrefix('race', target.gateway, 2)}cds.pb`,
      utf8('x'),
      'application/x-protobuf',
    );

    // Act
    const result = await publishSnapshot(store, target, resources('b'));

    // Assess
    expect(result).toMatchObject({ status: 'published', version: 3 });
    expect(parseLatest(utf8(await readText(latestKey('race', target.gateway))), 'latest').version).toBe(3);
  });
});
