// The one way this app creates an SQS queue: SSE-SQS encryption and a TLS-only queue policy,
// always. SSE-SQS rather than a KMS key because EventBridge and Lambda then need no key grants
// to deliver to it, and nothing on these queues is secret (Secrets never travel on the bus).

import { Duration } from 'aws-cdk-lib';
import { type DeadLetterQueue, type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface SecureQueueProps {
  /**
   * How long a received message stays invisible; must cover the consumer's timeout.
   *
   * @default Duration.seconds(30)
   */
  readonly visibilityTimeout?: Duration;
  /**
   * How long a message is kept.
   *
   * @default Duration.days(14), the SQS maximum, so dead letters wait for a redrive
   */
  readonly retentionPeriod?: Duration;
  /**
   * Where messages go after `maxReceiveCount` failed receives.
   *
   * @default - none: the queue is itself a dead-letter queue or a failure destination
   */
  readonly deadLetterQueue?: DeadLetterQueue;
}

export function secureQueue(scope: Construct, id: string, props: SecureQueueProps = {}): Queue {
  return new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    visibilityTimeout: props.visibilityTimeout ?? Duration.seconds(30),
    retentionPeriod: props.retentionPeriod ?? Duration.days(14),
    ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
  });
}

/** A dead-letter queue to alarm on, with the name the alarm and the docs use for it. */
export interface NamedQueue {
  /** Construct-id-safe name, e.g. `TranslateDlq`; the alarm id derives from it. */
  readonly name: string;
  readonly queue: IQueue;
}
