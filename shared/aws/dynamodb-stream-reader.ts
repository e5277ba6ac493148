// A DynamoDB stream as an event source reads it: DescribeStream for the shards, GetShardIterator
// and GetRecords for their records, returned in the shape Lambda hands to a function
// (`DynamoDBRecord`: creation time in epoch seconds, binary attributes in base64, the stream ARN
// stamped as `eventSourceARN`). Used by the local runtime's event source mappings; in AWS, Lambda's
// own pollers do this.

import {
  type _Record,
  type AttributeValue,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  type DynamoDBStreamsClientConfig,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, AttributeValue as LambdaAttributeValue } from 'aws-lambda';
import { createDynamoDbStreamsClient } from './clients.ts';

export interface DynamoDbStreamReaderOptions {
  streamArn: string;
  /** Your own client; one is built from `clientConfig` otherwise. */
  client?: DynamoDBStreamsClient;
  clientConfig?: DynamoDBStreamsClientConfig;
}

export interface StreamShard {
  shardId: string;
  parentShardId?: string;
}

export type ShardPosition =
  | { type: 'TRIM_HORIZON' | 'LATEST' }
  | { type: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string };

export interface StreamRead {
  records: DynamoDBRecord[];
  /** Undefined once a closed shard has been read to its end. */
  nextIterator: string | undefined;
}

export class DynamoDbStreamReader {
  readonly streamArn: string;
  readonly #client: DynamoDBStreamsClient;

  constructor(options: DynamoDbStreamReaderOptions) {
    this.streamArn = options.streamArn;
    this.#client = options.client ?? createDynamoDbStreamsClient(options.clientConfig);
  }

  async listShards(): Promise<StreamShard[]> {
    const shards: StreamShard[] = [];
    let start: string | undefined;
    do {
      const { StreamDescription: d } = await this.#client.send(
        new DescribeStreamCommand({ StreamArn: this.streamArn, ExclusiveStartShardId: start }),
      );
      for (const s of d?.Shards ?? []) {
        if (!s.ShardId) continue;
        shards.push(
          s.ParentShardId ? { shardId: s.ShardId, parentShardId: s.ParentShardId } : { shardId: s.ShardId },
        );
      }
      start = d?.LastEvaluatedShardId;
    } while (start);
    return shards;
  }

  async iterator(shardId: string, position: ShardPosition): Promise<string> {
    const res = await this.#client.send(
      new GetShardIteratorCommand({
        StreamArn: this.streamArn,
        ShardId: shardId,
        ShardIteratorType: position.type,
        ...('sequenceNumber' in position ? { SequenceNumber: position.sequenceNumber } : {}),
      }),
    );
    if (!res.ShardIterator) throw new Error(`${this.streamArn} ${shardId}: no shard iterator returned`);
    return res.ShardIterator;
  }

  async getRecords(iterator: string, limit: number, signal?: AbortSignal): Promise<StreamRead> {
    const res = await this.#client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }), {
      abortSignal: signal,
    });
    return {
      records: (res.Records ?? []).map((r) => this.#record(r)),
      nextIterator: res.NextShardIterator,
    };
  }

  #record(r: _Record): DynamoDBRecord {
    const d = r.dynamodb ?? {};
    const dynamodb: NonNullable<DynamoDBRecord['dynamodb']> = {};
    if (d.ApproximateCreationDateTime) {
      dynamodb.ApproximateCreationDateTime = Math.floor(d.ApproximateCreationDateTime.getTime() / 1000);
    }
    if (d.Keys) dynamodb.Keys = image(d.Keys);
    if (d.NewImage) dynamodb.NewImage = image(d.NewImage);
    if (d.OldImage) dynamodb.OldImage = image(d.OldImage);
    if (d.SequenceNumber) dynamodb.SequenceNumber = d.SequenceNumber;
    if (d.SizeBytes !== undefined) dynamodb.SizeBytes = d.SizeBytes;
    if (d.StreamViewType) dynamodb.StreamViewType = d.StreamViewType;
    const record: DynamoDBRecord = { dynamodb, eventSourceARN: this.streamArn };
    if (r.eventID) record.eventID = r.eventID;
    if (r.eventName) record.eventName = r.eventName;
    if (r.eventVersion) record.eventVersion = r.eventVersion;
    if (r.eventSource) record.eventSource = r.eventSource;
    if (r.awsRegion) record.awsRegion = r.awsRegion;
    if (r.userIdentity) record.userIdentity = r.userIdentity;
    return record;
  }
}

/** The iterator is older than 15 minutes (or otherwise unusable): get a new one. */
export function isExpiredIterator(err: unknown): boolean {
  return (err as Error | null)?.name === 'ExpiredIteratorException';
}

/** The records asked for have aged out of the stream's 24-hour window. */
export function isTrimmedData(err: unknown): boolean {
  return (err as Error | null)?.name === 'TrimmedDataAccessException';
}

function image(values: Record<string, AttributeValue>): Record<string, LambdaAttributeValue> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, attribute(v)]));
}

function attribute(v: AttributeValue): LambdaAttributeValue {
  if (v.B !== undefined) return { B: Buffer.from(v.B).toString('base64') };
  if (v.BS !== undefined) return { BS: v.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (v.L !== undefined) return { L: v.L.map(attribute) };
  if (v.M !== undefined) return { M: image(v.M) };
  return v as LambdaAttributeValue;
}
