import type { App } from 'aws-cdk-lib';
import { Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PipelineStack } from '../../cdk/pipeline-stack.ts';
import { ENV } from '../../functions/shared/env.ts';
import { IR_STREAM_FILTER_PATTERNS } from '../../shared/aws/ir-table-layout.ts';
import { CHANGE_EVENT_SOURCE } from '../../shared/events/change-event.ts';
import {
  IR_TABLE,
  SECRETS_PREFIX,
  SNAPSHOT_BUCKET,
  TRANSLATOR_RULES,
  translatorRulePattern,
} from '../../shared/pipeline/definition.ts';
import { buildApp } from './support.ts';

let app: App;
let stack: PipelineStack;
let template: Template;

beforeAll(() => {
  ({ app, stack } = buildApp());
  template = Template.fromStack(stack);
});

const arn = (queue: IQueue) => stack.resolve(queue.queueArn);

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Every Allow statement of the policies attached to a role, by the role's logical id. */
function allowStatementsOf(roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleLogicalId }]) },
  });
  return Object.values(policies)
    .flatMap((p) => (p.Properties.PolicyDocument.Statement as Statement[]) ?? [])
    .filter((s) => s.Effect === 'Allow');
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const roleId = (role: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(role.node.defaultChild as Parameters<Stack['getLogicalId']>[0]);

describe('change bus', () => {
  it('is a custom bus with an archive of change events kept 30 days', () => {
    // Prepare
    const bus = stack.resolve(stack.changeBus.bus.eventBusArn);

    // Act
    template.resourceCountIs('AWS::Events::EventBus', 1);

    // Assess
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: bus,
      RetentionDays: 30,
      EventPattern: { source: [CHANGE_EVENT_SOURCE] },
    });
  });
});

describe('translator rules', () => {
  it('has one rule per TRANSLATOR_RULES entry', () => {
    template.resourceCountIs('AWS::Events::Rule', TRANSLATOR_RULES.length);
  });

  it.each(TRANSLATOR_RULES.map((r) => [r.id, r] as const))(
    '%s matches translatorRulePattern exactly and delivers to the translate queue with retries and its own DLQ',
    (id, rule) => {
      // Prepare
      const dlq = stack.functions.rules.deadLetterQueues.find((q) => q.name === `${id}DeliveryDlq`);
      expect(dlq).toBeDefined();

      // Assess
      template.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: stack.resolve(stack.changeBus.bus.eventBusName),
        EventPattern: Match.exact(translatorRulePattern(rule)),
        Targets: [
          Match.objectLike({
            Arn: arn(stack.functions.translateQueue),
            RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 20 },
            DeadLetterConfig: { Arn: arn(dlq?.queue as IQueue) },
          }),
        ],
      });
    },
  );

  it('gives every rule target a different dead-letter queue', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule'));
    const dlqs = rules.map((r) => JSON.stringify(r.Properties.Targets[0].DeadLetterConfig.Arn));
    expect(new Set(dlqs).size).toBe(TRANSLATOR_RULES.length);
  });
});

describe('queues', () => {
  it('redrives the translate queue to its DLQ after 5 receives, with a visibility of 6x the timeout', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: arn(stack.functions.translateDlq), maxReceiveCount: 5 },
      VisibilityTimeout: 180,
    });
  });

  it('encrypts every queue with SSE-SQS', () => {
    const queues = Object.values(template.findResources('AWS::SQS::Queue'));
    // The translate queue and its DLQ, one delivery DLQ per rule, build-snapshot's failure destination.
    expect(queues).toHaveLength(TRANSLATOR_RULES.length + 3);
    for (const q of queues) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
  });

  it('denies non-TLS requests on every queue', () => {
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));
    const tlsOnly = new Set(
      policies
        .filter((p) =>
          (p.Properties.PolicyDocument.Statement as Statement[]).some(
            (s) =>
              s.Effect === 'Deny' &&
              JSON.stringify(s.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
          ),
        )
        .flatMap((p) => p.Properties.Queues.map((q: { Ref: string }) => q.Ref)),
    );
    expect([...tlsOnly].sort()).toEqual(Object.keys(template.findResources('AWS::SQS::Queue')).sort());
  });
});

describe('functions', () => {
  it('runs both on nodejs22.x, arm64, with the handler environment and Powertools settings', () => {
    for (const [fn, service] of [
      [stack.functions.translate, 'translate'],
      [stack.functions.buildSnapshot, 'build-snapshot'],
    ] as const) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: Match.absent(),
        Role: stack.resolve(fn.role.roleArn),
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        LoggingConfig: { LogGroup: stack.resolve(fn.logGroup.logGroupName) },
        Environment: {
          Variables: {
            [ENV.irTableName]: stack.resolve(stack.irTable.table.tableName),
            [ENV.snapshotBucketName]: stack.resolve(stack.snapshotBucket.bucket.bucketName),
            [ENV.eventBusName]: stack.resolve(stack.changeBus.bus.eventBusName),
            [ENV.controllerName]: 'fleetplane.dev/gateway-controller',
            POWERTOOLS_SERVICE_NAME: service,
            POWERTOOLS_METRICS_NAMESPACE: 'fleetplane',
            LOG_LEVEL: 'INFO',
          },
        },
      });
    }
  });

  it('feeds translate from its queue in batches of 10 with partial batch responses', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: stack.resolve(stack.functions.translate.function.functionName),
      EventSourceArn: arn(stack.functions.translateQueue),
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('feeds build-snapshot from the table stream with a window, bisect, bounded retries, an on-failure queue and the IR item filter', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: stack.resolve(stack.functions.buildSnapshot.function.functionName),
      EventSourceArn: stack.resolve(stack.irTable.table.tableStreamArn),
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      DestinationConfig: { OnFailure: { Destination: arn(stack.functions.buildSnapshotFailures) } },
      FilterCriteria: { Filters: IR_STREAM_FILTER_PATTERNS.map((p) => ({ Pattern: JSON.stringify(p) })) },
    });
  });

  it('gives the function roles no managed policies, and log writes only to their own log group', () => {
    for (const fn of [stack.functions.translate, stack.functions.buildSnapshot]) {
      const role = template.findResources('AWS::IAM::Role')[roleId(fn.role)];
      expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
      const logs = allowStatementsOf(roleId(fn.role)).filter((s) =>
        actionsOf(s).some((a) => a.startsWith('logs:')),
      );
      expect(logs).toHaveLength(1);
      expect(logs[0]?.Resource).toEqual(stack.resolve(fn.logGroup.logGroupArn));
    }
  });
});

describe('permissions', () => {
  it('scopes Secrets Manager access to the secret prefix, in the producer policy', () => {
    // Prepare
    const policy =
      template.findResources('AWS::IAM::ManagedPolicy')[
        stack.getLogicalId(
          stack.accessPolicies.producer.node.defaultChild as Parameters<Stack['getLogicalId']>[0],
        )
      ];

    // Act
    const statements = (policy?.Properties.PolicyDocument.Statement ?? []) as Statement[];
    const secrets = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));

    // Assess
    expect(secrets).toHaveLength(1);
    expect(actionsOf(secrets[0] as Statement)).toEqual([
      'secretsmanager:CreateSecret',
      'secretsmanager:DeleteSecret',
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:RestoreSecret',
      'secretsmanager:TagResource',
    ]);
    expect(secrets[0]?.Resource).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':secretsmanager:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:secret:${SECRETS_PREFIX}*`,
        ],
      ],
    });
  });

  it('grants no Secrets Manager action anywhere else, and none to the functions', () => {
    // Prepare
    const statements = [
      ...Object.values(template.findResources('AWS::IAM::Policy')),
      ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')),
    ].flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);

    // Act
    const secrets = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    const functionSecrets = [
      stack.functions.translate,
      stack.functions.buildSnapshot,
      stack.auditIngestion.ingest,
    ].flatMap((fn) =>
      allowStatementsOf(roleId(fn.role)).filter((s) =>
        actionsOf(s).some((a) => a.startsWith('secretsmanager:')),
      ),
    );

    // Assess
    expect(secrets).toHaveLength(1);
    expect(functionSecrets).toEqual([]);
  });

  it('lets only build-snapshot and ingest-audit put events, only on the bus, ingest-audit only change events', () => {
    const bus = stack.resolve(stack.changeBus.bus.eventBusArn);
    const puts = (role: string) =>
      allowStatementsOf(role).filter((s) => actionsOf(s).includes('events:PutEvents'));
    expect(puts(roleId(stack.functions.translate.role))).toEqual([]);
    expect(puts(roleId(stack.functions.buildSnapshot.role)).map((s) => s.Resource)).toEqual([bus]);
    expect(
      puts(roleId(stack.auditIngestion.ingest.role)).map((s) => ({
        resource: s.Resource,
        condition: s.Condition,
      })),
    ).toEqual([{ resource: bus, condition: { StringEquals: { 'events:source': [CHANGE_EVENT_SOURCE] } } }]);
  });

  it('limits S3 object access to clusters/ for build-snapshot and claim-check/ for translate', () => {
    const bucketArn = stack.resolve(stack.snapshotBucket.bucket.bucketArn);
    const objects = (prefix: string) => ({ 'Fn::Join': ['', [bucketArn, `/${prefix}*`]] });
    const s3Of = (role: string) =>
      allowStatementsOf(role)
        .filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')))
        .map((s) => ({ actions: actionsOf(s), resource: s.Resource }));
    expect(s3Of(roleId(stack.functions.translate.role))).toEqual([
      { actions: ['s3:GetObject'], resource: objects(SNAPSHOT_BUCKET.claimCheckPrefix) },
    ]);
    expect(s3Of(roleId(stack.functions.buildSnapshot.role))).toEqual([
      { actions: ['s3:GetObject', 's3:PutObject'], resource: objects('clusters/') },
      { actions: ['s3:ListBucket'], resource: bucketArn },
    ]);
  });
});

describe('IR table', () => {
  it('uses the shared keys and TTL, on demand, with NEW_AND_OLD_IMAGES, PITR, protection and encryption', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: IR_TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: IR_TABLE.sortKey, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: IR_TABLE.ttlAttribute, Enabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true },
      },
    });
  });
});

describe('snapshot bucket', () => {
  it('is versioned, SSE-KMS with a rotated customer managed key, private, owner-enforced and logged', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: stack.resolve(stack.snapshotBucket.key.keyArn),
              },
            },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: {
          DestinationBucketName: stack.resolve(stack.snapshotBucket.accessLogs.bucketName),
        },
      },
    });
  });

  it('keeps SNAPSHOT_BUCKET.keepVersions noncurrent versions and expires claim checks', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'KeepRecentSnapshotVersions',
            Prefix: 'clusters/',
            Status: 'Enabled',
            NoncurrentVersionExpiration: {
              NoncurrentDays: 1,
              NewerNoncurrentVersions: SNAPSHOT_BUCKET.keepVersions,
            },
          }),
          Match.objectLike({
            Id: 'ExpireClaimChecks',
            Prefix: SNAPSHOT_BUCKET.claimCheckPrefix,
            Status: 'Enabled',
            ExpirationInDays: SNAPSHOT_BUCKET.claimCheckExpiryDays,
          }),
        ]),
      },
    });
  });

  it('denies non-TLS requests on both buckets', () => {
    for (const bucket of [stack.snapshotBucket.bucket, stack.snapshotBucket.accessLogs]) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: stack.resolve(bucket.bucketName),
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });
});

describe('alarms', () => {
  it('alarms when any dead-letter queue holds a message', () => {
    // Prepare
    const dlqs = stack.functions.deadLetterQueues;
    expect(dlqs.map((q) => q.name).sort()).toEqual(
      ['BuildSnapshotFailures', 'TranslateDlq', ...TRANSLATOR_RULES.map((r) => `${r.id}DeliveryDlq`)].sort(),
    );

    // Assess
    for (const { queue } of dlqs) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: stack.resolve(queue.queueName) }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: Match.absent(),
      });
    }
  });

  it('alarms on errors of each function', () => {
    for (const fn of [
      stack.functions.translate,
      stack.functions.buildSnapshot,
      stack.auditIngestion.ingest,
    ]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: stack.resolve(fn.function.functionName) }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
    // One per DLQ, one per function (translate, build-snapshot, ingest-audit), the webhook's 5xx alarm.
    template.resourceCountIs('AWS::CloudWatch::Alarm', stack.functions.deadLetterQueues.length + 4);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged finding', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(app);

    // Assess
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources[0]?.constructPath}`)).toEqual(
      [],
    );
  });

  it('justifies every acknowledgment, in both stacks', () => {
    // Prepare: aws-cdk-lib acknowledges some CloudFormation-Validate rules itself; ours are cdk-nag's
    // (which aws-cdk-lib may store with an `Annotation::` prefix, as cdk-nag's isAcknowledged knows).
    const acknowledged = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .map(([id, reason]) => [id.replace(/^annotation::/i, ''), reason] as const)
      .filter(([id]) => !id.startsWith('CloudFormation-Validate::'));

    // Assess
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledged) {
      expect(id).toMatch(/^AwsSolutions-/);
      expect(reason.length, id).toBeGreaterThan(80);
    }
  });

  it('still reports a finding that nobody acknowledged', async () => {
    // Prepare: the same checks against a queue without encryption or TLS policy.
    const { Queue, QueueEncryption } = await import('aws-cdk-lib/aws-sqs');
    const control = new Stack(undefined, 'Control');
    new Queue(control, 'Plain', { encryption: QueueEncryption.UNENCRYPTED });

    // Act
    const report = new AwsSolutionsChecks().validateScope(control);

    // Assess
    expect(report.violations.map((v) => v.ruleName).sort()).toEqual([
      'AwsSolutions-SQS2',
      'AwsSolutions-SQS3',
      'AwsSolutions-SQS4',
    ]);
  });

  it('lets the app synthesize with the AwsSolutions plugin registered', () => {
    expect(() => app.synth({ force: true })).not.toThrow();
  });
});
