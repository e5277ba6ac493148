// Creates the pipeline's resources on an emulator (moto, LocalStack) the way the CDK stack defines
// them, from shared/pipeline/definition.ts: the IR table (keys, TTL, a stream with new and old
// images), a versioned snapshot bucket, the bus, one rule per translator rule delivering to the
// translate queue (redriven to a dead-letter queue), and the queues the local runtime reads. Every
// step tolerates what already exists, so it can run again against a long-lived LocalStack. For
// tests and the local runtime; AWS deployments get all of this from cdk/.

import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateEventBusCommand,
  DescribeEventBusCommand,
  type EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, PutBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type QueueAttributeName,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  IR_TABLE,
  SNAPSHOT_EVENT_SOURCE,
  SNAPSHOT_PUBLISHED_DETAIL_TYPE,
  TRANSLATOR_RULES,
  translatorRulePattern,
} from '../pipeline/definition.ts';

/** Creates the IR table (if absent) and returns its stream ARN. */
export async function ensureIrTable(client: DynamoDBClient, tableName: string): Promise<string> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: IR_TABLE.partitionKey, AttributeType: 'S' },
          { AttributeName: IR_TABLE.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: IR_TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: IR_TABLE.sortKey, KeyType: 'RANGE' },
        ],
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: IR_TABLE.ttlAttribute, Enabled: true },
      }),
    );
  } catch (err) {
    if ((err as Error).name !== 'ResourceInUseException') throw err;
  }
  for (let attempt = 0; ; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE' && Table.LatestStreamArn) return Table.LatestStreamArn;
    if (attempt === 100) throw new Error(`table ${tableName} did not become ACTIVE with a stream`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Creates the snapshot bucket (if absent) with versioning, as the CDK stack does. */
export async function ensureSnapshotBucket(client: S3Client, bucketName: string): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucketName }));
  } catch (err) {
    const name = (err as Error).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  }
  await client.send(
    new PutBucketVersioningCommand({ Bucket: bucketName, VersioningConfiguration: { Status: 'Enabled' } }),
  );
}

/** Creates the event bus (if absent) and returns its ARN. */
export async function ensureEventBus(client: EventBridgeClient, name: string): Promise<string> {
  try {
    const res = await client.send(new CreateEventBusCommand({ Name: name }));
    if (res.EventBusArn) return res.EventBusArn;
  } catch (err) {
    if ((err as Error).name !== 'ResourceAlreadyExistsException') throw err;
  }
  const { Arn } = await client.send(new DescribeEventBusCommand({ Name: name }));
  if (!Arn) throw new Error(`event bus ${name} has no ARN`);
  return Arn;
}

export interface QueueRef {
  name: string;
  url: string;
  arn: string;
}

/** Creates the queue (if absent), or brings an existing one's attributes to `attributes`. */
export async function ensureQueue(
  client: SQSClient,
  name: string,
  attributes: Partial<Record<QueueAttributeName, string>> = {},
): Promise<QueueRef> {
  let url: string | undefined;
  try {
    url = (await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl;
  } catch (err) {
    // SQS answers QueueNameExists (QueueAlreadyExists before its JSON protocol) when the queue
    // exists with other attributes, e.g. from a run with other settings.
    const code = (err as Error).name;
    if (code !== 'QueueNameExists' && code !== 'QueueAlreadyExists') throw err;
    url = (await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
    if (url && Object.keys(attributes).length > 0) {
      await client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
    }
  }
  if (!url) throw new Error(`queue ${name} has no URL`);
  const res = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const arn = res.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${name} has no ARN`);
  return { name, url, arn };
}

export interface RuleToQueue {
  name: string;
  description: string;
  pattern: Record<string, unknown>;
  queue: QueueRef;
}

/**
 * Creates or updates a rule and its one queue target (PutRule and PutTargets are upserts), with
 * the retry policy the CDK stack gives its targets. Returns the rule's ARN.
 */
export async function ensureRuleToQueue(
  client: EventBridgeClient,
  eventBusName: string,
  rule: RuleToQueue,
): Promise<string> {
  const { RuleArn } = await client.send(
    new PutRuleCommand({
      Name: rule.name,
      EventBusName: eventBusName,
      Description: rule.description,
      EventPattern: JSON.stringify(rule.pattern),
      State: 'ENABLED',
    }),
  );
  const res = await client.send(
    new PutTargetsCommand({
      Rule: rule.name,
      EventBusName: eventBusName,
      Targets: [
        {
          Id: 'queue',
          Arn: rule.queue.arn,
          RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 20 },
        },
      ],
    }),
  );
  if (res.FailedEntryCount) {
    const entry = res.FailedEntries?.[0];
    throw new Error(`rule ${rule.name}: target not added: ${entry?.ErrorCode} ${entry?.ErrorMessage}`);
  }
  if (!RuleArn) throw new Error(`rule ${rule.name} has no ARN`);
  return RuleArn;
}

/** Lets exactly these rules send to the queue, as the CDK's SqsQueue target does. */
export async function allowRulesToSend(
  client: SQSClient,
  queue: QueueRef,
  ruleArns: string[],
): Promise<void> {
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'EventBridgeRules',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queue.arn,
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArns } },
      },
    ],
  };
  await client.send(
    new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { Policy: JSON.stringify(policy) } }),
  );
}

export interface PipelineNames {
  eventBus: string;
  table: string;
  bucket: string;
  translateQueue: string;
  translateDlq: string;
  /** The build-snapshot stream's on-failure destination. */
  buildSnapshotFailures: string;
  /** A queue receiving every Snapshot Published event; omit to create no such rule. */
  snapshotPublishedQueue?: string;
}

export interface PipelineSettings {
  /** Receives of a translate message before SQS moves it to the dead-letter queue. */
  maxReceiveCount: number;
  /** The translate queue's visibility timeout: how long a failed message stays hidden. */
  visibilityTimeoutSeconds: number;
}

export interface PipelineClients {
  dynamodb: DynamoDBClient;
  s3: S3Client;
  eventBridge: EventBridgeClient;
  sqs: SQSClient;
}

export interface ProvisionedPipeline {
  eventBusName: string;
  eventBusArn: string;
  tableName: string;
  streamArn: string;
  bucketName: string;
  translateQueue: QueueRef;
  translateDlq: QueueRef;
  buildSnapshotFailures: QueueRef;
  snapshotPublishedQueue?: QueueRef;
  /** Rule name → ARN. */
  rules: Record<string, string>;
}

/** The rule of the local runtime's Snapshot Published queue; the CDK stack has none (relays subscribe). */
export const SNAPSHOT_PUBLISHED_RULE = {
  id: 'SnapshotPublished',
  description: 'Snapshot Published events, for the local runtime to print',
  pattern: { source: [SNAPSHOT_EVENT_SOURCE], 'detail-type': [SNAPSHOT_PUBLISHED_DETAIL_TYPE] },
} as const;

/** Creates (or converges) every resource of the pipeline; safe to run again. */
export async function provisionPipeline(
  clients: PipelineClients,
  names: PipelineNames,
  settings: PipelineSettings,
): Promise<ProvisionedPipeline> {
  const { sqs } = clients;
  const [streamArn, , eventBusArn, translateDlq, buildSnapshotFailures, snapshotPublishedQueue] =
    await Promise.all([
      ensureIrTable(clients.dynamodb, names.table),
      ensureSnapshotBucket(clients.s3, names.bucket),
      ensureEventBus(clients.eventBridge, names.eventBus),
      ensureQueue(sqs, names.translateDlq, { MessageRetentionPeriod: String(14 * 24 * 3600) }),
      ensureQueue(sqs, names.buildSnapshotFailures, { MessageRetentionPeriod: String(14 * 24 * 3600) }),
      names.snapshotPublishedQueue ? ensureQueue(sqs, names.snapshotPublishedQueue) : undefined,
    ]);
  const translateQueue = await ensureQueue(sqs, names.translateQueue, {
    VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(4 * 24 * 3600),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: translateDlq.arn,
      maxReceiveCount: settings.maxReceiveCount,
    }),
  });

  const rules: Record<string, string> = {};
  const translatorRuleArns = await Promise.all(
    TRANSLATOR_RULES.map((rule) =>
      ensureRuleToQueue(clients.eventBridge, names.eventBus, {
        name: `${names.eventBus}-${rule.id}`,
        description: `fleetplane translator: ${rule.description}`,
        pattern: translatorRulePattern(rule),
        queue: translateQueue,
      }),
    ),
  );
  TRANSLATOR_RULES.forEach((rule, i) => {
    rules[rule.id] = translatorRuleArns[i] ?? '';
  });
  await allowRulesToSend(sqs, translateQueue, translatorRuleArns);
  if (snapshotPublishedQueue) {
    const arn = await ensureRuleToQueue(clients.eventBridge, names.eventBus, {
      name: `${names.eventBus}-${SNAPSHOT_PUBLISHED_RULE.id}`,
      description: SNAPSHOT_PUBLISHED_RULE.description,
      pattern: SNAPSHOT_PUBLISHED_RULE.pattern,
      queue: snapshotPublishedQueue,
    });
    rules[SNAPSHOT_PUBLISHED_RULE.id] = arn;
    await allowRulesToSend(sqs, snapshotPublishedQueue, [arn]);
  }

  return {
    eventBusName: names.eventBus,
    eventBusArn,
    tableName: names.table,
    streamArn,
    bucketName: names.bucket,
    translateQueue,
    translateDlq,
    buildSnapshotFailures,
    ...(snapshotPublishedQueue ? { snapshotPublishedQueue } : {}),
    rules,
  };
}
