// "Snapshot Published" notifications from an SQS queue: an EventBridge rule on the pipeline's bus
// (source fleetplane.snapshots, detail-type "Snapshot Published") targets the queue, and the relay
// long-polls it. Each message makes the source look at the gateway it names at once; messages are
// deleted once that look is done (a failed load is the source's to retry, not the queue's), and
// messages that are not such events are deleted too, counted and shown in status. SQS hands each
// message to one consumer, so every relay needs its own queue (one rule target per relay, or an SNS
// topic fanning out); relays sharing a queue would each see only part of the events, and fall back
// on their poll for the rest. Receive failures back off and are shown in status; polling goes on.

import { SqsQueue, type SqsQueueOptions } from '../../../shared/aws/sqs-queue.ts';
import { nodeCluster } from '../../../shared/snapshot/layout.ts';
import type { Logger } from '../../common/log.ts';
import { backoffDelay } from '../backoff.ts';
import { RelayConfigError } from '../errors.ts';
import {
  type NotificationReceiver,
  type NotificationTarget,
  type NotifiedGateway,
  parseNotification,
} from './notifications.ts';

export interface SqsNotificationOptions {
  queueUrl: string;
  /** Your own client; one is built from `clientConfig` otherwise (AWS_ENDPOINT_URL honoured). */
  client?: SqsQueueOptions['client'];
  clientConfig?: SqsQueueOptions['clientConfig'];
  /** Long-poll wait, 0 to 20 s. Default 20. */
  waitTimeSeconds?: number;
  /** Backoff after a failed receive. Default 1 s doubling to 30 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  log: Logger;
}

export class SqsNotificationReceiver implements NotificationReceiver {
  readonly via = 'sqs';
  readonly description: string;
  readonly #queue: SqsQueue;
  readonly #options: SqsNotificationOptions;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: SqsNotificationOptions) {
    this.#options = options;
    this.description = `sqs:${options.queueUrl}`;
    this.#queue = new SqsQueue({
      queueUrl: options.queueUrl,
      queueArn: queueArnOf(options.queueUrl),
      ...(options.client ? { client: options.client } : {}),
      ...(options.clientConfig ? { clientConfig: options.clientConfig } : {}),
    });
  }

  async start(target: NotificationTarget): Promise<void> {
    this.#abort = new AbortController();
    this.#loop = this.#run(target, this.#abort.signal);
    this.#options.log.info('listening for snapshot notifications', { queue: this.#options.queueUrl });
  }

  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#loop;
    this.#loop = undefined;
  }

  async #run(target: NotificationTarget, signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        const records = await this.#queue.receive({
          maxMessages: 10,
          waitTimeSeconds: this.#options.waitTimeSeconds ?? 20,
          signal,
        });
        failures = 0;
        if (records.length === 0) continue;
        const targets = new Map<string, NotifiedGateway>();
        let all = false;
        for (const record of records) {
          const parsed = parseBody(record.body);
          if (!parsed.valid)
            target.notificationIgnored(this.via, `message ${record.messageId}: ${parsed.error}`);
          else if (parsed.target)
            targets.set(nodeCluster(parsed.target.clusterId, parsed.target.gateway), parsed.target);
          else all = true;
        }
        if (all) await target.notify(this.via);
        else await Promise.all([...targets.values()].map((t) => target.notify(this.via, t)));
        await this.#queue.delete(records);
      } catch (error) {
        if (signal.aborted) break;
        failures++;
        target.notificationFailed(this.via, error);
        await sleep(
          backoffDelay(failures, {
            baseMs: this.#options.retryBaseMs ?? 1_000,
            maxMs: this.#options.retryMaxMs ?? 30_000,
          }),
          signal,
        );
      }
    }
  }
}

function parseBody(body: string): ReturnType<typeof parseNotification> {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    return { valid: false, error: `body: not JSON (${(error as Error).message})` };
  }
  // An event with no detail would mean "everything"; from a queue that is never meant.
  if (value === null || typeof value !== 'object' || Object.keys(value).length === 0)
    return { valid: false, error: 'body: expected a "Snapshot Published" event' };
  return parseNotification(value);
}

/**
 * The queue's ARN from its URL (https://sqs.<region>.amazonaws.com/<account>/<name>, or an
 * emulator's http://host:port/<account>/<name>); only stamped on records for logs.
 */
function queueArnOf(queueUrl: string): string {
  let url: URL;
  try {
    url = new URL(queueUrl);
  } catch {
    throw new RelayConfigError(
      `--notify-queue ${JSON.stringify(queueUrl)}: expected a queue URL, e.g. https://sqs.eu-west-1.amazonaws.com/123456789012/relay-notify`,
    );
  }
  const [account, name] = url.pathname.split('/').filter((p) => p !== '');
  if (!account || !name)
    throw new RelayConfigError(
      `--notify-queue ${JSON.stringify(queueUrl)}: expected a queue URL ending in /<account>/<queue name>`,
    );
  const region = /^sqs\.([a-z0-9-]+)\./.exec(url.hostname)?.[1] ?? 'unknown';
  return `arn:aws:sqs:${region}:${account}:${name}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
