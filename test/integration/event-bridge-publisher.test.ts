import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../shared/aws/event-bridge-publisher.ts';
import { putEventsEntrySize } from '../../shared/pipeline/put-events-batches.ts';
import { EventPublishError, type OutboundEvent } from '../../shared/ports/event-publisher.ts';
import { uniqueName, useEmulator } from '../support/moto.ts';

const emulator = useEmulator();
const busName = uniqueName('bus');
const SOURCE = 'fleetplane.test';
let events: EventBridgeClient;
let sqs: SQSClient;
let queueUrl: string;

/** Wraps a real client: entries for which `fault` names an error code fail with it instead of being sent. */
function faultyClient(fault: (entry: PutEventsRequestEntry, call: number) => string | undefined) {
  const calls: PutEventsRequestEntry[][] = [];
  const client = {
    async send(command: PutEventsCommand) {
      const entries = command.input.Entries ?? [];
      calls.push(entries);
      const faults = entries.map((e) => fault(e, calls.length));
      const pass = entries.filter((_, i) => faults[i] === undefined);
      const res =
        pass.length > 0 ? await events.send(new PutEventsCommand({ Entries: pass })) : { Entries: [] };
      const passed = [...(res.Entries ?? [])];
      return {
        FailedEntryCount: faults.filter(Boolean).length,
        Entries: faults.map((code) =>
          code === undefined ? passed.shift() : { ErrorCode: code, ErrorMessage: `injected ${code}` },
        ),
      };
    },
  };
  return { client: client as unknown as EventBridgeClient, calls };
}

function event(n: number, padding = 0): OutboundEvent {
  return { source: SOURCE, detailType: 'Test Event', detail: { n, padding: 'x'.repeat(padding) } };
}

function publisher(client: EventBridgeClient, delays: number[] = []) {
  return new EventBridgePublisher({
    eventBusName: busName,
    client,
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.5,
  });
}

/** Receives until `expected` messages arrived, plus one more receive so that extras show up too. */
async function receiveAll(expected: number): Promise<number[]> {
  const seen: number[] = [];
  const deadline = Date.now() + 10_000;
  let extraCheck = false;
  while ((seen.length < expected || !extraCheck) && Date.now() < deadline) {
    if (seen.length >= expected) extraCheck = true;
    const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    const messages = res.Messages ?? [];
    for (const m of messages) seen.push((JSON.parse(m.Body ?? '{}') as { detail: { n: number } }).detail.n);
    if (messages.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
        }),
      );
    }
  }
  return seen.sort((a, b) => a - b);
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from);

beforeAll(async () => {
  events = new EventBridgeClient(emulator.current.clientConfig);
  sqs = new SQSClient(emulator.current.clientConfig);
  await events.send(new CreateEventBusCommand({ Name: busName }));
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('events') }))).QueueUrl ?? '';
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  await events.send(
    new PutRuleCommand({
      Name: 'all',
      EventBusName: busName,
      EventPattern: JSON.stringify({ source: [SOURCE] }),
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: 'all',
      EventBusName: busName,
      Targets: [{ Id: 'queue', Arn: attrs.Attributes?.QueueArn ?? '' }],
    }),
  );
});

describe('EventBridgePublisher', () => {
  it('puts 25 events in 3 calls of at most 10 entries, and every one arrives', async () => {
    // Prepare
    const { client, calls } = faultyClient(() => undefined);

    // Act
    const summary = await publisher(client).putEvents(range(25).map((n) => event(n)));

    // Assess
    expect(calls.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(summary).toEqual({ sent: 25, calls: 3, retries: 0 });
    expect(await receiveAll(25)).toEqual(range(25));
  });

  it('splits calls by size as EventBridge measures entries, below 256 KiB per call', async () => {
    // Prepare: 100 KiB each, so two fit in a call and three do not.
    const { client, calls } = faultyClient(() => undefined);

    // Act
    const summary = await publisher(client).putEvents(range(5, 100).map((n) => event(n, 100 * 1024)));

    // Assess
    expect(calls.map((c) => c.length)).toEqual([2, 2, 1]);
    for (const call of calls) {
      const bytes = call.reduce(
        (sum, e) =>
          sum +
          putEventsEntrySize({
            source: e.Source ?? '',
            detailType: e.DetailType ?? '',
            detail: e.Detail ?? '',
          }),
        0,
      );
      expect(bytes).toBeLessThanOrEqual(256 * 1024);
    }
    expect(summary.sent).toBe(5);
    expect(await receiveAll(5)).toEqual(range(5, 100));
  });

  it('retries only the entries that failed with a retryable code, with backoff, until they arrive', async () => {
    // Prepare: entries 3 and 7 are throttled on the first call only.
    const { client, calls } = faultyClient((entry, call) =>
      call === 1 && [203, 207].includes(JSON.parse(entry.Detail ?? '{}').n)
        ? 'ThrottlingException'
        : undefined,
    );
    const delays: number[] = [];

    // Act
    const summary = await publisher(client, delays).putEvents(range(10, 200).map((n) => event(n)));

    // Assess
    expect(calls.map((c) => c.map((e) => JSON.parse(e.Detail ?? '{}').n))).toEqual([
      range(10, 200),
      [203, 207],
    ]);
    expect(summary).toEqual({ sent: 10, calls: 2, retries: 2 });
    expect(delays).toEqual([50]);
    expect(await receiveAll(10)).toEqual(range(10, 200));
  });

  it('throws naming the entries that failed for good, after sending the others', async () => {
    // Prepare: one entry is refused outright, one stays throttled, one is too large to send at all.
    const { client, calls } = faultyClient((entry) => {
      const n = JSON.parse(entry.Detail ?? '{}').n;
      return n === 301 ? 'AccessDeniedException' : n === 302 ? 'ThrottlingException' : undefined;
    });
    const input = [event(300), event(301), event(302), event(303, 300 * 1024), event(304)];

    // Act
    const error = await publisher(client)
      .putEvents(input)
      .catch((err: unknown) => err);

    // Assess
    expect(error).toBeInstanceOf(EventPublishError);
    const failures = (error as EventPublishError).failures;
    expect(failures.map((f) => [f.index, f.errorCode])).toEqual([
      [1, 'AccessDeniedException'],
      [2, 'ThrottlingException'],
      [3, 'EntryTooLarge'],
    ]);
    expect((error as Error).message).toContain('#2 Test Event (ThrottlingException');
    expect(calls).toHaveLength(6);
    expect(await receiveAll(2)).toEqual([300, 304]);
  });
});
