// The relay's S3 source against the emulator: gateways discovered under a prefix, conditional polls
// (If-None-Match on latest.json), a "Snapshot Published" event through SQS picked up long before
// the next poll, a notification that is not one ignored and shown, a corrupt object refused with
// the last good version still served and the error in /debug/snapshots, and a listing failure.

import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../services/common/log.ts';
import { type RunningRelay, startRelay } from '../../services/relay/relay.ts';
import { RelayMetrics } from '../../services/relay/relay-metrics.ts';
import { SnapshotCache } from '../../services/relay/snapshot-cache.ts';
import { S3SnapshotSource } from '../../services/relay/source/s3-source.ts';
import { SqsNotificationReceiver } from '../../services/relay/source/sqs-notifications.ts';
import { createS3Client } from '../../shared/aws/clients.ts';
import { ensureQueue, ensureSnapshotBucket } from '../../shared/aws/provision.ts';
import { S3SnapshotStore } from '../../shared/aws/s3-snapshot-store.ts';
import { SqsQueue } from '../../shared/aws/sqs-queue.ts';
import { snapshotPublishedEvent } from '../../shared/pipeline/snapshot-events.ts';
import type { SnapshotStore } from '../../shared/ports/snapshot-store.ts';
import { latestKey, versionPrefix } from '../../shared/snapshot/layout.ts';
import { publishSnapshot } from '../../shared/snapshot/publish.ts';
import { uniqueName, useEmulator } from '../support/moto.ts';
import { cluster, GATEWAY, listener, NODE_CLUSTER, resources } from '../unit/relay/fixtures.ts';

const emulator = useEmulator();
const PREFIX = 'fleet/prod/';
const OTHER = { clusterId: 'c2', gateway: { namespace: 'apps', name: 'api' } };
let bucketName = '';
let s3: S3Client;
let store: SnapshotStore;
const cleanup: Array<() => Promise<void>> = [];

/** The pipeline's S3 store, under a key prefix (as `s3://bucket/prefix` reads it). */
function prefixed(inner: SnapshotStore, prefix: string): SnapshotStore {
  return {
    get: (key) => inner.get(`${prefix}${key}`),
    putIfAbsent: (key, body, type) => inner.putIfAbsent(`${prefix}${key}`, body, type),
    compareAndSwap: (key, body, type, etag) => inner.compareAndSwap(`${prefix}${key}`, body, type, etag),
  };
}

const publish = async (clusterName: string, target = GATEWAY) => {
  const result = await publishSnapshot(
    store,
    target,
    resources({ clusters: [cluster(clusterName)], listeners: [listener('l', 1)] }),
  );
  if (result.status !== 'published') throw new Error('nothing published');
  return result.version;
};

/** An S3 client that records GetObject requests and can be told to fail, to see and inject. */
function observedClient() {
  const client = createS3Client({ ...emulator.current.clientConfig, maxAttempts: 1 });
  const gets: Array<{ key: string; ifNoneMatch?: string }> = [];
  const state = { failLists: false };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: string; IfNoneMatch?: string };
      if (context.commandName === 'GetObjectCommand')
        gets.push({ key: input.Key ?? '', ...(input.IfNoneMatch ? { ifNoneMatch: input.IfNoneMatch } : {}) });
      if (context.commandName === 'ListObjectsV2Command' && state.failLists)
        throw Object.assign(new Error('connect ECONNREFUSED (injected)'), { name: 'NetworkingError' });
      return next(args);
    },
    { step: 'initialize', name: 'observe' },
  );
  return { client, gets, state };
}

function source(options: Partial<ConstructorParameters<typeof S3SnapshotSource>[0]> = {}) {
  const metrics = options.metrics ?? new RelayMetrics();
  const s = new S3SnapshotSource({
    bucketName,
    prefix: PREFIX,
    clientConfig: emulator.current.clientConfig,
    pollIntervalMs: 60_000,
    log: silentLogger,
    metrics,
    ...options,
  });
  cleanup.push(() => s.stop());
  return { source: s, metrics, cache: new SnapshotCache({ metrics, log: silentLogger }) };
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - started;
}

beforeAll(async () => {
  bucketName = uniqueName('relay-snapshots');
  s3 = createS3Client(emulator.current.clientConfig);
  await ensureSnapshotBucket(s3, bucketName);
  store = prefixed(new S3SnapshotStore({ bucketName, client: s3 }), PREFIX);
  // Objects outside the prefix are not the relay's.
  await publishSnapshot(
    new S3SnapshotStore({ bucketName, client: s3 }),
    { clusterId: 'elsewhere', gateway: GATEWAY.gateway },
    resources({ clusters: [cluster('x')] }),
  );
});

afterEach(async () => {
  for (const stop of cleanup.splice(0)) await stop();
});

describe('S3SnapshotSource', () => {
  it('discovers the gateways under its prefix, loads them, and polls latest.json with If-None-Match', async () => {
    // Prepare
    await publish('a');
    await publish('other', OTHER);
    const observed = observedClient();
    const { source: s, cache, metrics } = source({ client: observed.client });

    // Act
    await s.start(cache);
    const firstGets = observed.gets.length;
    await s.refresh();

    // Assess
    expect(cache.snapshots().map((x) => [x.nodeCluster, x.version])).toEqual([
      [NODE_CLUSTER, 1],
      ['c2/apps/api', 1],
    ]);
    expect(s.description).toBe(`s3://${bucketName}/${PREFIX}`);
    const again = observed.gets.slice(firstGets);
    expect(again.map((g) => g.key).sort()).toEqual(
      [latestKey(GATEWAY.clusterId, GATEWAY.gateway), latestKey(OTHER.clusterId, OTHER.gateway)]
        .map((k) => `${PREFIX}${k}`)
        .sort(),
    );
    expect(again.every((g) => g.ifNoneMatch?.startsWith('"'))).toBe(true);
    expect(
      metrics.registry.value('fleetplane_relay_snapshot_loads_total', { node_cluster: NODE_CLUSTER }),
    ).toBe(1);
  });

  it('picks up a version at once on a "Snapshot Published" event from SQS, long before the poll', async () => {
    // Prepare
    const sqsClient = new SQSClient(emulator.current.clientConfig);
    const queue = await ensureQueue(sqsClient, uniqueName('relay-notify'));
    const receiver = new SqsNotificationReceiver({
      queueUrl: queue.url,
      clientConfig: emulator.current.clientConfig,
      waitTimeSeconds: 1,
      log: silentLogger,
    });
    const { source: s, cache } = source({ notifications: [receiver], pollIntervalMs: 120_000 });
    await s.start(cache);
    const before = cache.get(NODE_CLUSTER)?.version ?? 0;
    const version = await publish('b');
    const sender = new SqsQueue({ queueUrl: queue.url, queueArn: queue.arn, client: sqsClient });

    // Act: what an EventBridge rule delivers to a queue, plus a message that is not such an event.
    await sender.send('not json at all');
    const event = snapshotPublishedEvent({
      ...GATEWAY,
      version,
      latestKey: `${PREFIX}${latestKey(GATEWAY.clusterId, GATEWAY.gateway)}`,
      manifestKey: `${PREFIX}${versionPrefix(GATEWAY.clusterId, GATEWAY.gateway, version)}manifest.json`,
    });
    await sender.send(
      JSON.stringify({
        version: '0',
        id: 'e1',
        source: event.source,
        'detail-type': event.detailType,
        account: '123456789012',
        time: new Date().toISOString(),
        region: 'us-east-1',
        resources: [],
        detail: event.detail,
      }),
    );
    const tookMs = await until(() => (cache.get(NODE_CLUSTER)?.version ?? 0) === version, 15_000);

    // Assess
    expect(version).toBeGreaterThan(before);
    expect(tookMs).toBeLessThan(15_000);
    await until(() => (s.status().notifications?.sqs?.ignored ?? 0) >= 1);
    expect(s.status().notifications?.sqs).toMatchObject({
      received: 1,
      ignored: 1,
      lastIgnored: { reason: expect.stringMatching(/body: not JSON/) },
    });
    // Every message, the ignored one too, is deleted once handled.
    const messagesLeft = async () => {
      const { Attributes } = await sqsClient.send(
        new GetQueueAttributesCommand({
          QueueUrl: queue.url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(Attributes?.ApproximateNumberOfMessages) +
        Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
      );
    };
    let left = await messagesLeft();
    for (let i = 0; left !== 0 && i < 40; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await messagesLeft();
    }
    expect(left).toBe(0);
  }, 30_000);

  it('refuses a corrupt object, keeps serving the last good version, and shows why in /debug/snapshots', async () => {
    // Prepare
    const metrics = new RelayMetrics();
    const { source: s } = source({ metrics });
    const relay: RunningRelay = await startRelay({
      source: s,
      listen: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0 },
      log: silentLogger,
      metrics,
    });
    cleanup.push(() => relay.stop());
    const good = relay.cache.get(NODE_CLUSTER)?.version ?? 0;
    const corrupt = await publish('c');
    const key = `${PREFIX}${versionPrefix(GATEWAY.clusterId, GATEWAY.gateway, corrupt)}cds.pb`;
    const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucketName, Key: key }));
    const bytes = (await Body?.transformToByteArray()) ?? new Uint8Array();
    bytes[bytes.byteLength >> 1] = (bytes[bytes.byteLength >> 1] ?? 0) ^ 0xff;
    await s3.send(new PutObjectCommand({ Bucket: bucketName, Key: key, Body: bytes }));

    // Act
    await s.refresh();
    const debug = (await (await fetch(`http://127.0.0.1:${relay.admin?.port}/debug/snapshots`)).json()) as {
      source: { gateways: Array<{ nodeCluster: string }> };
      snapshots: Array<{ nodeCluster: string }>;
    };

    // Assess
    expect(good).toBeGreaterThan(0);
    expect(relay.cache.get(NODE_CLUSTER)?.version).toBe(good);
    const gatewayStatus = debug.source.gateways.find(
      (g: { nodeCluster: string }) => g.nodeCluster === NODE_CLUSTER,
    );
    expect(gatewayStatus).toMatchObject({
      loadedVersion: good,
      latestVersion: corrupt,
      lastError: {
        reason: 'integrity',
        version: corrupt,
        message: expect.stringMatching(/cds\.pb: sha256 does not match the manifest/),
      },
    });
    expect(
      debug.snapshots.find((x: { nodeCluster: string }) => x.nodeCluster === NODE_CLUSTER),
    ).toMatchObject({
      version: good,
    });
    expect(
      metrics.registry.value('fleetplane_relay_snapshot_load_failures_total', {
        node_cluster: NODE_CLUSTER,
        reason: 'integrity',
      }),
    ).toBe(1);

    // Act again: the next good version replaces it.
    const next = await publish('d');
    await s.refresh();
    expect(relay.cache.get(NODE_CLUSTER)?.version).toBe(next);
  }, 30_000);

  it('keeps serving and checking known gateways when listing the bucket fails, and says so in status', async () => {
    // Prepare
    const observed = observedClient();
    const { source: s, cache } = source({ client: observed.client });
    await s.start(cache);
    const served = cache.get(NODE_CLUSTER)?.version;

    // Act
    observed.state.failLists = true;
    const version = await publish('e');
    await s.refresh();
    const failing = s.status();
    observed.state.failLists = false;
    await s.refresh();

    // Assess
    expect(served).toBeDefined();
    expect(failing.lastError?.message).toMatch(/ECONNREFUSED \(injected\)/);
    expect(cache.get(NODE_CLUSTER)?.version).toBe(version);
    expect(s.status().lastError).toBeUndefined();
  });
});
