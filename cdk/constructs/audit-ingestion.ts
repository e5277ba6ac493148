// Audit ingestion: the ingest-audit function and its two inputs.
//   kube-apiserver audit webhook ─HTTPS─▶ Function URL ─▶ ingest-audit ─▶ bus (change events)
//   EKS audit log group ─subscription filter─▶ ingest-audit (async; failures to IngestAuditFailures)
// The function may only put `fleetplane.kubernetes` events on the bus and write claim checks; it
// never reads snapshots and never touches Secrets Manager (audit-event.ts skips Secrets, whose
// values the audit policy does not log: Secret data reaches Secrets Manager through the forwarder).

import { Duration } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { type Code, type FunctionUrl, FunctionUrlAuthType, InvokeMode } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { FilterPattern, LogGroup, SubscriptionFilter } from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { INGEST_AUDIT_ENV } from '../../functions/ingest-audit/env.ts';
import { parseWebhookTokens } from '../../functions/ingest-audit/webhook-auth.ts';
import { ENV } from '../../functions/shared/env.ts';
import { CHANGE_EVENT_SOURCE, ChangeEventDetailSchema } from '../../shared/events/change-event.ts';
import { FORWARDED_VERBS } from '../../shared/pipeline/audit-event.ts';
import { SNAPSHOT_BUCKET } from '../../shared/pipeline/definition.ts';
import { WATCHED_KINDS } from '../../shared/pipeline/watched-kinds.ts';
import { StackConfigError } from '../errors.ts';
import { acknowledge, iam5Resource } from '../nag.ts';
import type { NamedMetricAlarm } from './alarms.ts';
import { PipelineFunction } from './pipeline-function.ts';
import { type NamedQueue, secureQueue } from './secure-queue.ts';

export const INGEST_AUDIT_ENTRY = 'functions/ingest-audit/handler.ts';

/** CloudWatch Logs limit on a subscription filter pattern. */
const MAX_FILTER_PATTERN_LENGTH = 1024;

/**
 * The subscription filter pattern for an EKS cluster log group: completed, successful writes of a
 * watched resource, which is what decideAuditEvent (shared/pipeline/audit-event.ts) keeps. The
 * group holds every control plane log (api, authenticator, scheduler...) and the audit log holds
 * every read; filtering here keeps those from invoking the function at all. Secrets are left out
 * (the function skips them), subresources too. The function applies the full rules again.
 */
export function eksAuditFilterPattern(): string {
  // Every comparison parenthesised, as in the CloudWatch Logs JSON pattern examples.
  const verbs = [...FORWARDED_VERBS].sort().map((v) => `($.verb = "${v}")`);
  const resources = [
    ...new Set(WATCHED_KINDS.filter((k) => !(k.group === '' && k.kind === 'Secret')).map((k) => k.plural)),
  ]
    .sort()
    .map((r) => `($.objectRef.resource = "${r}")`);
  return (
    `{ ($.stage = "ResponseComplete") && (${verbs.join(' || ')}) && ` +
    '($.responseStatus.code >= 200) && ($.responseStatus.code <= 299) && ' +
    `($.objectRef.subresource NOT EXISTS) && (${resources.join(' || ')}) }`
  );
}

export interface AuditIngestionProps {
  readonly bus: IEventBus;
  readonly bucket: IBucket;
  /** The bucket's SSE-KMS key, for writing claim checks. */
  readonly bucketKey: IKey;
  /**
   * AUDIT_WEBHOOK_TOKENS: `<clusterId>=<sha256 hex of the bearer token>`, comma separated. These are
   * digests, not tokens, so they may sit in the function's configuration; see docs/deploy.md.
   *
   * @default - none: the webhook answers every request with 401
   */
  readonly webhookTokens?: string;
  /**
   * Name of an EKS cluster log group (`/aws/eks/<cluster>/cluster`, with audit logging enabled) to
   * subscribe the function to.
   *
   * @default - no subscription
   */
  readonly eksAuditLogGroupName?: string;
  /**
   * CLUSTER_ID: the cluster id of the log group's events.
   *
   * @default - `<cluster>` of `/aws/eks/<cluster>/cluster`
   */
  readonly clusterId?: string;
  /**
   * Reserved concurrency: an upper bound on what the public Function URL can make this function
   * cost. Needs that much unreserved concurrency in the account.
   *
   * @default - none, the account's unreserved pool
   */
  readonly reservedConcurrency?: number;
  /** @default 'INFO' */
  readonly logLevel?: string;
  /**
   * Prebuilt code instead of bundling the handler; for tests.
   *
   * @default - functions/ingest-audit/handler.ts bundled by esbuild
   */
  readonly code?: Code;
}

export class AuditIngestion extends Construct {
  readonly ingest: PipelineFunction;
  readonly webhookUrl: FunctionUrl;
  /** Set with `eksAuditLogGroupName`. */
  readonly subscription?: SubscriptionFilter;
  /** On-failure destination of the asynchronous (log subscription) invocations; with `eksAuditLogGroupName`. */
  readonly failures?: Queue;
  /** For alarms. */
  readonly deadLetterQueues: NamedQueue[] = [];
  readonly metricAlarms: NamedMetricAlarm[] = [];

  constructor(scope: Construct, id: string, props: AuditIngestionProps) {
    super(scope, id);
    this.validate(props);

    this.ingest = new PipelineFunction(this, 'IngestAudit', {
      entry: INGEST_AUDIT_ENTRY,
      serviceName: 'ingest-audit',
      description: 'Kubernetes audit events to change events',
      environment: {
        [ENV.eventBusName]: props.bus.eventBusName,
        [ENV.snapshotBucketName]: props.bucket.bucketName,
        ...(props.webhookTokens ? { [INGEST_AUDIT_ENV.webhookTokens]: props.webhookTokens } : {}),
        ...(props.clusterId ? { [INGEST_AUDIT_ENV.clusterId]: props.clusterId } : {}),
      },
      // kube-apiserver's webhook client waits for the answer of a whole batch.
      timeout: Duration.seconds(30),
      memorySize: 512,
      ...(props.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
      ...(props.logLevel ? { logLevel: props.logLevel } : {}),
      ...(props.code ? { code: props.code } : {}),
    });
    const fn = this.ingest.function;

    // Auth type NONE is deliberate, not an oversight: kube-apiserver's audit webhook backend can send
    // a bearer token or a client certificate but cannot sign requests with SigV4, so AWS_IAM would
    // lock it out, and a Function URL does not terminate mutual TLS. The handler authenticates
    // every request itself (functions/ingest-audit/webhook-auth.ts: per-cluster bearer tokens,
    // compared by sha256 in constant time, and the token names the cluster) and answers 401
    // before reading the body. No CORS: the caller is an API server, never a browser.
    this.webhookUrl = fn.addFunctionUrl({
      authType: FunctionUrlAuthType.NONE,
      invokeMode: InvokeMode.BUFFERED,
    });

    this.grantProduce(props);

    if (props.eksAuditLogGroupName) {
      this.failures = secureQueue(this, 'IngestAuditFailures');
      acknowledge(
        this.failures,
        'AwsSolutions-SQS3',
        'This queue is itself the on-failure destination of the function’s asynchronous (log ' +
          "subscription) invocations; SQS3 only recognises DLQs named in another queue's RedrivePolicy.",
      );
      // A failed batch of log events is retried twice by Lambda, then its event goes here: nothing
      // is dropped silently, and the alarm on the queue says so.
      fn.configureAsyncInvoke({
        retryAttempts: 2,
        maxEventAge: Duration.hours(6),
        onFailure: new SqsDestination(this.failures),
      });
      this.deadLetterQueues.push({ name: 'IngestAuditFailures', queue: this.failures });
      this.subscription = new SubscriptionFilter(this, 'EksAuditSubscription', {
        logGroup: LogGroup.fromLogGroupName(this, 'EksAuditLogGroup', props.eksAuditLogGroupName),
        destination: new LambdaDestination(fn),
        filterPattern: FilterPattern.literal(eksAuditFilterPattern()),
      });
    }

    this.metricAlarms.push({
      name: 'IngestAuditWebhook5xx',
      description:
        'the audit webhook answered 5xx (503: the change bus was unavailable; kube-apiserver retries the batch, ' +
        'but a lasting failure means audit events are lost); see the function log group',
      metric: new Metric({
        namespace: 'AWS/Lambda',
        metricName: 'Url5xxCount',
        dimensionsMap: { FunctionName: fn.functionName },
        period: Duration.minutes(5),
        statistic: 'Sum',
      }),
    });
  }

  /**
   * What a producer needs, as the Producer policy (access-policies.ts) grants it, minus Secrets
   * Manager: PutEvents on the bus for change events only, PutObject under `claim-check/`.
   */
  private grantProduce(props: AuditIngestionProps): void {
    const role = this.ingest.role;
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [props.bus.eventBusArn],
        conditions: { StringEquals: { 'events:source': [CHANGE_EVENT_SOURCE] } },
      }),
    );
    const claimChecks = props.bucket.arnForObjects(`${SNAPSHOT_BUCKET.claimCheckPrefix}*`);
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: [claimChecks] }));
    props.bucketKey.grant(role, 'kms:GenerateDataKey');
    acknowledge(
      role,
      iam5Resource(this, claimChecks),
      'Claim-check keys are content-addressed (sha256) under claim-check/, so only a prefix wildcard ' +
        'can name them; limited to s3:PutObject there.',
    );
  }

  private validate(props: AuditIngestionProps): void {
    const fail = (message: string): never => {
      throw new StackConfigError(`AuditIngestion ${this.node.path}: ${message}`);
    };
    if (props.webhookTokens !== undefined) {
      try {
        parseWebhookTokens(props.webhookTokens);
      } catch (err) {
        fail(`webhookTokens: ${(err as Error).message}`);
      }
    }
    const group = props.eksAuditLogGroupName;
    if (group !== undefined) {
      if (!/^[A-Za-z0-9_\-/.#]{1,512}$/.test(group)) {
        fail(
          `eksAuditLogGroupName is ${JSON.stringify(group)}; give a CloudWatch Logs group name, ` +
            'e.g. /aws/eks/prod-eu/cluster',
        );
      }
      const fromName = /^\/aws\/eks\/([^/]+)\/cluster$/.exec(group)?.[1];
      if (!props.clusterId && !fromName) {
        fail(
          `eksAuditLogGroupName ${JSON.stringify(group)} is not /aws/eks/<cluster>/cluster, so it names ` +
            'no cluster; set clusterId (context fleetplane:auditClusterId)',
        );
      }
    }
    if (
      props.clusterId !== undefined &&
      !ChangeEventDetailSchema.shape.clusterId.safeParse(props.clusterId).success
    ) {
      fail(`clusterId is ${JSON.stringify(props.clusterId)}; use a DNS label, e.g. prod-eu`);
    }
    const rc = props.reservedConcurrency;
    if (rc !== undefined && (!Number.isInteger(rc) || rc < 1)) {
      fail(`reservedConcurrency is ${rc}; use a whole number of at least 1, e.g. 10`);
    }
    const pattern = eksAuditFilterPattern();
    if (pattern.length > MAX_FILTER_PATTERN_LENGTH) {
      fail(
        `the EKS audit filter pattern is ${pattern.length} characters, over the CloudWatch Logs limit of ` +
          `${MAX_FILTER_PATTERN_LENGTH}; shorten eksAuditFilterPattern()`,
      );
    }
  }
}
