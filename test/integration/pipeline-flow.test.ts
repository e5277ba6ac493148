// The whole pipeline on the emulator: PutEvents → bus rules → SQS → translate handler → DynamoDB
// → DynamoDB Streams → build-snapshot handler → S3, with a Snapshot Published event back on the
// bus. The bridges below stand in for Lambda's event source mappings: SQS messages and stream
// records are handed to the real handlers, and their batchItemFailures are honoured the way
// Lambda honours them (failed messages become visible again; a stream resumes at the reported
// sequence number).

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHandler as createBuildHandler } from '../../functions/build-snapshot/create-handler.ts';
import { createHandler as createTranslateHandler } from '../../functions/translate/create-handler.ts';
import { DynamoDbIrStore } from '../../shared/aws/dynamodb-ir-store.ts';
import { EventBridgePublisher } from '../../shared/aws/event-bridge-publisher.ts';
import { ensureIrTable, ensureSnapshotBucket } from '../../shared/aws/provision.ts';
import { S3ClaimCheck } from '../../shared/aws/s3-claim-check.ts';
import { S3SnapshotStore } from '../../shared/aws/s3-snapshot-store.ts';
import {
  CHANGE_EVENT_DETAIL_TYPE,
  CHANGE_EVENT_SOURCE,
  type ChangeEventDetail,
} from '../../shared/events/change-event.ts';
import { offloadLargeObject } from '../../shared/pipeline/claim-check.ts';
import {
  SNAPSHOT_EVENT_SOURCE,
  TRANSLATOR_RULES,
  translatorRulePattern,
} from '../../shared/pipeline/definition.ts';
import type { SnapshotStore } from '../../shared/ports/snapshot-store.ts';
import { type GatewayRef, latestKey } from '../../shared/snapshot/layout.ts';
import { parseLatest } from '../../shared/snapshot/publish.ts';
import { uniqueName, useEmulator } from '../support/moto.ts';
import { lambdaContext, quietObservability } from '../unit/functions/lambda.ts';
import { backend, fleet, type Obj, remove, route, upsert } from '../unit/pipeline/kube.ts';

const emulator = useEmulator();
const EDGE = { namespace: 'infra', name: 'edge' };
const INTERNAL = { namespace: 'infra', name: 'internal' };
const MAX_RECEIVE_COUNT = 2;

let sqs: SQSClient;
let publisher: EventBridgePublisher;
let snapshotStore: S3SnapshotStore;
let claimCheck: S3ClaimCheck;
let translateQueue: { url: string; arn: string };
let dlqUrl: string;
let notifyQueueUrl: string;
let translate: ReturnType<typeof createTranslateHandler>;
let stream: StreamBridge;
/** Fault injection for the build: keys for which the next putIfAbsent fails once. */
const failOnce = new Set<string>();

class StreamBridge {
  #iterator = '';
  readonly batches: string[][] = [];

  constructor(
    private readonly client: DynamoDBStreamsClient,
    private readonly streamArn: string,
    private readonly handler: ReturnType<typeof createBuildHandler>,
  ) {}

  async start(): Promise<void> {
    this.#iterator = await this.#iteratorFor('TRIM_HORIZON');
  }

  /** Hands every new record to the handler, resuming at a reported failure as Lambda does. */
  async drain(): Promise<void> {
    for (let round = 0; round < 20; round++) {
      const res = await this.client.send(
        new GetRecordsCommand({ ShardIterator: this.#iterator, Limit: 100 }),
      );
      const records = res.Records ?? [];
      if (records.length === 0) return;
      this.batches.push(records.map((r) => r.dynamodb?.SequenceNumber ?? ''));
      const event = { Records: records } as unknown as DynamoDBStreamEvent;
      const { batchItemFailures } = await this.handler(event, lambdaContext('build-snapshot'));
      const failed = batchItemFailures
        .map((f) => f.itemIdentifier)
        .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))[0];
      this.#iterator = failed
        ? await this.#iteratorFor('AT_SEQUENCE_NUMBER', failed)
        : (res.NextShardIterator ?? this.#iterator);
    }
    throw new Error('the stream did not drain in 20 rounds');
  }

  async #iteratorFor(type: 'TRIM_HORIZON' | 'AT_SEQUENCE_NUMBER', sequenceNumber?: string): Promise<string> {
    const { StreamDescription } = await this.client.send(
      new DescribeStreamCommand({ StreamArn: this.streamArn }),
    );
    const shardId = StreamDescription?.Shards?.[0]?.ShardId ?? '';
    const res = await this.client.send(
      new GetShardIteratorCommand({
        StreamArn: this.streamArn,
        ShardId: shardId,
        ShardIteratorType: type,
        SequenceNumber: sequenceNumber,
      }),
    );
    return res.ShardIterator ?? '';
  }
}

async function createQueue(name: string, attributes: Record<string, string> = {}) {
  const url =
    (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName(name), Attributes: attributes })))
      .QueueUrl ?? '';
  const res = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { url, arn: res.Attributes?.QueueArn ?? '' };
}

async function send(details: ChangeEventDetail[]): Promise<void> {
  await publisher.putEvents(
    details.map((detail) => ({ source: CHANGE_EVENT_SOURCE, detailType: CHANGE_EVENT_DETAIL_TYPE, detail })),
  );
}

/** Delivers the translate queue to the handler until it is empty. */
async function drainTranslateQueue(): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const res = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: translateQueue.url,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = res.Messages ?? [];
    if (messages.length === 0) return;
    const { batchItemFailures } = await translate(sqsEvent(messages), lambdaContext('translate'));
    const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
    for (const m of messages) {
      const ReceiptHandle = m.ReceiptHandle ?? '';
      // A failed message becomes visible again at once instead of after its visibility timeout.
      if (failed.has(m.MessageId ?? '')) {
        await sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: translateQueue.url,
            ReceiptHandle,
            VisibilityTimeout: 0,
          }),
        );
      } else {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: translateQueue.url, ReceiptHandle }));
      }
    }
  }
  throw new Error('the translate queue did not drain in 20 rounds');
}

function sqsEvent(messages: Message[]): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? '0',
        SenderId: m.Attributes?.SenderId ?? '',
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? '0',
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: translateQueue.arn,
      awsRegion: 'us-east-1',
    })),
  };
}

async function receiveBodies(queueUrl: string): Promise<Array<Record<string, unknown>>> {
  const bodies: Array<Record<string, unknown>> = [];
  for (;;) {
    const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    if (!res.Messages?.length) return bodies;
    for (const m of res.Messages) {
      bodies.push(JSON.parse(m.Body ?? '{}'));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle ?? '' }));
    }
  }
}

/** Runs the pipeline on `details` until both queues of work are empty. */
async function run(details: ChangeEventDetail[]): Promise<void> {
  await send(details);
  await drainTranslateQueue();
  await stream.drain();
}

async function latest(clusterId: string, gateway: GatewayRef) {
  const pointer = await snapshotStore.get(latestKey(clusterId, gateway));
  if (!pointer) return undefined;
  const parsed = parseLatest(pointer.body, 'latest');
  const read = async (suffix: string) => {
    const key = parsed.objects.find((k) => k.endsWith(suffix)) ?? '';
    return new TextDecoder().decode((await snapshotStore.get(key))?.body);
  };
  return {
    version: parsed.version,
    cds: await read('/cds.json'),
    rds: await read('/rds.json'),
    eds: await read('/eds.json'),
  };
}

function sequence(objects: Obj[], clusterId: string, from: number): ChangeEventDetail[] {
  return objects.map((o, i) => upsert(o, String(from + i), clusterId));
}

beforeAll(async () => {
  const config = emulator.current.clientConfig;
  const tableName = uniqueName('ir');
  const bucketName = uniqueName('snapshots');
  const busName = uniqueName('bus');
  const dynamo = new DynamoDBClient(config);
  const events = new EventBridgeClient(config);
  sqs = new SQSClient(config);
  const streamArn = await ensureIrTable(dynamo, tableName);
  await ensureSnapshotBucket(new S3Client({ ...config, forcePathStyle: true }), bucketName);
  await events.send(new CreateEventBusCommand({ Name: busName }));

  const dlq = await createQueue('translate-dlq');
  dlqUrl = dlq.url;
  translateQueue = await createQueue('translate', {
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: MAX_RECEIVE_COUNT }),
  });
  const notify = await createQueue('snapshots');
  notifyQueueUrl = notify.url;
  const rules = [
    ...TRANSLATOR_RULES.map((rule) => ({
      name: rule.id,
      pattern: translatorRulePattern(rule),
      arn: translateQueue.arn,
    })),
    { name: 'SnapshotPublished', pattern: { source: [SNAPSHOT_EVENT_SOURCE] }, arn: notify.arn },
  ];
  for (const rule of rules) {
    await events.send(
      new PutRuleCommand({
        Name: rule.name,
        EventBusName: busName,
        EventPattern: JSON.stringify(rule.pattern),
      }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: rule.name,
        EventBusName: busName,
        Targets: [{ Id: 'q', Arn: rule.arn }],
      }),
    );
  }

  const irStore = new DynamoDbIrStore({ tableName, client: dynamo });
  publisher = new EventBridgePublisher({ eventBusName: busName, client: events });
  snapshotStore = new S3SnapshotStore({ bucketName, clientConfig: config });
  claimCheck = new S3ClaimCheck({ bucketName, clientConfig: config });
  const faultyStore: SnapshotStore = {
    get: (key) => snapshotStore.get(key),
    putIfAbsent: async (key, body, type) => {
      const prefix = [...failOnce].find((p) => key.startsWith(p));
      if (prefix !== undefined) {
        failOnce.delete(prefix);
        throw new Error(`injected S3 failure for ${prefix}`);
      }
      return snapshotStore.putIfAbsent(key, body, type);
    },
    compareAndSwap: (key, body, type, etag) => snapshotStore.compareAndSwap(key, body, type, etag),
  };
  translate = createTranslateHandler({ irStore, claimCheck, ...quietObservability() });
  const build = createBuildHandler({
    irStore,
    snapshotStore: faultyStore,
    events: publisher,
    ...quietObservability(),
  });
  stream = new StreamBridge(new DynamoDBStreamsClient(config), streamArn, build);
  await stream.start();
});

describe('the pipeline on the emulator', () => {
  it('turns a cluster’s objects into one published snapshot per Gateway, announced on the bus', async () => {
    // Act
    await run(sequence(fleet(), 'flow', 1));

    // Assess
    expect((await latest('flow', EDGE))?.version).toBe(1);
    expect((await latest('flow', INTERNAL))?.version).toBe(1);
    const announced = (await receiveBodies(notifyQueueUrl)).map((e) => e.detail);
    expect(announced).toEqual(
      expect.arrayContaining([
        { clusterId: 'flow', gateway: EDGE, version: 1, latestKey: latestKey('flow', EDGE) },
        { clusterId: 'flow', gateway: INTERNAL, version: 1, latestKey: latestKey('flow', INTERNAL) },
      ]),
    );
  });

  it('changes nothing for duplicate and out-of-order events', async () => {
    // Prepare
    const batchesBefore = stream.batches.length;

    // Act: the same events again, and an older version of the Backend.
    await run([...sequence(fleet(), 'flow', 1), upsert(backend('stale.example.net'), '2', 'flow')]);

    // Assess: every write was stale, so the stream carried nothing to build.
    expect(stream.batches.length).toBe(batchesBefore);
    expect((await latest('flow', EDGE))?.version).toBe(1);
    expect((await latest('flow', EDGE))?.cds).not.toContain('stale.example.net');
  });

  it('carries a Backend change into the next snapshot of every Gateway that routes to it', async () => {
    // Act
    await run([upsert(backend('api.payments-v2.example.net'), '100', 'flow')]);

    // Assess
    for (const gateway of [EDGE, INTERNAL]) {
      const snapshot = await latest('flow', gateway);
      expect(snapshot?.version).toBe(2);
      expect(snapshot?.cds).toContain('api.payments-v2.example.net');
    }
  });

  it('keeps a deleted route deleted when a late upsert of it arrives', async () => {
    // Act
    await run([remove(route('private', 'internal'), '200', 'flow')]);
    await run([upsert(route('private', 'internal'), '150', 'flow')]);

    // Assess
    const internal = await latest('flow', INTERNAL);
    expect(internal?.version).toBe(3);
    expect(internal?.rds).not.toContain('private.example.com');
    expect((await latest('flow', EDGE))?.rds).toContain('public.example.com');
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
    const sliceEvent = await offloadLargeObject(upsert(slice, '300', 'flow'), claimCheck);
    expect(sliceEvent.objectRef).toBeDefined();

    // Act
    await run([upsert(service, '301', 'flow'), sliceEvent, upsert(webRoute, '302', 'flow')]);

    // Assess
    const edge = await latest('flow', EDGE);
    expect(edge?.eds).toContain('10.9.3.231');
    expect(edge?.rds).toContain('web.example.com');
  });

  it('sends a poison event to the dead-letter queue without blocking the others', async () => {
    // Prepare: matches the rules, but its resourceVersion is not a number.
    const poison = {
      ...upsert(backend('poison.example.net'), '400', 'flow'),
      resourceVersion: 'four-hundred',
    };

    // Act
    await run([poison, upsert(backend('api.payments-v3.example.net'), '401', 'flow')]);

    // Assess
    const dead = await receiveBodies(dlqUrl);
    expect(dead.map((e) => (e.detail as ChangeEventDetail).resourceVersion)).toEqual(['four-hundred']);
    expect((await latest('flow', EDGE))?.cds).toContain('api.payments-v3.example.net');
  });

  it('retries a stream batch from the failing cluster’s first record only', async () => {
    // Prepare: two clusters, written one after the other so the stream holds a's records, then b's.
    await send(sequence(fleet(), 'stream-a', 1));
    await drainTranslateQueue();
    await send(sequence(fleet(), 'stream-b', 1));
    await drainTranslateQueue();
    failOnce.add('clusters/stream-b/');
    const before = stream.batches.length;

    // Act
    await stream.drain();

    // Assess: the retried batch starts at b's first record, so none of a's records come again (it
    // also holds the bookkeeping and status writes of a's build, which the handler skips).
    const [first = [], retry = []] = stream.batches.slice(before);
    const [aRecords, bRecords] = [first.slice(0, fleet().length), first.slice(fleet().length)];
    expect(bRecords).toHaveLength(fleet().length);
    expect(retry.slice(0, fleet().length)).toEqual(bRecords);
    expect(retry.filter((seq) => aRecords.includes(seq))).toEqual([]);
    expect((await latest('stream-a', EDGE))?.version).toBe(1);
    expect((await latest('stream-b', EDGE))?.version).toBe(1);
    expect((await latest('stream-b', INTERNAL))?.version).toBe(1);
  });
});
