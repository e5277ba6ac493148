// PipelineStack: one fleetplane pipeline (one fleet in one region). Bus and archive, translator
// rules and queues, the IR table, the snapshot bucket, the translate and build-snapshot functions,
// audit ingestion (webhook Function URL, optional EKS audit log subscription), access policies for
// the processes outside AWS Lambda, and alarms. The relay runs in its own stack (relay-stack.ts).

import { CfnOutput, type RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Code } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { AccessPolicies } from './constructs/access-policies.ts';
import { Alarms } from './constructs/alarms.ts';
import { AuditIngestion } from './constructs/audit-ingestion.ts';
import { ChangeBus } from './constructs/change-bus.ts';
import { IrTable } from './constructs/ir-table.ts';
import { SnapshotBucket } from './constructs/snapshot-bucket.ts';
import { TranslatorFunctions } from './constructs/translator-functions.ts';
import { StackConfigError } from './errors.ts';

/** Audit ingestion settings; see AuditIngestionProps. */
export interface PipelineAuditProps {
  /** AUDIT_WEBHOOK_TOKENS, `<clusterId>=<sha256 hex>` list. @default - the webhook refuses every request */
  readonly webhookTokens?: string;
  /** EKS cluster log group to subscribe. @default - no subscription */
  readonly eksAuditLogGroupName?: string;
  /** Cluster id of that log group's events. @default - from `/aws/eks/<cluster>/cluster` */
  readonly clusterId?: string;
  /** Reserved concurrency of the function. @default - none */
  readonly reservedConcurrency?: number;
}

export interface PipelineStackProps extends StackProps {
  /** The fleet this pipeline serves; tagged on every resource as `fleetplane:fleet`. */
  readonly fleet: string;
  /**
   * Days the bus archive keeps change events; 0 keeps them indefinitely.
   *
   * @default 30
   */
  readonly archiveRetentionDays?: number;
  /**
   * DynamoDB deletion protection on the IR table.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Removal policy of the stateful resources: IR table, snapshot and log buckets, KMS key.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * ARN of an existing SNS topic that every alarm notifies.
   *
   * @default - alarms without notification
   */
  readonly alarmTopicArn?: string;
  /**
   * LOG_LEVEL of both functions.
   *
   * @default 'INFO'
   */
  readonly logLevel?: string;
  /**
   * Audit ingestion: webhook tokens and the EKS audit log subscription.
   *
   * @default - a webhook that refuses every request until tokens are configured, no subscription
   */
  readonly audit?: PipelineAuditProps;
  /**
   * Prebuilt function code instead of bundling the handlers; for tests.
   *
   * @default - functions/<name>/handler.ts bundled by esbuild
   */
  readonly functionCode?: {
    readonly translate?: Code;
    readonly buildSnapshot?: Code;
    readonly ingestAudit?: Code;
  };
}

const FLEET_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

export class PipelineStack extends Stack {
  readonly changeBus: ChangeBus;
  readonly irTable: IrTable;
  readonly snapshotBucket: SnapshotBucket;
  readonly functions: TranslatorFunctions;
  readonly auditIngestion: AuditIngestion;
  readonly accessPolicies: AccessPolicies;
  readonly alarms: Alarms;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, {
      description: `fleetplane pipeline for fleet ${props.fleet}: Kubernetes changes to Envoy xDS snapshots`,
      ...props,
    });
    if (!FLEET_NAME.test(props.fleet)) {
      throw new StackConfigError(
        `PipelineStack ${id}: fleet is ${JSON.stringify(props.fleet)}; use letters, digits and hyphens ` +
          '(at most 64, starting with a letter or digit), e.g. "prod-eu"',
      );
    }
    Tags.of(this).add('fleetplane:fleet', props.fleet);

    this.changeBus = new ChangeBus(this, 'ChangeBus', {
      ...(props.archiveRetentionDays !== undefined
        ? { archiveRetentionDays: props.archiveRetentionDays }
        : {}),
    });
    this.irTable = new IrTable(this, 'IrTable', {
      ...(props.deletionProtection !== undefined ? { deletionProtection: props.deletionProtection } : {}),
      ...(props.removalPolicy ? { removalPolicy: props.removalPolicy } : {}),
    });
    this.snapshotBucket = new SnapshotBucket(this, 'SnapshotBucket', {
      ...(props.removalPolicy ? { removalPolicy: props.removalPolicy } : {}),
    });
    this.functions = new TranslatorFunctions(this, 'Functions', {
      bus: this.changeBus.bus,
      table: this.irTable.table,
      bucket: this.snapshotBucket.bucket,
      bucketKey: this.snapshotBucket.key,
      ...(props.logLevel ? { logLevel: props.logLevel } : {}),
      ...(props.functionCode ? { code: props.functionCode } : {}),
    });
    this.auditIngestion = new AuditIngestion(this, 'AuditIngestion', {
      bus: this.changeBus.bus,
      bucket: this.snapshotBucket.bucket,
      bucketKey: this.snapshotBucket.key,
      ...props.audit,
      ...(props.logLevel ? { logLevel: props.logLevel } : {}),
      ...(props.functionCode?.ingestAudit ? { code: props.functionCode.ingestAudit } : {}),
    });
    this.accessPolicies = new AccessPolicies(this, 'AccessPolicies', {
      bus: this.changeBus.bus,
      bucket: this.snapshotBucket.bucket,
      bucketKey: this.snapshotBucket.key,
    });
    this.alarms = new Alarms(this, 'Alarms', {
      deadLetterQueues: [...this.functions.deadLetterQueues, ...this.auditIngestion.deadLetterQueues],
      functions: [
        { name: 'Translate', function: this.functions.translate.function },
        { name: 'BuildSnapshot', function: this.functions.buildSnapshot.function },
        { name: 'IngestAudit', function: this.auditIngestion.ingest.function },
      ],
      metrics: this.auditIngestion.metricAlarms,
      ...(props.alarmTopicArn ? { topic: Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn) } : {}),
    });

    const output = (outputId: string, value: string, description: string) =>
      new CfnOutput(this, outputId, { value, description });
    output('EventBusName', this.changeBus.bus.eventBusName, 'Producers put change events here');
    output('EventBusArn', this.changeBus.bus.eventBusArn, 'ARN of the change bus');
    output('IrTableName', this.irTable.table.tableName, 'IR table');
    output(
      'SnapshotBucketName',
      this.snapshotBucket.bucket.bucketName,
      'Snapshots, latest.json, claim checks',
    );
    output('TranslateFunctionName', this.functions.translate.function.functionName, 'translate function');
    output(
      'BuildSnapshotFunctionName',
      this.functions.buildSnapshot.function.functionName,
      'build-snapshot function',
    );
    output(
      'IngestAuditFunctionName',
      this.auditIngestion.ingest.function.functionName,
      'ingest-audit function',
    );
    output(
      'AuditWebhookUrl',
      this.auditIngestion.webhookUrl.url,
      'Audit webhook endpoint for kube-apiserver (bearer token per cluster; see docs/deploy.md)',
    );
    output('ProducerPolicyArn', this.accessPolicies.producer.managedPolicyArn, 'Attach to forwarder roles');
    output(
      'SnapshotReaderPolicyArn',
      this.accessPolicies.snapshotReader.managedPolicyArn,
      'Attach to relay and agent roles',
    );
  }
}
