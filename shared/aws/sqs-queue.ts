// One SQS queue as an event source reads it: ReceiveMessage (long poll) returning records in the
// shape Lambda hands to a function (`SQSRecord`), DeleteMessageBatch for the records a function
// processed, and SendMessage for failure destinations. Used by the local runtime's event source
// mappings; in AWS, Lambda's own pollers do this.

import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';
import type { SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { FleetplaneError } from '../errors.ts';
import { createSqsClient } from './clients.ts';

export interface SqsQueueOptions {
  queueUrl: string;
  /** Stamped on every record as `eventSourceARN`; its region becomes `awsRegion`. */
  queueArn: string;
  /** Your own client; one is built from `clientConfig` otherwise. */
  client?: SQSClient;
  clientConfig?: SQSClientConfig;
}

export interface ReceiveOptions {
  /** 1 to 10. */
  maxMessages: number;
  /** Long poll, 0 to 20 s. */
  waitTimeSeconds: number;
  /** Overrides the queue's visibility timeout for these messages. */
  visibilityTimeoutSeconds?: number;
  signal?: AbortSignal;
}

export class SqsQueueError extends FleetplaneError {}

const DELETE_BATCH_MAX = 10;

export class SqsQueue {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly #region: string;
  readonly #client: SQSClient;

  constructor(options: SqsQueueOptions) {
    this.queueUrl = options.queueUrl;
    this.queueArn = options.queueArn;
    this.#region = options.queueArn.split(':')[3] ?? '';
    this.#client = options.client ?? createSqsClient(options.clientConfig);
  }

  async receive(options: ReceiveOptions): Promise<SQSRecord[]> {
    const res = await this.#client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: options.maxMessages,
        WaitTimeSeconds: options.waitTimeSeconds,
        VisibilityTimeout: options.visibilityTimeoutSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: options.signal },
    );
    return (res.Messages ?? []).map((m) => this.#record(m));
  }

  /** Deletes the records' messages; throws naming any the queue did not delete. */
  async delete(records: readonly Pick<SQSRecord, 'messageId' | 'receiptHandle'>[]): Promise<void> {
    const failed: string[] = [];
    for (let i = 0; i < records.length; i += DELETE_BATCH_MAX) {
      const res = await this.#client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: records.slice(i, i + DELETE_BATCH_MAX).map((r, j) => ({
            Id: String(j),
            ReceiptHandle: r.receiptHandle,
          })),
        }),
      );
      for (const f of res.Failed ?? []) failed.push(`${f.Id}: ${f.Code} ${f.Message ?? ''}`);
    }
    if (failed.length > 0) {
      throw new SqsQueueError(
        `${this.queueArn}: ${failed.length} message(s) not deleted: ${failed.join('; ')}`,
      );
    }
  }

  async send(body: string): Promise<void> {
    await this.#client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body }));
  }

  #record(m: Message): SQSRecord {
    const a = m.Attributes ?? {};
    const attributes: SQSRecord['attributes'] = {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
      SentTimestamp: a.SentTimestamp ?? '0',
      SenderId: a.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? '0',
    };
    for (const key of [
      'AWSTraceHeader',
      'SequenceNumber',
      'MessageGroupId',
      'MessageDeduplicationId',
    ] as const) {
      const value = a[key];
      if (value !== undefined) attributes[key] = value;
    }
    const record: SQSRecord = {
      messageId: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      attributes,
      messageAttributes: lambdaMessageAttributes(m.MessageAttributes),
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.queueArn,
      awsRegion: this.#region,
    };
    if (m.MD5OfMessageAttributes) record.md5OfMessageAttributes = m.MD5OfMessageAttributes;
    return record;
  }
}

/** The SDK's `StringValue`/`BinaryValue` (bytes) as Lambda's `stringValue`/`binaryValue` (base64). */
function lambdaMessageAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, v] of Object.entries(attributes ?? {})) {
    out[name] = {
      dataType: v.DataType ?? 'String',
      ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
      ...(v.BinaryValue !== undefined ? { binaryValue: Buffer.from(v.BinaryValue).toString('base64') } : {}),
    };
  }
  return out;
}
