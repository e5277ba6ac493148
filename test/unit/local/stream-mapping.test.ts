// The DynamoDB Streams event source mapping over an in-memory shard: after a batch reports an item
// failure, the shard is re-read from that record, also when the read after it fails and the
// iterator has to be acquired again (Lambda's checkpoint never falls back to the start).

import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  StreamEventSourceMapping,
  type StreamInvocation,
  type StreamSource,
} from '../../../services/local/event-source-mappings.ts';
import type { ShardPosition, StreamRead } from '../../../shared/aws/dynamodb-stream-reader.ts';

const record = (seq: string): DynamoDBRecord => ({
  eventName: 'MODIFY',
  dynamodb: { SequenceNumber: seq, Keys: { pk: { S: `CLUSTER#c${seq}` }, sk: { S: 'x' } } },
});

class MemoryShard implements StreamSource {
  readonly streamArn = 'arn:aws:dynamodb:us-east-1:000000000000:table/ir/stream/now';
  readonly records = ['1', '2', '3', '4', '5'].map(record);
  readonly acquired: ShardPosition[] = [];
  failNextRead = false;

  async listShards() {
    return [{ shardId: 'shard-1' }];
  }

  async iterator(_shardId: string, position: ShardPosition): Promise<string> {
    this.acquired.push(position);
    const seqs = this.records.map((r) => r.dynamodb?.SequenceNumber);
    if (position.type === 'TRIM_HORIZON') return '0';
    if (position.type === 'LATEST') return String(seqs.length);
    if (!('sequenceNumber' in position)) throw new Error('unreachable');
    const at = seqs.indexOf(position.sequenceNumber);
    return String(position.type === 'AT_SEQUENCE_NUMBER' ? at : at + 1);
  }

  async getRecords(iterator: string, limit: number): Promise<StreamRead> {
    if (this.failNextRead) {
      this.failNextRead = false;
      throw new Error('ExpiredIteratorException: the iterator has expired');
    }
    const from = Number(iterator);
    const records = this.records.slice(from, from + limit);
    return { records, nextIterator: String(from + records.length) };
  }
}

describe('StreamEventSourceMapping', () => {
  it('re-reads from the failed record when the read after a partial failure fails too', async () => {
    // Prepare: the first invocation fails record 3; the next GetRecords throws once.
    const shard = new MemoryShard();
    const invocations: StreamInvocation[] = [];
    const errors: string[] = [];
    let calls = 0;
    const mapping = new StreamEventSourceMapping({
      functionName: 'build-snapshot',
      stream: shard,
      maxBatchingWindowMs: 0,
      pollIntervalMs: 20,
      handler: async () => {
        calls++;
        if (calls === 1) {
          shard.failNextRead = true;
          return { batchItemFailures: [{ itemIdentifier: '3' }] };
        }
        return { batchItemFailures: [] };
      },
      onInvoke: (i) => invocations.push(i),
      onError: (err) => errors.push(err.message),
    });

    // Act
    mapping.start();
    const deadline = Date.now() + 10_000;
    while (invocations.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await mapping.stop();

    // Assess
    expect(invocations[0]).toMatchObject({ sequenceNumbers: ['1', '2', '3', '4', '5'], retryFrom: '3' });
    expect(invocations[1]?.sequenceNumbers).toEqual(['3', '4', '5']);
    expect(invocations[1]?.retryFrom).toBeUndefined();
    expect(shard.acquired).toEqual([
      { type: 'TRIM_HORIZON' },
      { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: '3' },
      { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: '3' },
    ]);
    expect(errors.some((m) => m.includes('GetRecords on shard-1 failed; resuming'))).toBe(true);
  });

  it('keeps reading when an onInvoke hook throws, and reports the hook', async () => {
    // Prepare
    const shard = new MemoryShard();
    const errors: string[] = [];
    let handled = 0;
    const mapping = new StreamEventSourceMapping({
      functionName: 'build-snapshot',
      stream: shard,
      batchSize: 2,
      maxBatchingWindowMs: 0,
      pollIntervalMs: 20,
      handler: async (event) => {
        handled += event.Records.length;
        return { batchItemFailures: [] };
      },
      onInvoke: () => {
        throw new Error('hook broke');
      },
      onError: (err) => errors.push(err.message),
    });

    // Act
    mapping.start();
    const deadline = Date.now() + 10_000;
    while (handled < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await mapping.stop();

    // Assess: all five records handled over three batches, each hook failure reported.
    expect(handled).toBe(5);
    expect(errors.filter((m) => m.includes('hook broke'))).toHaveLength(3);
  });
});
