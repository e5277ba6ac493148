// Lambda's event source mappings, in process: the bridge that lets the local runtime call the real
// function handlers with events read through the real AWS APIs, because the emulators cannot run
// Lambda functions without Docker. Only the behaviour the handlers depend on is reproduced:
//
// SQS: long-poll ReceiveMessage (batch ≤ 10), invoke with an `SQSEvent`, delete the messages not
//   named in `batchItemFailures` and leave the others to become visible again after the queue's
//   visibility timeout; SQS itself counts receives and moves a message to the dead-letter queue
//   after maxReceiveCount. A handler that throws, or names a message not in the batch, fails the
//   whole batch.
// DynamoDB Streams: DescribeStream → one consumer per shard (children after their parent) →
//   GetShardIterator (the starting position, then the iterators GetRecords hands back) → GetRecords,
//   gathering records that pass the filters until the batch is full or the batching window has
//   passed since the first one. On `batchItemFailures` (or a throw) the shard is re-read from the
//   lowest failed sequence number, as Lambda's checkpointing does; after `retryAttempts` retries
//   the batch is described to the on-failure destination and skipped.
//
// Not reproduced: bisect-on-error (the build-snapshot handler reports item failures, so the
// checkpoint already isolates the failing cluster), function timeouts (a handler runs to the end),
// and concurrency scaling (a fixed number of SQS pollers, one batch at a time per shard, which is
// Lambda's default ParallelizationFactor of 1).

import { randomUUID } from 'node:crypto';
import type {
  Context,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  SQSBatchResponse,
  SQSEvent,
  SQSRecord,
} from 'aws-lambda';
import type { ShardPosition, StreamRead, StreamShard } from '../../shared/aws/dynamodb-stream-reader.ts';
import type { ReceiveOptions } from '../../shared/aws/sqs-queue.ts';
import { FleetplaneError } from '../../shared/errors.ts';

export type FunctionHandler<E, R> = (event: E, context: Context) => Promise<R>;

export interface SqsSource {
  readonly queueArn: string;
  receive(options: ReceiveOptions): Promise<SQSRecord[]>;
  delete(records: readonly SQSRecord[]): Promise<void>;
}

export interface StreamSource {
  readonly streamArn: string;
  listShards(): Promise<StreamShard[]>;
  iterator(shardId: string, position: ShardPosition): Promise<string>;
  getRecords(iterator: string, limit: number, signal?: AbortSignal): Promise<StreamRead>;
}

export class EventSourceMappingError extends FleetplaneError {}

interface MappingHooks<I> {
  /** After every invocation; for tests, benchmarks and logs. */
  onInvoke?: (invocation: I) => void;
  /** Errors of the mapping itself and of handlers that throw; the mapping keeps polling. */
  onError?: (err: Error) => void;
}

export interface SqsInvocation {
  messageIds: string[];
  /** Messages left on the queue for redelivery. */
  failed: string[];
  error?: Error;
}

export interface SqsEventSourceMappingOptions extends MappingHooks<SqsInvocation> {
  functionName: string;
  queue: SqsSource;
  handler: FunctionHandler<SQSEvent, SQSBatchResponse | undefined>;
  /** Messages per invocation, 1 to 10. Default: 10. */
  batchSize?: number;
  /** Pollers, each invoking one batch at a time. Default: 2, Lambda's lowest maximum concurrency. */
  pollers?: number;
  /** Long-poll wait. Default: 20 s (a stop aborts it). */
  waitTimeSeconds?: number;
  /** What `context.getRemainingTimeInMillis()` counts down from; not enforced. Default: 30 s. */
  functionTimeoutMs?: number;
}

export class SqsEventSourceMapping {
  readonly #options: SqsEventSourceMappingOptions;
  #controller: AbortController | undefined;
  #running: Promise<unknown> | undefined;

  constructor(options: SqsEventSourceMappingOptions) {
    const batchSize = options.batchSize ?? 10;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) {
      throw new EventSourceMappingError(
        `${options.functionName}: batchSize is ${batchSize}; SQS takes 1 to 10`,
      );
    }
    this.#options = options;
  }

  start(): void {
    if (this.#controller) return;
    const controller = new AbortController();
    this.#controller = controller;
    const pollers = Math.max(1, this.#options.pollers ?? 2);
    this.#running = Promise.all(Array.from({ length: pollers }, () => this.#poll(controller.signal)));
  }

  /** Stops polling; an invocation under way finishes (and its messages are deleted) first. */
  async stop(): Promise<void> {
    this.#controller?.abort();
    await this.#running;
  }

  async #poll(signal: AbortSignal): Promise<void> {
    const o = this.#options;
    while (!signal.aborted) {
      let records: SQSRecord[];
      try {
        records = await o.queue.receive({
          maxMessages: o.batchSize ?? 10,
          waitTimeSeconds: o.waitTimeSeconds ?? 20,
          signal,
        });
      } catch (err) {
        if (signal.aborted) return;
        o.onError?.(wrap(`${o.functionName}: ReceiveMessage failed`, err));
        await sleep(1000, signal);
        continue;
      }
      if (records.length === 0) continue;

      const invocation = await this.#invoke(records);
      const done = records.filter((r) => !invocation.failed.includes(r.messageId));
      if (done.length > 0) {
        try {
          await o.queue.delete(done);
        } catch (err) {
          o.onError?.(wrap(`${o.functionName}: DeleteMessageBatch failed`, err));
        }
      }
      hook(o.onInvoke, invocation, o.onError);
    }
  }

  async #invoke(records: SQSRecord[]): Promise<SqsInvocation> {
    const o = this.#options;
    const messageIds = records.map((r) => r.messageId);
    try {
      const context = lambdaContext(o.functionName, o.queue.queueArn, o.functionTimeoutMs ?? 30_000);
      const response = await o.handler({ Records: records }, context);
      const failed = (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
      if (failed.some((id) => !messageIds.includes(id))) {
        const error = new EventSourceMappingError(
          `${o.functionName}: batchItemFailures names a message not in the batch; the whole batch fails`,
        );
        o.onError?.(error);
        return { messageIds, failed: messageIds, error };
      }
      return { messageIds, failed };
    } catch (err) {
      const error = wrap(`${o.functionName}: the handler threw; the whole batch fails`, err);
      o.onError?.(error);
      return { messageIds, failed: messageIds, error };
    }
  }
}

export interface StreamInvocation {
  shardId: string;
  sequenceNumbers: string[];
  /** The string partition key (`Keys.pk.S`) of each record, in the same order, for logs and tests. */
  partitionKeys: string[];
  /** The sequence number the shard is re-read from; undefined when the batch succeeded. */
  retryFrom?: string;
  error?: Error;
}

/** What Lambda sends an on-failure destination for a stream batch it gave up on (abridged). */
export interface StreamBatchFailure {
  version: '1.0';
  timestamp: string;
  requestContext: {
    functionName: string;
    condition: 'RetryAttemptsExhausted';
    approximateInvokeCount: number;
  };
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    batchSize: number;
    streamArn: string;
  };
}

export interface StreamEventSourceMappingOptions extends MappingHooks<StreamInvocation> {
  functionName: string;
  stream: StreamSource;
  handler: FunctionHandler<DynamoDBStreamEvent, DynamoDBBatchResponse | undefined>;
  /** Where the shards open at start are read from. Default: TRIM_HORIZON. */
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** Records per invocation. Default: 100. */
  batchSize?: number;
  /** How long records are gathered after the first one. Default: 1000 ms. */
  maxBatchingWindowMs?: number;
  /** Retries of a failing batch before it goes to `onFailure` and is skipped. Default: 5. */
  retryAttempts?: number;
  /** Lambda filter patterns (exact values only); records matching none never reach the handler. */
  filters?: ReadonlyArray<Record<string, unknown>>;
  onFailure?: (failure: StreamBatchFailure) => Promise<void>;
  /** Pause after a GetRecords call that returned nothing. Default: 250 ms (Lambda polls 4 times a second). */
  pollIntervalMs?: number;
  /** How often DescribeStream looks for new shards. Default: 30 s. */
  shardDiscoveryIntervalMs?: number;
  /** What `context.getRemainingTimeInMillis()` counts down from; not enforced. Default: 60 s. */
  functionTimeoutMs?: number;
}

export class StreamEventSourceMapping {
  readonly #options: StreamEventSourceMappingOptions;
  readonly #consumers = new Map<string, Promise<void>>();
  readonly #finished = new Set<string>();
  #controller: AbortController | undefined;
  #discovery: Promise<void> | undefined;

  constructor(options: StreamEventSourceMappingOptions) {
    for (const pattern of options.filters ?? []) assertExactPattern(pattern, options.functionName);
    this.#options = options;
  }

  start(): void {
    if (this.#controller) return;
    this.#controller = new AbortController();
    this.#discovery = this.#discover(this.#controller.signal);
  }

  /** Stops reading; an invocation under way finishes first. */
  async stop(): Promise<void> {
    this.#controller?.abort();
    await this.#discovery;
    await Promise.all(this.#consumers.values());
  }

  async #discover(signal: AbortSignal): Promise<void> {
    const o = this.#options;
    let initial = true;
    while (!signal.aborted) {
      try {
        const shards = await o.stream.listShards();
        const listed = new Set(shards.map((s) => s.shardId));
        for (const shard of shards) {
          if (this.#consumers.has(shard.shardId)) continue;
          // A child shard waits until its parent has been read to its end, so per-key order holds.
          const parent = shard.parentShardId;
          if (parent && listed.has(parent) && !this.#finished.has(parent)) continue;
          const start: ShardPosition = {
            type: initial ? (o.startingPosition ?? 'TRIM_HORIZON') : 'TRIM_HORIZON',
          };
          const consumer = this.#consume(shard.shardId, start, signal).then(
            () => {
              if (!signal.aborted) this.#finished.add(shard.shardId);
            },
            (err) => o.onError?.(wrap(`${o.functionName}: shard ${shard.shardId} stopped`, err)),
          );
          this.#consumers.set(shard.shardId, consumer);
        }
        initial = false;
      } catch (err) {
        o.onError?.(wrap(`${o.functionName}: DescribeStream failed`, err));
      }
      await sleep(o.shardDiscoveryIntervalMs ?? 30_000, signal);
    }
  }

  async #consume(shardId: string, start: ShardPosition, signal: AbortSignal): Promise<void> {
    const o = this.#options;
    const batchSize = o.batchSize ?? 100;
    const windowMs = o.maxBatchingWindowMs ?? 1000;
    const pollMs = o.pollIntervalMs ?? 250;
    /**
     * Where reading resumes if the iterator is lost: after the last record done with (handled,
     * filtered out, or given up on), or at the first record of a batch that is being retried.
     */
    let position: ShardPosition = start;
    const doneWith = (sequenceNumber: string | undefined) => {
      if (sequenceNumber) position = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber };
    };
    let failing: { from: string; attempts: number } | undefined;

    let iterator: string | undefined = await this.#acquire(shardId, start, signal);
    while (iterator !== undefined && !signal.aborted) {
      const batch: DynamoDBRecord[] = [];
      let lastRead: string | undefined;
      let deadline: number | undefined;
      try {
        for (;;) {
          const read: StreamRead = await o.stream.getRecords(iterator, batchSize - batch.length, signal);
          iterator = read.nextIterator;
          for (const record of read.records) {
            lastRead = record.dynamodb?.SequenceNumber ?? lastRead;
            if (!matchesAny(record, o.filters)) continue;
            batch.push(record);
            deadline ??= Date.now() + windowMs;
          }
          if (batch.length >= batchSize || iterator === undefined || signal.aborted) break;
          if (deadline !== undefined && Date.now() >= deadline) break;
          if (read.records.length === 0) {
            await sleep(deadline === undefined ? pollMs : Math.min(pollMs, deadline - Date.now()), signal);
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        // Expired iterators and transient errors alike: drop the partial batch, resume after the checkpoint.
        o.onError?.(wrap(`${o.functionName}: GetRecords on ${shardId} failed; resuming`, err));
        await sleep(1000, signal);
        iterator = await this.#acquire(shardId, position, signal);
        continue;
      }
      if (signal.aborted) return;
      if (batch.length === 0) {
        doneWith(lastRead);
        continue;
      }

      const invocation = await this.#invoke(shardId, batch);
      hook(o.onInvoke, invocation, o.onError);
      if (invocation.retryFrom === undefined) {
        doneWith(lastRead);
        failing = undefined;
        continue;
      }
      failing =
        failing?.from === invocation.retryFrom
          ? { from: failing.from, attempts: failing.attempts + 1 }
          : { from: invocation.retryFrom, attempts: 1 };
      if (failing.attempts > (o.retryAttempts ?? 5)) {
        await this.#giveUp(shardId, batch, failing);
        doneWith(lastRead);
        failing = undefined;
        continue;
      }
      position = { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: invocation.retryFrom };
      await sleep(Math.min(5000, 250 * 2 ** (failing.attempts - 1)), signal);
      if (signal.aborted) return;
      iterator = await this.#acquire(shardId, position, signal);
    }
  }

  async #invoke(shardId: string, batch: DynamoDBRecord[]): Promise<StreamInvocation> {
    const o = this.#options;
    const sequenceNumbers = batch.map((r) => r.dynamodb?.SequenceNumber ?? '');
    const partitionKeys = batch.map((r) => r.dynamodb?.Keys?.pk?.S ?? '');
    const invocation: StreamInvocation = { shardId, sequenceNumbers, partitionKeys };
    try {
      const context = lambdaContext(o.functionName, o.stream.streamArn, o.functionTimeoutMs ?? 60_000);
      const response = await o.handler({ Records: batch }, context);
      const failed = (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
      if (failed.length === 0) return invocation;
      if (failed.some((id) => !sequenceNumbers.includes(id))) {
        invocation.error = new EventSourceMappingError(
          `${o.functionName}: batchItemFailures names a sequence number not in the batch; the whole batch is retried`,
        );
        invocation.retryFrom = sequenceNumbers[0];
      } else {
        invocation.retryFrom = sequenceNumbers.find((seq) => failed.includes(seq));
      }
    } catch (err) {
      invocation.error = wrap(`${o.functionName}: the handler threw; the whole batch is retried`, err);
      invocation.retryFrom = sequenceNumbers[0];
    }
    if (invocation.error) o.onError?.(invocation.error);
    return invocation;
  }

  async #giveUp(shardId: string, batch: DynamoDBRecord[], failing: { from: string; attempts: number }) {
    const o = this.#options;
    const from = batch.findIndex((r) => r.dynamodb?.SequenceNumber === failing.from);
    const failed = batch.slice(Math.max(0, from));
    const failure: StreamBatchFailure = {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: {
        functionName: o.functionName,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: failing.attempts,
      },
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: failing.from,
        endSequenceNumber: failed.at(-1)?.dynamodb?.SequenceNumber ?? failing.from,
        batchSize: failed.length,
        streamArn: o.stream.streamArn,
      },
    };
    o.onError?.(
      new EventSourceMappingError(
        `${o.functionName}: gave up on ${shardId} records ${failure.DDBStreamBatchInfo.startSequenceNumber}..` +
          `${failure.DDBStreamBatchInfo.endSequenceNumber} after ${failing.attempts} attempts`,
      ),
    );
    try {
      await o.onFailure?.(failure);
    } catch (err) {
      o.onError?.(wrap(`${o.functionName}: the on-failure destination failed`, err));
    }
  }

  /** A shard iterator, retried until it is had or the mapping stops. */
  async #acquire(shardId: string, position: ShardPosition, signal: AbortSignal): Promise<string | undefined> {
    while (!signal.aborted) {
      try {
        return await this.#options.stream.iterator(shardId, position);
      } catch (err) {
        this.#options.onError?.(
          wrap(`${this.#options.functionName}: GetShardIterator on ${shardId} failed`, err),
        );
        await sleep(1000, signal);
      }
    }
    return undefined;
  }
}

/** A Lambda context for one invocation; ARN parts come from the event source's ARN. */
export function lambdaContext(functionName: string, sourceArn: string, timeoutMs: number): Context {
  const [, , , region = 'us-east-1', account = '000000000000'] = sourceArn.split(':');
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Lambda event filtering, for patterns made of nested objects and lists of exact values. */
export function matchesAny(
  record: unknown,
  patterns: ReadonlyArray<Record<string, unknown>> | undefined,
): boolean {
  if (!patterns || patterns.length === 0) return true;
  return patterns.some((pattern) => matches(record, pattern));
}

function matches(value: unknown, pattern: Record<string, unknown>): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = (value as Record<string, unknown>)[key];
    return Array.isArray(expected)
      ? expected.includes(actual)
      : matches(actual, expected as Record<string, unknown>);
  });
}

function assertExactPattern(pattern: Record<string, unknown>, functionName: string, path = ''): void {
  for (const [key, expected] of Object.entries(pattern)) {
    const where = `${path}${key}`;
    if (Array.isArray(expected)) {
      if (expected.some((v) => typeof v === 'object' && v !== null)) {
        throw new EventSourceMappingError(
          `${functionName}: filter ${where} uses a content filter; the local mapping supports exact values only`,
        );
      }
    } else if (typeof expected === 'object' && expected !== null) {
      assertExactPattern(expected as Record<string, unknown>, functionName, `${where}.`);
    } else {
      throw new EventSourceMappingError(
        `${functionName}: filter ${where} must be an object or a list of values`,
      );
    }
  }
}

/** Calls a caller's hook; a hook that throws is reported, never allowed to stop a poller or shard. */
function hook<I>(fn: ((invocation: I) => void) | undefined, invocation: I, onError?: (err: Error) => void) {
  try {
    fn?.(invocation);
  } catch (err) {
    try {
      onError?.(wrap('an onInvoke hook threw', err));
    } catch {
      // Nothing left to report to.
    }
  }
}

function wrap(message: string, err: unknown): Error {
  const cause = err instanceof Error ? err : new Error(String(err));
  return new EventSourceMappingError(`${message}: ${cause.message}`, { cause });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
