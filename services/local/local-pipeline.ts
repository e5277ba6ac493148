// The pipeline on an emulator, in one process: provisions what the CDK stack defines (from
// shared/pipeline/definition.ts, through shared/aws/provision.ts), builds the real handlers of the
// translate and build-snapshot functions with the real AWS adapters pointed at the emulator, and
// connects them with the event source mappings of event-source-mappings.ts. Snapshot Published
// events reach the caller through a queue of their own, read the same way.
//
// Callers may pass their own SDK clients (the tests inject faults through client middleware); the
// pipeline destroys only the clients it built.

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { createHandler as createBuildHandler } from '../../functions/build-snapshot/create-handler.ts';
import { METRICS_NAMESPACE, type Observability } from '../../functions/shared/observability.ts';
import { createHandler as createTranslateHandler } from '../../functions/translate/create-handler.ts';
import {
  type AwsClientConfig,
  createDynamoDbClient,
  createDynamoDbStreamsClient,
  createEventBridgeClient,
  createS3Client,
  createSecretsManagerClient,
  createSqsClient,
} from '../../shared/aws/clients.ts';
import { DynamoDbIrStore } from '../../shared/aws/dynamodb-ir-store.ts';
import { DynamoDbStreamReader } from '../../shared/aws/dynamodb-stream-reader.ts';
import { EventBridgePublisher } from '../../shared/aws/event-bridge-publisher.ts';
import { IR_STREAM_FILTER_PATTERNS } from '../../shared/aws/ir-table-layout.ts';
import {
  type PipelineNames,
  type ProvisionedPipeline,
  provisionPipeline,
} from '../../shared/aws/provision.ts';
import { S3ClaimCheck } from '../../shared/aws/s3-claim-check.ts';
import { S3SnapshotStore } from '../../shared/aws/s3-snapshot-store.ts';
import { SecretsManagerSecretSink } from '../../shared/aws/secrets-manager-secret-sink.ts';
import { SqsQueue } from '../../shared/aws/sqs-queue.ts';
import {
  type SnapshotPublishedDetail,
  SnapshotPublishedDetailSchema,
} from '../../shared/pipeline/snapshot-events.ts';
import { DEFAULT_CONTROLLER_NAME } from '../../shared/xds/types.ts';
import {
  SqsEventSourceMapping,
  type SqsInvocation,
  StreamEventSourceMapping,
  type StreamInvocation,
} from './event-source-mappings.ts';

/** The event source settings of cdk/constructs/translator-functions.ts (its defaults), used locally. */
export const EVENT_SOURCE_SETTINGS = {
  translate: { batchSize: 10, maxReceiveCount: 5, functionTimeoutMs: 30_000 },
  buildSnapshot: { batchSize: 100, maxBatchingWindowMs: 1000, retryAttempts: 5, functionTimeoutMs: 60_000 },
  /**
   * The one local deviation: the CDK sets six times the function timeout (180 s), AWS's guidance
   * against redelivery while throttled pollers still hold a message. Nothing throttles in process,
   * so a failed message comes back after one function timeout instead.
   */
  translateVisibilityTimeoutSeconds: 30,
} as const;

export function localPipelineNames(prefix = 'fleetplane-dev'): Required<PipelineNames> {
  return {
    eventBus: `${prefix}-bus`,
    table: `${prefix}-ir`,
    bucket: `${prefix}-snapshots`,
    translateQueue: `${prefix}-translate`,
    translateDlq: `${prefix}-translate-dlq`,
    buildSnapshotFailures: `${prefix}-build-snapshot-failures`,
    snapshotPublishedQueue: `${prefix}-snapshot-published`,
  };
}

export type HandlerLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

export interface LocalPipelineClients {
  dynamodb: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  eventBridge: EventBridgeClient;
  sqs: SQSClient;
  s3: S3Client;
  secrets: SecretsManagerClient;
}

export interface LocalPipelineOptions {
  /** Endpoint, region and credentials of the emulator. */
  clientConfig: AwsClientConfig;
  /** Your own SDK clients; the others are built from `clientConfig`. Yours are not destroyed on stop. */
  clients?: Partial<LocalPipelineClients>;
  /** Default: localPipelineNames(). Without `snapshotPublishedQueue`, no notifications are read. */
  names?: PipelineNames;
  controllerName?: string;
  /** Powertools log level of the handlers (their logs go to stdout and stderr). Default: WARN. */
  logLevel?: HandlerLogLevel;
  maxReceiveCount?: number;
  translateVisibilityTimeoutSeconds?: number;
  translate?: { batchSize?: number; pollers?: number };
  buildSnapshot?: { batchSize?: number; maxBatchingWindowMs?: number; retryAttempts?: number };
  /** Each Snapshot Published event, as read from its queue. */
  onSnapshotPublished?: (detail: SnapshotPublishedDetail) => void | Promise<void>;
  /** After each build-snapshot invocation; the build's statuses are stored by then. */
  afterBuild?: () => Promise<void>;
  onTranslate?: (invocation: SqsInvocation) => void;
  onBuild?: (invocation: StreamInvocation) => void;
  onError?: (err: Error) => void;
}

export interface LocalPipeline {
  resources: ProvisionedPipeline;
  publisher: EventBridgePublisher;
  irStore: DynamoDbIrStore;
  snapshotStore: S3SnapshotStore;
  claimCheck: S3ClaimCheck;
  secretSink: SecretsManagerSecretSink;
  /** Stops the mappings (letting invocations under way finish) and closes the clients. */
  stop(): Promise<void>;
}

export async function startLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  const config = options.clientConfig;
  const names = options.names ?? localPipelineNames();
  const given = options.clients ?? {};
  const built: Partial<LocalPipelineClients> = {};
  const own = <K extends keyof LocalPipelineClients>(key: K, create: () => LocalPipelineClients[K]) => {
    const client = given[key] ?? create();
    if (!given[key]) built[key] = client;
    return client;
  };
  const clients: LocalPipelineClients = {
    dynamodb: own('dynamodb', () => createDynamoDbClient(config)),
    streams: own('streams', () => createDynamoDbStreamsClient(config)),
    eventBridge: own('eventBridge', () => createEventBridgeClient(config)),
    sqs: own('sqs', () => createSqsClient(config)),
    s3: own('s3', () => createS3Client(config)),
    secrets: own('secrets', () => createSecretsManagerClient(config)),
  };

  const resources = await provisionPipeline(clients, names, {
    maxReceiveCount: options.maxReceiveCount ?? EVENT_SOURCE_SETTINGS.translate.maxReceiveCount,
    visibilityTimeoutSeconds:
      options.translateVisibilityTimeoutSeconds ?? EVENT_SOURCE_SETTINGS.translateVisibilityTimeoutSeconds,
  });

  const irStore = new DynamoDbIrStore({ tableName: resources.tableName, client: clients.dynamodb });
  const snapshotStore = new S3SnapshotStore({ bucketName: resources.bucketName, client: clients.s3 });
  const claimCheck = new S3ClaimCheck({ bucketName: resources.bucketName, client: clients.s3 });
  const publisher = new EventBridgePublisher({
    eventBusName: resources.eventBusName,
    client: clients.eventBridge,
  });
  const secretSink = new SecretsManagerSecretSink({ client: clients.secrets });
  const logLevel = options.logLevel ?? 'WARN';
  const queue = (ref: { url: string; arn: string }) =>
    new SqsQueue({ queueUrl: ref.url, queueArn: ref.arn, client: clients.sqs });

  const translate = createTranslateHandler({
    irStore,
    rejections: irStore,
    claimCheck,
    ...observability('translate', logLevel),
  });
  const build = createBuildHandler({
    irStore,
    rejections: irStore,
    snapshotStore,
    events: publisher,
    controllerName: options.controllerName ?? DEFAULT_CONTROLLER_NAME,
    ...observability('build-snapshot', logLevel),
  });
  const onError = options.onError ?? (() => {});

  const mappings = [
    new SqsEventSourceMapping({
      functionName: 'translate',
      queue: queue(resources.translateQueue),
      handler: (event: SQSEvent, context) => translate(event, context),
      batchSize: options.translate?.batchSize ?? EVENT_SOURCE_SETTINGS.translate.batchSize,
      ...(options.translate?.pollers !== undefined ? { pollers: options.translate.pollers } : {}),
      functionTimeoutMs: EVENT_SOURCE_SETTINGS.translate.functionTimeoutMs,
      onError,
      ...(options.onTranslate ? { onInvoke: options.onTranslate } : {}),
    }),
    new StreamEventSourceMapping({
      functionName: 'build-snapshot',
      stream: new DynamoDbStreamReader({ streamArn: resources.streamArn, client: clients.streams }),
      handler: async (event: DynamoDBStreamEvent, context) => {
        const response = await build(event, context);
        try {
          await options.afterBuild?.();
        } catch (err) {
          onError(err as Error);
        }
        return response;
      },
      startingPosition: 'TRIM_HORIZON',
      batchSize: options.buildSnapshot?.batchSize ?? EVENT_SOURCE_SETTINGS.buildSnapshot.batchSize,
      maxBatchingWindowMs:
        options.buildSnapshot?.maxBatchingWindowMs ?? EVENT_SOURCE_SETTINGS.buildSnapshot.maxBatchingWindowMs,
      retryAttempts:
        options.buildSnapshot?.retryAttempts ?? EVENT_SOURCE_SETTINGS.buildSnapshot.retryAttempts,
      filters: IR_STREAM_FILTER_PATTERNS,
      onFailure: (failure) => queue(resources.buildSnapshotFailures).send(JSON.stringify(failure)),
      functionTimeoutMs: EVENT_SOURCE_SETTINGS.buildSnapshot.functionTimeoutMs,
      onError,
      ...(options.onBuild ? { onInvoke: options.onBuild } : {}),
    }),
  ];
  const published = resources.snapshotPublishedQueue;
  const onPublished = options.onSnapshotPublished;
  if (published && onPublished) {
    mappings.push(
      new SqsEventSourceMapping({
        functionName: 'snapshot-published',
        queue: queue(published),
        pollers: 1,
        // A notification that does not parse is reported and dropped: retrying cannot fix it.
        handler: async (event: SQSEvent): Promise<undefined> => {
          for (const record of event.Records) {
            try {
              await onPublished(SnapshotPublishedDetailSchema.parse(JSON.parse(record.body).detail));
            } catch (err) {
              onError(new Error(`unreadable Snapshot Published message ${record.messageId}`, { cause: err }));
            }
          }
          return undefined;
        },
        onError,
      }),
    );
  }
  for (const mapping of mappings) mapping.start();

  return {
    resources,
    publisher,
    irStore,
    snapshotStore,
    claimCheck,
    secretSink,
    async stop() {
      await Promise.all(mappings.map((m) => m.stop()));
      for (const client of Object.values(built)) client.destroy();
    },
  };
}

/**
 * Powertools for the in-process handlers. Metrics are switched off through Powertools' own
 * variable: locally they have no CloudWatch to go to and would interleave EMF JSON with the output.
 */
function observability(serviceName: string, logLevel: HandlerLogLevel): Observability {
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  return {
    logger: new Logger({ serviceName, logLevel }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName }),
  };
}
