// The local runtime's Lambda event source mappings (services/local/event-source-mappings.ts)
// against the emulator's real SQS and DynamoDB Streams, with plain handlers: what comes back after
// batchItemFailures, when SQS dead-letters, where a shard is re-read from, what the filters keep
// out, and what reaches the on-failure destination.

import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBBatchResponse, DynamoDBRecord, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SqsEventSourceMapping,
  type StreamBatchFailure,
  StreamEventSourceMapping,
  type StreamEventSourceMappingOptions,
} from '../../services/local/event-source-mappings.ts';
import { DynamoDbStreamReader } from '../../shared/aws/dynamodb-stream-reader.ts';
import { IR_STREAM_FILTER_PATTERNS } from '../../shared/aws/ir-table-layout.ts';
import { ensureIrTable, ensureQueue } from '../../shared/aws/provision.ts';
import { SqsQueue } from '../../shared/aws/sqs-queue.ts';
import { uniqueName, useEmulator } from '../support/moto.ts';

const emulator = useEmulator();
let sqs: SQSClient;
let dynamodb: DynamoDBClient;
let streams: DynamoDBStreamsClient;
const stops: Array<() => Promise<void>> = [];

beforeAll(() => {
  const config = emulator.current.clientConfig;
  sqs = new SQSClient(config);
  dynamodb = new DynamoDBClient(config);
  streams = new DynamoDBStreamsClient(config);
});
afterAll(async () => {
  for (const stop of stops) await stop();
  for (const client of [sqs, dynamodb, streams]) client?.destroy();
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('SqsEventSourceMapping', () => {
  async function queueWithDlq(maxReceiveCount: number) {
    const dlq = await ensureQueue(sqs, uniqueName('esm-dlq'));
    const queue = await ensureQueue(sqs, uniqueName('esm'), {
      VisibilityTimeout: '1',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount }),
    });
    return { dlq, queue };
  }

  function start(queue: { url: string; arn: string }, handler: (e: SQSEvent) => Promise<SQSBatchResponse>) {
    const mapping = new SqsEventSourceMapping({
      functionName: 'test',
      queue: new SqsQueue({ queueUrl: queue.url, queueArn: queue.arn, client: sqs }),
      handler: (event) => handler(event),
      waitTimeSeconds: 1,
      onError: () => {},
    });
    mapping.start();
    stops.push(() => mapping.stop());
    return mapping;
  }

  async function receiveDead(dlqUrl: string) {
    const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10 }));
    return res.Messages?.length ? res.Messages.map((m) => m.Body) : undefined;
  }

  it('deletes what succeeded, redelivers what batchItemFailures names, and SQS dead-letters it after maxReceiveCount', async () => {
    // Prepare
    const { dlq, queue } = await queueWithDlq(2);
    const seen: Array<[string, string]> = [];
    for (const body of ['good-1', 'bad', 'good-2']) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
    }

    // Act
    const mapping = start(queue, async (event) => {
      for (const r of event.Records) seen.push([r.body, r.attributes.ApproximateReceiveCount]);
      return {
        batchItemFailures: event.Records.filter((r) => r.body === 'bad').map((r) => ({
          itemIdentifier: r.messageId,
        })),
      };
    });
    const dead = await waitFor('the failing message in the DLQ', () => receiveDead(dlq.url));
    await mapping.stop();

    // Assess: the good ones once each (a second receive would show if they had not been deleted).
    expect(dead).toEqual(['bad']);
    expect(seen.filter(([b]) => b.startsWith('good')).sort()).toEqual([
      ['good-1', '1'],
      ['good-2', '1'],
    ]);
    expect(seen.filter(([b]) => b === 'bad')).toEqual([
      ['bad', '1'],
      ['bad', '2'],
    ]);
  });

  it('redelivers the whole batch when the handler throws', async () => {
    // Prepare
    const { queue } = await queueWithDlq(5);
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'only' }));
    const seen: string[] = [];
    let calls = 0;

    // Act
    const mapping = start(queue, async (event) => {
      seen.push(...event.Records.map((r) => `${r.body}#${r.attributes.ApproximateReceiveCount}`));
      if (++calls === 1) throw new Error('function crashed');
      return { batchItemFailures: [] };
    });
    await waitFor('the redelivery', () => seen.length >= 2);
    await mapping.stop();

    // Assess
    expect(seen).toEqual(['only#1', 'only#2']);
  });
});

describe('StreamEventSourceMapping', () => {
  async function table() {
    const tableName = uniqueName('esm-ir');
    const streamArn = await ensureIrTable(dynamodb, tableName);
    const put = (sk: string, itemType = 'ir') =>
      dynamodb.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { pk: { S: 'CLUSTER#esm' }, sk: { S: sk }, itemType: { S: itemType } },
        }),
      );
    return { streamArn, put };
  }

  type Handler = (records: DynamoDBRecord[]) => DynamoDBBatchResponse;

  function start(
    streamArn: string,
    handler: Handler,
    options: Partial<StreamEventSourceMappingOptions> = {},
  ) {
    const batches: string[][] = [];
    const mapping = new StreamEventSourceMapping({
      functionName: 'test',
      stream: new DynamoDbStreamReader({ streamArn, client: streams }),
      handler: async (event) => {
        batches.push(event.Records.map((r) => r.dynamodb?.Keys?.sk?.S ?? ''));
        return handler(event.Records);
      },
      maxBatchingWindowMs: 300,
      pollIntervalMs: 100,
      shardDiscoveryIntervalMs: 1000,
      onError: () => {},
      ...options,
    });
    mapping.start();
    stops.push(() => mapping.stop());
    return { mapping, batches };
  }

  const failAt = (records: DynamoDBRecord[], sk: string): DynamoDBBatchResponse => ({
    batchItemFailures: records
      .filter((r) => r.dynamodb?.Keys?.sk?.S === sk)
      .map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber ?? '' })),
  });

  it('re-reads a shard from the failed sequence number, and not the records before it', async () => {
    // Prepare
    const { streamArn, put } = await table();
    for (const sk of ['r1', 'r2', 'r3', 'r4', 'r5']) await put(sk);
    let failed = false;

    // Act
    const { mapping, batches } = start(streamArn, (records) => {
      if (failed) return { batchItemFailures: [] };
      failed = true;
      return failAt(records, 'r3');
    });
    await waitFor('the retry', () => batches.length >= 2);
    await put('r6');
    await waitFor('the next record', () => batches.flat().includes('r6'));
    await mapping.stop();

    // Assess: the checkpoint then moved on; nothing is read twice after the retry.
    expect(batches.slice(0, 2)).toEqual([
      ['r1', 'r2', 'r3', 'r4', 'r5'],
      ['r3', 'r4', 'r5'],
    ]);
    expect(batches.slice(2).flat()).toEqual(['r6']);
  });

  it('keeps records that match no filter from the handler, and moves past them', async () => {
    // Prepare
    const { streamArn, put } = await table();
    await put('Backend#shop/a', 'ir');
    await put('SNAPSHOT#infra/edge', 'snapshot');
    await put('NACK#infra/edge#Listener', 'nack');

    // Act
    const { mapping, batches } = start(streamArn, () => ({ batchItemFailures: [] }), {
      filters: IR_STREAM_FILTER_PATTERNS,
    });
    await waitFor('the first batch', () => batches.length >= 1);
    await put('Service#shop/b', 'ir');
    await put('Service#shop/b-status', 'status');
    await put('Service#shop/c', 'ir');
    await waitFor('the last record', () => batches.flat().includes('Service#shop/c'));
    await mapping.stop();

    // Assess
    expect(batches.flat()).toEqual([
      'Backend#shop/a',
      'NACK#infra/edge#Listener',
      'Service#shop/b',
      'Service#shop/c',
    ]);
  });

  it('describes a batch to the on-failure destination after retryAttempts, then goes on', async () => {
    // Prepare
    const { streamArn, put } = await table();
    const destination = await ensureQueue(sqs, uniqueName('esm-failures'));
    const queue = new SqsQueue({ queueUrl: destination.url, queueArn: destination.arn, client: sqs });
    await put('ok-1');
    await put('poison');

    // Act
    const { mapping, batches } = start(streamArn, (records) => failAt(records, 'poison'), {
      retryAttempts: 1,
      onFailure: (failure) => queue.send(JSON.stringify(failure)),
    });
    const [message] = await waitFor('the failure record', async () => {
      const res = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: destination.url, WaitTimeSeconds: 1 }),
      );
      return res.Messages?.length ? res.Messages : undefined;
    });
    await put('ok-2');
    await waitFor('the record after it', () => batches.flat().includes('ok-2'));
    await mapping.stop();

    // Assess: the first try and one retry, then skipped; ok-1 was done with before the failure.
    const failure = JSON.parse(message?.Body ?? '{}') as StreamBatchFailure;
    expect(batches).toEqual([['ok-1', 'poison'], ['poison'], ['ok-2']]);
    expect(failure.requestContext).toEqual({
      functionName: 'test',
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 2,
    });
    expect(failure.DDBStreamBatchInfo).toMatchObject({ batchSize: 1, streamArn });
    expect(failure.DDBStreamBatchInfo.startSequenceNumber).toBe(failure.DDBStreamBatchInfo.endSequenceNumber);
  });
});
