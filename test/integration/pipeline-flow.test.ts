// The whole pipeline on the emulator, run by the local runtime (services/local/local-pipeline.ts)
// exactly as `fleetplane dev` runs it: PutEvents → bus rules → SQS → translate handler → DynamoDB
// → DynamoDB Streams → build-snapshot handler → S3, with a Snapshot Published event back on the
// bus. The event source mappings of services/local/event-source-mappings.ts deliver; this file
// only sends events and watches the results. Faults are injected with SDK client middleware on the
// pipeline's own clients (a PutEvents entry failing once, an S3 write failing once).
//
// "Nothing happened" is checked with a settle marker: a fleet under a fresh cluster id is sent
// after the events under test have been translated, and once its snapshot is in S3 every stream
// record written before it has been handled (the emulator's stream has one shard, read in order).

import type {
  EventBridgeClient,
  PutEventsCommandInput,
  PutEventsCommandOutput,
  PutEventsRequestEntry,
  PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqsInvocation, StreamInvocation } from '../../services/local/event-source-mappings.ts';
import {
  type LocalPipeline,
  localPipelineNames,
  startLocalPipeline,
} from '../../services/local/local-pipeline.ts';
import { createEventBridgeClient, createS3Client } from '../../shared/aws/clients.ts';
import {
  CHANGE_EVENT_DETAIL_TYPE,
  CHANGE_EVENT_SOURCE,
  type ChangeEventDetail,
} from '../../shared/events/change-event.ts';
import type { ResourceStatus } from '../../shared/ir/types.ts';
import { offloadLargeObject } from '../../shared/pipeline/claim-check.ts';
import { irPartitionKey } from '../../shared/pipeline/definition.ts';
import { relayNackEvent } from '../../shared/pipeline/relay-events.ts';
import type { SnapshotPublishedDetail } from '../../shared/pipeline/snapshot-events.ts';
import { type GatewayRef, latestKey, versionPrefix } from '../../shared/snapshot/layout.ts';
import { parseLatest } from '../../shared/snapshot/publish.ts';
import { uniqueName, useEmulator } from '../support/moto.ts';
import { backend, fleet, type Obj, remove, route, upsert } from '../unit/pipeline/kube.ts';

const emulator = useEmulator();
const EDGE = { namespace: 'infra', name: 'edge' };
const INTERNAL = { namespace: 'infra', name: 'internal' };
const WAIT_MS = 30_000;

/** Returns the error message to fail a PutObject of this key with, or undefined to let it through. */
type S3Fault = (key: string) => string | undefined;
/** Returns a PutEvents error code for this entry, or undefined to send it. */
type PutEventsFault = (entry: PutEventsRequestEntry) => string | undefined;

interface Harness {
  pipeline: LocalPipeline;
  announced: SnapshotPublishedDetail[];
  translated: SqsInvocation[];
  builds: StreamInvocation[];
  s3Fault: { current?: S3Fault };
  putEventsFault: { current?: PutEventsFault };
  injected: Array<{ entry: PutEventsRequestEntry; code: string }>;
  /** Errors the mappings reported (handler failures included); shown when a wait times out. */
  errors: string[];
  stop(): Promise<void>;
}

async function startHarness(buildWindowMs: number): Promise<Harness> {
  const config = emulator.current.clientConfig;
  const s3 = createS3Client(config);
  const eventBridge = createEventBridgeClient(config);
  const h = {
    announced: [] as SnapshotPublishedDetail[],
    translated: [] as SqsInvocation[],
    builds: [] as StreamInvocation[],
    s3Fault: {} as { current?: S3Fault },
    putEventsFault: {} as { current?: PutEventsFault },
    injected: [] as Array<{ entry: PutEventsRequestEntry; code: string }>,
    errors: [] as string[],
  };
  injectS3Faults(s3, h.s3Fault);
  injectPutEventsFaults(eventBridge, h.putEventsFault, h.injected);
  const pipeline = await startLocalPipeline({
    clientConfig: config,
    clients: { s3, eventBridge },
    names: localPipelineNames(uniqueName('flow')),
    logLevel: 'SILENT',
    maxReceiveCount: 2,
    translateVisibilityTimeoutSeconds: 2,
    buildSnapshot: { maxBatchingWindowMs: buildWindowMs },
    onSnapshotPublished: (d) => {
      h.announced.push(d);
    },
    onTranslate: (i) => h.translated.push(i),
    onBuild: (i) => h.builds.push(i),
    onError: (err) => {
      h.errors.push(err.message);
      reported.push(err.message);
    },
  });
  return {
    ...h,
    pipeline,
    async stop() {
      await pipeline.stop();
      s3.destroy();
      eventBridge.destroy();
    },
  };
}

function injectS3Faults(client: S3Client, fault: { current?: S3Fault }): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'PutObjectCommand') {
        const message = fault.current?.((args.input as { Key?: string }).Key ?? '');
        if (message) throw new Error(message);
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectS3Fault' },
  );
}

/**
 * Entries the fault names are held back and answered with its error code, as EventBridge answers
 * a partial failure (FailedEntryCount, entries in request order); the rest really go to the bus.
 */
function injectPutEventsFaults(
  client: EventBridgeClient,
  fault: { current?: PutEventsFault },
  injected: Array<{ entry: PutEventsRequestEntry; code: string }>,
): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as PutEventsCommandInput;
      if (context.commandName !== 'PutEventsCommand' || !fault.current) return next(args);
      const entries = input.Entries ?? [];
      const codes = entries.map((e) => fault.current?.(e));
      if (codes.every((c) => c === undefined)) return next(args);
      const pass = entries.filter((_, i) => codes[i] === undefined);
      const passed: PutEventsResultEntry[] = [];
      if (pass.length > 0) {
        const res = await next({ ...args, input: { ...input, Entries: pass } });
        passed.push(...((res.output as PutEventsCommandOutput).Entries ?? []));
      }
      const results = codes.map((code, i): PutEventsResultEntry => {
        if (code === undefined) return passed.shift() ?? {};
        injected.push({ entry: entries[i] as PutEventsRequestEntry, code });
        return { ErrorCode: code, ErrorMessage: `injected ${code}` };
      });
      const output: PutEventsCommandOutput = {
        $metadata: {},
        FailedEntryCount: results.filter((r) => r.ErrorCode).length,
        Entries: results,
      };
      return { response: {}, output } as Awaited<ReturnType<typeof next>>;
    },
    { step: 'initialize', name: 'injectPutEventsFault' },
  );
}

/** Every harness's reported errors, for the message of a wait that times out. */
const reported: string[] = [];

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const errors = reported.slice(-5).join('\n  ');
      throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}; last errors:\n  ${errors}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function send(h: Harness, details: ChangeEventDetail[]) {
  return h.pipeline.publisher.putEvents(
    details.map((detail) => ({ source: CHANGE_EVENT_SOURCE, detailType: CHANGE_EVENT_DETAIL_TYPE, detail })),
  );
}

function processedMessages(h: Harness): number {
  return h.translated.reduce((n, i) => n + i.messageIds.length - i.failed.length, 0);
}

/** Sends the events and waits until the translate function has taken all of them. */
async function sendAndTranslate(h: Harness, details: ChangeEventDetail[]): Promise<void> {
  const target = processedMessages(h) + details.length;
  await send(h, details);
  await waitFor(`${details.length} messages translated`, () => processedMessages(h) >= target);
}

let markers = 0;
/** Waits until every stream record written so far has been handled (see the header). */
async function settle(h: Harness): Promise<string> {
  const clusterId = `settle-${++markers}`;
  await send(h, sequence(fleet(), clusterId, 1));
  await waitForSnapshot(h, clusterId, EDGE, (s) => s.rds.includes('public.example.com'));
  await waitForSnapshot(h, clusterId, INTERNAL, (s) => s.rds.includes('private.example.com'));
  return clusterId;
}

/**
 * Waits until the invocations that handled a marker's records have reported (onBuild fires after
 * the handler returns, so after its snapshots are in S3). One shard is read in order, so every
 * record written before the marker has been reported by then too.
 */
async function markerReported(h: Harness, clusterId: string): Promise<void> {
  const pk = irPartitionKey(clusterId);
  await waitFor(`the records of ${clusterId} reported`, () =>
    h.builds.flatMap((b) => b.partitionKeys).filter((k) => k === pk).length >= fleet().length
      ? true
      : undefined,
  );
}

async function latest(h: Harness, clusterId: string, gateway: GatewayRef) {
  const store = h.pipeline.snapshotStore;
  const pointer = await store.get(latestKey(clusterId, gateway));
  if (!pointer) return undefined;
  const parsed = parseLatest(pointer.body, 'latest');
  const read = async (suffix: string) => {
    const key = parsed.objects.find((k) => k.endsWith(suffix)) ?? '';
    return new TextDecoder().decode((await store.get(key))?.body);
  };
  return {
    version: parsed.version,
    cds: await read('/cds.json'),
    rds: await read('/rds.json'),
    eds: await read('/eds.json'),
  };
}

function waitForSnapshot(
  h: Harness,
  clusterId: string,
  gateway: GatewayRef,
  ok: (s: NonNullable<Awaited<ReturnType<typeof latest>>>) => boolean,
) {
  return waitFor(`a snapshot of ${clusterId} ${gateway.name} as expected`, async () => {
    const s = await latest(h, clusterId, gateway);
    return s && ok(s) ? s : undefined;
  });
}

function sequence(objects: Obj[], clusterId: string, from: number): ChangeEventDetail[] {
  return objects.map((o, i) => upsert(o, String(from + i), clusterId));
}

function programmed(statuses: ResourceStatus[], gateway: GatewayRef) {
  return statuses
    .find((s) => s.resource.kind === 'Gateway' && s.resource.name === gateway.name)
    ?.conditions.find((c) => c.type === 'Programmed');
}

describe('the pipeline on the emulator', () => {
  let h: Harness;
  let sqs: SQSClient;

  beforeAll(async () => {
    h = await startHarness(300);
    sqs = new SQSClient(emulator.current.clientConfig);
  });
  afterAll(async () => {
    await h?.stop();
    sqs?.destroy();
  });

  it('turns a cluster’s objects into one published snapshot per Gateway, announced on the bus', async () => {
    // Act
    await send(h, sequence(fleet(), 'flow', 1));

    // Assess
    await waitForSnapshot(h, 'flow', EDGE, (s) => s.version === 1);
    await waitForSnapshot(h, 'flow', INTERNAL, (s) => s.version === 1);
    const announced = await waitFor('both announcements', () =>
      h.announced.filter((d) => d.clusterId === 'flow').length >= 2 ? h.announced : undefined,
    );
    expect(announced).toEqual(
      expect.arrayContaining(
        [EDGE, INTERNAL].map((gateway) => ({
          clusterId: 'flow',
          gateway,
          version: 1,
          latestKey: latestKey('flow', gateway),
          manifestKey: `${versionPrefix('flow', gateway, 1)}manifest.json`,
        })),
      ),
    );
  });

  it('changes nothing for duplicate and out-of-order events', async () => {
    // Prepare: everything written so far has reached the build function and been reported.
    await markerReported(h, await settle(h));
    const buildsBefore = h.builds.length;

    // Act: the same events again, and an older version of the Backend.
    await sendAndTranslate(h, [
      ...sequence(fleet(), 'flow', 1),
      upsert(backend('stale.example.net'), '2', 'flow'),
    ]);
    const marker = await settle(h);
    await markerReported(h, marker);

    // Assess: every write was stale, so the stream carried only the marker's records.
    const keys = h.builds.slice(buildsBefore).flatMap((b) => b.partitionKeys);
    expect(new Set(keys)).toEqual(new Set([irPartitionKey(marker)]));
    expect((await latest(h, 'flow', EDGE))?.version).toBe(1);
    expect((await latest(h, 'flow', EDGE))?.cds).not.toContain('stale.example.net');
  });

  it('carries a Backend change into the next snapshot of every Gateway that routes to it', async () => {
    // Act
    await send(h, [upsert(backend('api.payments-v2.example.net'), '100', 'flow')]);

    // Assess
    for (const gateway of [EDGE, INTERNAL]) {
      const snapshot = await waitForSnapshot(h, 'flow', gateway, (s) => s.version === 2);
      expect(snapshot.cds).toContain('api.payments-v2.example.net');
    }
  });

  it('keeps a deleted route deleted when a late upsert of it arrives', async () => {
    // Act
    await send(h, [remove(route('private', 'internal'), '200', 'flow')]);
    await waitForSnapshot(h, 'flow', INTERNAL, (s) => s.version === 3);
    await sendAndTranslate(h, [upsert(route('private', 'internal'), '150', 'flow')]);
    await settle(h);

    // Assess
    const internal = await latest(h, 'flow', INTERNAL);
    expect(internal?.version).toBe(3);
    expect(internal?.rds).not.toContain('private.example.com');
    expect((await latest(h, 'flow', EDGE))?.rds).toContain('public.example.com');
  });

  it('reads an oversized object from the claim check', async () => {
    // Prepare: a Service whose EndpointSlice is too large for the bus.
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    };
    const slice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-big', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      // 1000 endpoints is the most an EndpointSlice may hold; real ones carry this much per endpoint.
      endpoints: Array.from({ length: 1000 }, (_, i) => ({
        addresses: [`10.9.${i >> 8}.${i & 255}`],
        conditions: { ready: true, serving: true, terminating: false },
        hostname: `web-${i}`,
        nodeName: `ip-10-0-${i >> 8}-${i & 255}.eu-west-1.compute.internal`,
        zone: 'eu-west-1a',
        targetRef: {
          kind: 'Pod',
          namespace: 'shop',
          name: `web-7d9f8c6b5d-${i}`,
          uid: `0b1f7c52-8d7e-4b8a-9d0e-${String(i).padStart(12, '0')}`,
        },
      })),
    };
    const webRoute = {
      ...route('web', 'edge'),
      spec: {
        parentRefs: [{ name: 'edge', namespace: 'infra' }],
        hostnames: ['web.example.com'],
        rules: [{ backendRefs: [{ name: 'web', port: 80 }] }],
      },
    };
    const sliceEvent = await offloadLargeObject(upsert(slice, '300', 'flow'), h.pipeline.claimCheck);
    expect(sliceEvent.objectRef).toBeDefined();

    // Act
    await send(h, [upsert(service, '301', 'flow'), sliceEvent, upsert(webRoute, '302', 'flow')]);

    // Assess
    await waitForSnapshot(
      h,
      'flow',
      EDGE,
      (s) => s.eds.includes('10.9.3.231') && s.rds.includes('web.example.com'),
    );
  });

  it('sends a poison event to the dead-letter queue without blocking the others', async () => {
    // Prepare: matches the rules, but its resourceVersion is not a number.
    const poison = {
      ...upsert(backend('poison.example.net'), '400', 'flow'),
      resourceVersion: 'four-hundred',
    };

    // Act
    await send(h, [poison, upsert(backend('api.payments-v3.example.net'), '401', 'flow')]);

    // Assess
    await waitForSnapshot(h, 'flow', EDGE, (s) => s.cds.includes('api.payments-v3.example.net'));
    const dead = await waitFor('the poison event in the DLQ', async () => {
      const res = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: h.pipeline.resources.translateDlq.url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      return res.Messages?.length ? res.Messages : undefined;
    });
    expect(dead.map((m) => JSON.parse(m.Body ?? '{}').detail.resourceVersion)).toEqual(['four-hundred']);
    // SQS moved it after maxReceiveCount (2) receives, each failed by the handler.
    const poisonInvocations = h.translated.filter((i) => i.failed.length > 0);
    expect(poisonInvocations.length).toBeGreaterThanOrEqual(2);
  });

  it('retries the entries of a partially failed PutEvents, and every event reaches the snapshot', async () => {
    // Prepare: the first and third entries fail once, retryably.
    const failOnce = new Set(['partial-a', 'payments-api']);
    h.putEventsFault.current = (entry) => {
      if (entry.Source !== CHANGE_EVENT_SOURCE) return undefined;
      const name = JSON.parse(entry.Detail ?? '{}').name as string;
      return failOnce.delete(name) ? 'ThrottlingException' : undefined;
    };
    const events = [
      upsert(route('partial-a', 'edge'), '500', 'flow'),
      upsert(route('partial-b', 'edge'), '501', 'flow'),
      upsert(backend('api.payments-v4.example.net'), '502', 'flow'),
    ];

    // Act
    const summary = await send(h, events).finally(() => {
      h.putEventsFault.current = undefined;
    });

    // Assess
    expect(h.injected.map((i) => [JSON.parse(i.entry.Detail ?? '{}').name, i.code])).toEqual([
      ['partial-a', 'ThrottlingException'],
      ['payments-api', 'ThrottlingException'],
    ]);
    expect(summary).toMatchObject({ sent: 3, retries: 2 });
    await waitForSnapshot(
      h,
      'flow',
      EDGE,
      (s) =>
        s.rds.includes('partial-a.example.com') &&
        s.rds.includes('partial-b.example.com') &&
        s.cds.includes('api.payments-v4.example.net'),
    );
  });

  it('shows a relay NACK as Programmed=False on the Gateway until a newer version is published', async () => {
    // Prepare
    const current = (await latest(h, 'flow', EDGE))?.version ?? 0;
    const nack = relayNackEvent({
      clusterId: 'flow',
      gateway: EDGE,
      nodeId: 'envoy-edge-0',
      typeUrl: 'type.googleapis.com/envoy.config.listener.v3.Listener',
      version: String(current),
      message: 'Error adding/updating listener(s) http: unknown filter',
      at: new Date().toISOString(),
    });

    // Act
    await h.pipeline.publisher.putEvents([nack]);
    const rejected = await waitFor('the NACK condition', async () => {
      const c = programmed(await h.pipeline.irStore.listStatuses('flow'), EDGE);
      return c?.status === 'False' ? c : undefined;
    });
    await send(h, [upsert(backend('api.payments-v5.example.net'), '600', 'flow')]);
    await waitForSnapshot(h, 'flow', EDGE, (s) => s.version > current);
    const cleared = await waitFor('the condition cleared', async () => {
      const c = programmed(await h.pipeline.irStore.listStatuses('flow'), EDGE);
      return c?.status === 'True' ? c : undefined;
    });

    // Assess
    expect(rejected).toMatchObject({
      reason: 'Invalid',
      message: `node envoy-edge-0 rejected Listener version ${current}: Error adding/updating listener(s) http: unknown filter`,
    });
    expect(programmed(await h.pipeline.irStore.listStatuses('flow'), INTERNAL)?.status).toBe('True');
    expect(cleared.reason).toBe('Programmed');
  });
});

describe('a stream batch with one failing cluster', () => {
  let h: Harness;

  beforeAll(async () => {
    // A wide batching window, so both clusters' records land in one batch.
    h = await startHarness(2500);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('is retried from the failing cluster’s first record only', async () => {
    // Prepare: the first version write of whichever cluster the batch builds second fails once.
    const clusters = ['stream-a', 'stream-b'];
    let first: string | undefined;
    let failed: string | undefined;
    h.s3Fault.current = (key) => {
      const cluster = clusters.find((c) => key.startsWith(`clusters/${c}/`));
      if (!cluster) return undefined;
      first ??= cluster;
      if (cluster === first || failed) return undefined;
      failed = cluster;
      return `injected S3 failure for ${cluster}`;
    };

    // Act
    await send(h, [...sequence(fleet(), 'stream-a', 1), ...sequence(fleet(), 'stream-b', 1)]);
    for (const cluster of clusters) {
      for (const gateway of [EDGE, INTERNAL])
        await waitForSnapshot(h, cluster, gateway, (s) => s.version === 1);
    }

    // Assess: the failed invocation asked for a retry from the second cluster's first record; the
    // records before it were not delivered again.
    const failedAt = h.builds.findIndex((b) => b.retryFrom !== undefined);
    // The retry published the snapshots; it reports (onBuild) only after it returns.
    await waitFor('the retry invocation', () => h.builds.length > failedAt + 1 && failedAt >= 0);
    const failing = h.builds[failedAt];
    const retry = h.builds[failedAt + 1];
    expect(failed).toBeDefined();
    expect(failing?.error).toBeUndefined(); // reported as an item failure, not a throw
    const from = failing?.sequenceNumbers.indexOf(failing.retryFrom ?? '') ?? -1;
    expect(from).toBeGreaterThan(0);
    expect(retry?.sequenceNumbers[0]).toBe(failing?.retryFrom);
    const before = failing?.sequenceNumbers.slice(0, from) ?? [];
    expect(retry?.sequenceNumbers.filter((seq) => before.includes(seq))).toEqual([]);
    expect(h.builds.slice(failedAt + 2).filter((b) => b.retryFrom !== undefined)).toEqual([]);
  });
});
