// The S3 SnapshotReader against a fault-injecting fake client (no network): conditional reads,
// missing objects, short bodies, prefixes; then the agent on top of it, through S3-shaped faults.

import type { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { SnapshotAgent } from '../../../services/agent/agent.ts';
import { S3SnapshotReader } from '../../../shared/aws/s3-snapshot-reader.ts';
import { FsSnapshotStore } from '../../../shared/fs/fs-snapshot-store.ts';
import { publishSnapshot } from '../../../shared/snapshot/publish.ts';
import { gateway, NODE_CLUSTER, setup, TARGET } from './fixtures.ts';

interface Stored {
  body: Uint8Array;
  etag: string;
}

type Fault = 'network' | 'short' | undefined;

/** Just enough of S3's GetObject: If-None-Match → 304, missing → 404 NoSuchKey, injectable faults. */
class FakeS3 {
  readonly objects = new Map<string, Stored>();
  readonly calls: Array<{ Bucket?: string; Key?: string; IfNoneMatch?: string }> = [];
  fault: (key: string) => Fault = () => undefined;

  async send(command: GetObjectCommand, options?: { abortSignal?: AbortSignal }) {
    const { Bucket, Key, IfNoneMatch } = command.input;
    this.calls.push({ Bucket, Key, IfNoneMatch });
    if (!options?.abortSignal) throw new Error('every request must carry a deadline');
    const fault = this.fault(Key ?? '');
    if (fault === 'network') throw Object.assign(new Error('read ECONNRESET'), { name: 'TimeoutError' });
    const object = this.objects.get(Key ?? '');
    if (!object)
      throw Object.assign(new Error('The specified key does not exist.'), {
        name: 'NoSuchKey',
        $metadata: { httpStatusCode: 404 },
      });
    if (IfNoneMatch === object.etag)
      throw Object.assign(new Error('Not Modified'), { name: '304', $metadata: { httpStatusCode: 304 } });
    const body = fault === 'short' ? object.body.slice(0, object.body.byteLength - 1) : object.body;
    return {
      ETag: object.etag,
      ContentLength: object.body.byteLength,
      Body: { transformToByteArray: async () => body },
    };
  }

  put(key: string, text: string | Uint8Array): void {
    const body = typeof text === 'string' ? new TextEncoder().encode(text) : text;
    this.objects.set(key, { body, etag: `"${this.objects.size + 1}-${body.byteLength}"` });
  }
}

function reader(fake: FakeS3, prefix?: string) {
  return new S3SnapshotReader({
    bucketName: 'snapshots',
    ...(prefix !== undefined ? { prefix } : {}),
    client: fake as unknown as S3Client,
  });
}

describe('S3SnapshotReader', () => {
  it('reads under the prefix and answers notModified for the ETag it handed out', async () => {
    // Prepare
    const fake = new FakeS3();
    fake.put('fleet/a/latest.json', '{"version":1}');
    const r = reader(fake, '/fleet');

    // Act
    const first = await r.getIfChanged('a/latest.json');
    const again = first.kind === 'found' ? await r.getIfChanged('a/latest.json', first.etag) : first;

    // Assess
    expect(r.description).toBe('s3://snapshots/fleet/');
    expect(first).toMatchObject({ kind: 'found', etag: '"1-13"' });
    expect(again).toEqual({ kind: 'notModified' });
    expect(fake.calls).toEqual([
      { Bucket: 'snapshots', Key: 'fleet/a/latest.json', IfNoneMatch: undefined },
      { Bucket: 'snapshots', Key: 'fleet/a/latest.json', IfNoneMatch: '"1-13"' },
    ]);
  });

  it('answers notFound for a missing key, and throws on a body shorter than its Content-Length', async () => {
    // Prepare
    const fake = new FakeS3();
    fake.put('x.pb', 'abcdef');
    fake.fault = () => 'short';
    const r = reader(fake);

    // Act
    const missing = await r.getIfChanged('nope.json');
    const short = r.getIfChanged('x.pb');

    // Assess
    expect(missing).toEqual({ kind: 'notFound' });
    await expect(short).rejects.toThrow('s3://snapshots/x.pb: read 5 of 6 bytes');
  });

  it('passes network errors through to the caller', async () => {
    // Prepare
    const fake = new FakeS3();
    fake.fault = () => 'network';

    // Act
    const read = reader(fake).getIfChanged('latest.json');

    // Assess
    await expect(read).rejects.toThrow('ECONNRESET');
  });
});

describe('SnapshotAgent over S3', () => {
  /** Publishes into a directory, then mirrors every file into the fake bucket. */
  async function mirrored() {
    const ctx = await setup();
    const fake = new FakeS3();
    const sync = async () => {
      const { readdir, readFile } = await import('node:fs/promises');
      for (const entry of await readdir(ctx.src, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const path = `${entry.parentPath}/${entry.name}`;
        const key = path.slice(ctx.src.length + 1);
        const body = new Uint8Array(await readFile(path));
        const current = fake.objects.get(key);
        if (!current || Buffer.compare(current.body, body) !== 0) fake.put(key, body);
      }
    };
    const publish = async (...args: Parameters<typeof gateway>) => {
      await publishSnapshot(new FsSnapshotStore(ctx.src), TARGET, gateway(...args));
      await sync();
    };
    // No retry backoff here: these tests retry at once, as after a full interval.
    const agent = new SnapshotAgent({
      reader: reader(fake),
      nodeCluster: NODE_CLUSTER,
      dir: ctx.out,
      retryBaseMs: 0,
    });
    return { ...ctx, fake, publish, agent };
  }

  it('uses a conditional GET per poll once a version is written', async () => {
    // Prepare
    const { fake, publish, agent } = await mirrored();
    await publish('svc-a');
    await agent.poll();
    fake.calls.length = 0;

    // Act
    const outcome = await agent.poll();

    // Assess
    expect(outcome).toEqual({ status: 'unchanged', version: 1 });
    expect(fake.calls).toEqual([
      expect.objectContaining({
        Key: 'clusters/c1/gateways/infra/edge/latest.json',
        IfNoneMatch: expect.any(String),
      }),
    ]);
  });

  it('keeps the last good files through a short read and a dropped connection, then writes the version', async () => {
    // Prepare
    const { fake, publish, agent } = await mirrored();
    await publish('svc-a');
    await agent.poll();
    await publish('svc-b');

    // Act
    fake.fault = (key) => (key.endsWith('/eds.pb') ? 'short' : undefined);
    const short = await agent.poll();
    fake.fault = (key) => (key.endsWith('/manifest.json') ? 'network' : undefined);
    const dropped = await agent.poll();
    fake.fault = () => undefined;
    const healed = await agent.poll();

    // Assess
    expect(short).toMatchObject({ status: 'failed', reason: 'source', serving: 1 });
    expect(dropped).toMatchObject({ status: 'failed', reason: 'source', serving: 1 });
    expect(healed).toMatchObject({ status: 'written', version: 2 });
    expect(agent.counters.failures).toEqual({ source: 2 });
  });
});

describe('S3SnapshotReader.listFolders', () => {
  it('lists folders under the prefix with a / delimiter, following continuation tokens', async () => {
    // Prepare: a listing served in two pages of common prefixes.
    const calls: Array<{ Prefix?: string; Delimiter?: string; ContinuationToken?: string }> = [];
    const pages: Record<string, { CommonPrefixes: Array<{ Prefix: string }>; next?: string }> = {
      first: { CommonPrefixes: [{ Prefix: 'fleet/clusters/c2/' }], next: 'page-2' },
      'page-2': { CommonPrefixes: [{ Prefix: 'fleet/clusters/c1/' }] },
    };
    const client = {
      async send(command: ListObjectsV2Command, options?: { abortSignal?: AbortSignal }) {
        if (!options?.abortSignal) throw new Error('every request must carry a deadline');
        const { Prefix, Delimiter, ContinuationToken } = command.input;
        calls.push({ Prefix, Delimiter, ...(ContinuationToken ? { ContinuationToken } : {}) });
        const page = pages[ContinuationToken ?? 'first'];
        return {
          CommonPrefixes: page?.CommonPrefixes,
          IsTruncated: page?.next !== undefined,
          NextContinuationToken: page?.next,
        };
      },
    };
    const r = new S3SnapshotReader({
      bucketName: 'snapshots',
      prefix: 'fleet',
      client: client as unknown as S3Client,
    });

    // Act
    const names = await r.listFolders('clusters/');

    // Assess
    expect(names).toEqual(['c1', 'c2']);
    expect(calls).toEqual([
      { Prefix: 'fleet/clusters/', Delimiter: '/' },
      { Prefix: 'fleet/clusters/', Delimiter: '/', ContinuationToken: 'page-2' },
    ]);
  });
});
