// The two pipeline functions and what feeds them:
//   bus ─rules─▶ TranslateQueue ─SQS event source─▶ translate ─▶ IR table
//   IR table ─stream─▶ build-snapshot ─▶ snapshot bucket, "Snapshot Published" ─▶ bus
// Each function gets only the grants its handler needs. Neither touches Secrets Manager: Secret
// data stays with the producers (see access-policies.ts) and snapshots carry only SDS names.

import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { type Code, FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../functions/shared/env.ts';
import { IR_STREAM_FILTER_PATTERNS } from '../../shared/aws/ir-table-layout.ts';
import { SNAPSHOT_BUCKET } from '../../shared/pipeline/definition.ts';
import { DEFAULT_CONTROLLER_NAME } from '../../shared/xds/types.ts';
import { StackConfigError } from '../errors.ts';
import { acknowledge, iam5Resource } from '../nag.ts';
import { PipelineFunction } from './pipeline-function.ts';
import { type NamedQueue, secureQueue } from './secure-queue.ts';
import { SNAPSHOT_PREFIX } from './snapshot-bucket.ts';
import { TranslatorRules } from './translator-rules.ts';

export const TRANSLATE_ENTRY = 'functions/translate/handler.ts';
export const BUILD_SNAPSHOT_ENTRY = 'functions/build-snapshot/handler.ts';

/** Stream consumption settings of build-snapshot. */
export interface BuildSnapshotStreamProps {
  /**
   * Records per invocation.
   *
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * How long Lambda gathers records before invoking; coalesces a burst of changes to one
   * Gateway into one snapshot version, at the price of that much latency.
   *
   * @default Duration.seconds(1)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Retries of a failing batch (after bisecting) before its records go to the on-failure queue.
   * Never infinite: a poison record would block its shard until the stream expires it.
   *
   * @default 5
   */
  readonly retryAttempts?: number;
}

export interface TranslatorFunctionsProps {
  readonly bus: IEventBus;
  readonly table: ITable;
  readonly bucket: IBucket;
  /** The bucket's SSE-KMS key. */
  readonly bucketKey: IKey;
  /**
   * Messages per translate invocation. Without a batching window SQS allows at most 10.
   *
   * @default 10
   */
  readonly translateBatchSize?: number;
  /**
   * Receives of a translate message before it moves to TranslateDlq.
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;
  readonly buildSnapshotStream?: BuildSnapshotStreamProps;
  /**
   * Delivery retry policy of every rule target, see TranslatorRulesProps.
   *
   * @default Duration.hours(1) and 20 attempts
   */
  readonly ruleMaxEventAge?: Duration;
  readonly ruleRetryAttempts?: number;
  /**
   * The GatewayClass controllerName that marks Gateways as ours (CONTROLLER_NAME).
   *
   * @default DEFAULT_CONTROLLER_NAME
   */
  readonly controllerName?: string;
  /** @default 'INFO' */
  readonly logLevel?: string;
  /**
   * Prebuilt code per function, instead of bundling the handler entries; for tests.
   *
   * @default - functions/<name>/handler.ts bundled by esbuild
   */
  readonly code?: { readonly translate?: Code; readonly buildSnapshot?: Code };
}

export class TranslatorFunctions extends Construct {
  readonly translate: PipelineFunction;
  readonly buildSnapshot: PipelineFunction;
  readonly translateQueue: Queue;
  readonly translateDlq: Queue;
  readonly buildSnapshotFailures: Queue;
  readonly rules: TranslatorRules;
  /** Every dead-letter queue and failure destination here, for alarms. */
  readonly deadLetterQueues: NamedQueue[];
  /** The environment both handlers receive (besides the Powertools variables); names from functions/shared/env.ts. */
  readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, props: TranslatorFunctionsProps) {
    super(scope, id);
    const translateBatchSize = props.translateBatchSize ?? 10;
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    const stream = props.buildSnapshotStream ?? {};
    const streamBatchSize = stream.batchSize ?? 100;
    const streamRetryAttempts = stream.retryAttempts ?? 5;
    this.validate({ translateBatchSize, maxReceiveCount, streamBatchSize, streamRetryAttempts });

    this.environment = {
      [ENV.irTableName]: props.table.tableName,
      [ENV.snapshotBucketName]: props.bucket.bucketName,
      [ENV.eventBusName]: props.bus.eventBusName,
      [ENV.controllerName]: props.controllerName ?? DEFAULT_CONTROLLER_NAME,
    };

    // translate: rules → queue → function.
    const translateTimeout = Duration.seconds(30);
    this.translateDlq = secureQueue(this, 'TranslateDlq');
    this.translateQueue = secureQueue(this, 'TranslateQueue', {
      // AWS's guidance for an SQS event source: six times the function timeout, so a message is
      // not redelivered while a throttled invocation still holds it.
      visibilityTimeout: Duration.seconds(translateTimeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.translateDlq, maxReceiveCount },
    });
    this.rules = new TranslatorRules(this, 'Rules', {
      bus: props.bus,
      queue: this.translateQueue,
      ...(props.ruleMaxEventAge ? { maxEventAge: props.ruleMaxEventAge } : {}),
      ...(props.ruleRetryAttempts !== undefined ? { retryAttempts: props.ruleRetryAttempts } : {}),
    });
    this.translate = new PipelineFunction(this, 'Translate', {
      entry: TRANSLATE_ENTRY,
      serviceName: 'translate',
      description: 'Kubernetes change events to IR items',
      environment: this.environment,
      timeout: translateTimeout,
      memorySize: 512,
      ...(props.logLevel ? { logLevel: props.logLevel } : {}),
      ...(props.code?.translate ? { code: props.code.translate } : {}),
    });
    this.translate.function.addEventSource(
      new SqsEventSource(this.translateQueue, {
        batchSize: translateBatchSize,
        reportBatchItemFailures: true,
      }),
    );
    props.table.grantReadWriteData(this.translate.function);
    this.grantClaimCheckRead(props);

    // build-snapshot: stream → function → bucket and bus.
    this.buildSnapshotFailures = secureQueue(this, 'BuildSnapshotFailures');
    this.buildSnapshot = new PipelineFunction(this, 'BuildSnapshot', {
      entry: BUILD_SNAPSHOT_ENTRY,
      serviceName: 'build-snapshot',
      description: 'IR changes to versioned xDS snapshots in S3',
      environment: this.environment,
      timeout: Duration.seconds(60),
      memorySize: 1024,
      ...(props.logLevel ? { logLevel: props.logLevel } : {}),
      ...(props.code?.buildSnapshot ? { code: props.code.buildSnapshot } : {}),
    });
    this.buildSnapshot.function.addEventSource(
      new DynamoEventSource(props.table, {
        // From the oldest record, so the first deployment builds snapshots for existing IR.
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: streamBatchSize,
        maxBatchingWindow: stream.maxBatchingWindow ?? Duration.seconds(1),
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: streamRetryAttempts,
        onFailure: new SqsDlq(this.buildSnapshotFailures),
        // Only IR item records invoke it; its own bookkeeping and status writes do not.
        filters: IR_STREAM_FILTER_PATTERNS.map((pattern) => FilterCriteria.filter(pattern)),
      }),
    );
    acknowledge(
      this.buildSnapshot.role,
      'AwsSolutions-IAM5[Resource::*]',
      'dynamodb:ListStreams, added by the DynamoDB event source, has no resource-level permissions ' +
        '(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html).',
    );
    props.table.grantReadWriteData(this.buildSnapshot.function);
    props.bus.grantPutEventsTo(this.buildSnapshot.function);
    this.grantSnapshotPublish(props);

    this.deadLetterQueues = [
      { name: 'TranslateDlq', queue: this.translateDlq },
      ...this.rules.deadLetterQueues,
      { name: 'BuildSnapshotFailures', queue: this.buildSnapshotFailures },
    ];
    for (const { queue } of this.deadLetterQueues) {
      if (queue === this.translateDlq) continue;
      acknowledge(
        queue,
        'AwsSolutions-SQS3',
        'This queue is itself a dead-letter queue (an EventBridge target DLQ or a Lambda on-failure ' +
          "destination); SQS3 only recognises DLQs named in another queue's RedrivePolicy.",
      );
    }
  }

  /** translate reads claim-checked objects: GetObject under `claim-check/` only. */
  private grantClaimCheckRead(props: TranslatorFunctionsProps): void {
    const objects = props.bucket.arnForObjects(`${SNAPSHOT_BUCKET.claimCheckPrefix}*`);
    this.translate.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [objects] }),
    );
    props.bucketKey.grant(this.translate.role, 'kms:Decrypt');
    acknowledge(
      this.translate.role,
      iam5Resource(this, objects),
      'Claim-checked objects have producer-chosen keys under the claim-check/ prefix; the wildcard ' +
        'is limited to that prefix and to s3:GetObject.',
    );
  }

  /**
   * build-snapshot reads and writes objects under `clusters/` (conditional PutObject with
   * If-None-Match / If-Match) and may list the bucket: without s3:ListBucket, S3 answers a GET of
   * a missing `latest.json` with 403 instead of 404, and the first publish would fail.
   */
  private grantSnapshotPublish(props: TranslatorFunctionsProps): void {
    const objects = props.bucket.arnForObjects(`${SNAPSHOT_PREFIX}*`);
    const role = this.buildSnapshot.role;
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [objects] }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }),
    );
    props.bucketKey.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    acknowledge(
      role,
      iam5Resource(this, objects),
      'Snapshot keys are clusters/<clusterId>/gateways/<ns>/<name>/..., one set per Gateway and ' +
        'version, so only a prefix wildcard can name them; limited to clusters/ and Get/PutObject.',
    );
  }

  private validate(v: {
    translateBatchSize: number;
    maxReceiveCount: number;
    streamBatchSize: number;
    streamRetryAttempts: number;
  }): void {
    const check = (ok: boolean, message: string) => {
      if (!ok) throw new StackConfigError(`TranslatorFunctions ${this.node.path}: ${message}`);
    };
    const whole = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;
    check(
      whole(v.translateBatchSize, 1, 10),
      `translateBatchSize is ${v.translateBatchSize}; an SQS event source without a batching window takes 1 to 10`,
    );
    check(
      whole(v.maxReceiveCount, 1, 1000),
      `maxReceiveCount is ${v.maxReceiveCount}; SQS accepts 1 to 1000, e.g. 5`,
    );
    check(
      whole(v.streamBatchSize, 1, 10_000),
      `buildSnapshotStream.batchSize is ${v.streamBatchSize}; a DynamoDB stream source takes 1 to 10000`,
    );
    check(
      whole(v.streamRetryAttempts, 0, 10_000),
      `buildSnapshotStream.retryAttempts is ${v.streamRetryAttempts}; use 0 to 10000 (never -1, infinite ` +
        'retries would block the shard behind a poison record)',
    );
  }
}
