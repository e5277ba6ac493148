import { createHash } from 'node:crypto';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { eksAuditFilterPattern } from '../../cdk/constructs/audit-ingestion.ts';
import type { PipelineStack } from '../../cdk/pipeline-stack.ts';
import { INGEST_AUDIT_ENV } from '../../functions/ingest-audit/env.ts';
import { AUDIT_WEBHOOK_TOKENS_ENV } from '../../functions/ingest-audit/webhook-auth.ts';
import { ENV } from '../../functions/shared/env.ts';
import { CHANGE_EVENT_SOURCE } from '../../shared/events/change-event.ts';
import { FORWARDED_VERBS } from '../../shared/pipeline/audit-event.ts';
import { SNAPSHOT_BUCKET } from '../../shared/pipeline/definition.ts';
import { WATCHED_KINDS } from '../../shared/pipeline/watched-kinds.ts';
import { buildApp } from './support.ts';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

const NO_RELAY = { 'fleetplane:relay': 'false' };
const digest = (token: string) => createHash('sha256').update(token).digest('hex');

function build(context: Record<string, unknown> = {}) {
  const { stack } = buildApp({ context: { ...NO_RELAY, ...context } });
  return { stack, template: Template.fromStack(stack) };
}

const logicalId = (stack: PipelineStack, c: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(c.node.defaultChild as Parameters<PipelineStack['getLogicalId']>[0]);

describe('ingest-audit with the defaults', () => {
  let stack: PipelineStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = build());
  });

  it('runs on nodejs22.x arm64 with the bus and bucket, and no webhook token until one is configured', () => {
    const fn = stack.auditIngestion.ingest;
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: stack.resolve(fn.role.roleArn),
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 30,
      ReservedConcurrentExecutions: Match.absent(),
      Environment: {
        Variables: {
          [ENV.eventBusName]: stack.resolve(stack.changeBus.bus.eventBusName),
          [ENV.snapshotBucketName]: stack.resolve(stack.snapshotBucket.bucket.bucketName),
          POWERTOOLS_SERVICE_NAME: 'ingest-audit',
          POWERTOOLS_METRICS_NAMESPACE: 'fleetplane',
          LOG_LEVEL: 'INFO',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
  });

  it('exposes the webhook as a Function URL with auth type NONE (the handler checks bearer tokens), buffered, no CORS', () => {
    const fnArn = stack.resolve(stack.auditIngestion.ingest.function.functionArn);
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      InvokeMode: 'BUFFERED',
      TargetFunctionArn: fnArn,
      Cors: Match.absent(),
    });
    // Both permissions a public Function URL needs, and InvokeFunction only through the URL.
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunctionUrl',
      FunctionName: fnArn,
      FunctionUrlAuthType: 'NONE',
      Principal: '*',
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: fnArn,
      InvokedViaFunctionUrl: true,
      Principal: '*',
    });
    expect(Object.keys(template.toJSON().Outputs)).toContain('AuditWebhookUrl');
  });

  it('grants exactly: its log group, change events on the bus, PutObject under claim-check/, GenerateDataKey', () => {
    // Prepare
    const role = logicalId(stack, stack.auditIngestion.ingest.role);
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith([{ Ref: role }]) },
    });
    const bucketArn = stack.resolve(stack.snapshotBucket.bucket.bucketArn);

    // Act
    const statements = Object.values(policies).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Statement[],
    );

    // Assess
    expect(template.findResources('AWS::IAM::Role')[role]?.Properties.ManagedPolicyArns).toBeUndefined();
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: stack.resolve(stack.auditIngestion.ingest.logGroup.logGroupArn),
      },
      {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: stack.resolve(stack.changeBus.bus.eventBusArn),
        Condition: { StringEquals: { 'events:source': [CHANGE_EVENT_SOURCE] } },
      },
      {
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [bucketArn, `/${SNAPSHOT_BUCKET.claimCheckPrefix}*`]] },
      },
      {
        Effect: 'Allow',
        Action: 'kms:GenerateDataKey',
        Resource: stack.resolve(stack.snapshotBucket.key.keyArn),
      },
    ]);
  });

  it('has no log subscription, async destination or failure queue without a log group', () => {
    template.resourceCountIs('AWS::Logs::SubscriptionFilter', 0);
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
    expect(stack.auditIngestion.failures).toBeUndefined();
  });

  it('alarms on function errors and on 5xx answers of the webhook', () => {
    const fnName = stack.resolve(stack.auditIngestion.ingest.function.functionName);
    for (const metric of ['Errors', 'Url5xxCount']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: fnName }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
  });
});

describe('ingest-audit configured from context', () => {
  it('takes webhook token digests, the EKS audit log group, a cluster id and reserved concurrency', () => {
    // Prepare
    const tokens = `prod-eu=${digest('s3cret-1')},prod-us=${digest('s3cret-2')}`;

    // Act
    const { stack, template } = build({
      'fleetplane:auditWebhookTokens': tokens,
      'fleetplane:eksAuditLogGroup': '/aws/eks/prod-eu/cluster',
      'fleetplane:auditClusterId': 'prod-eu',
      'fleetplane:auditReservedConcurrency': '5',
    });
    const fn = stack.auditIngestion.ingest.function;
    const failures = stack.auditIngestion.failures;

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: stack.resolve(stack.auditIngestion.ingest.role.roleArn),
      ReservedConcurrentExecutions: 5,
      Environment: {
        Variables: Match.objectLike({
          [AUDIT_WEBHOOK_TOKENS_ENV]: tokens,
          [INGEST_AUDIT_ENV.clusterId]: 'prod-eu',
        }),
      },
    });
    template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      LogGroupName: '/aws/eks/prod-eu/cluster',
      DestinationArn: stack.resolve(fn.functionArn),
      FilterPattern: eksAuditFilterPattern(),
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: stack.resolve(fn.functionArn),
      Principal: 'logs.amazonaws.com',
      SourceArn: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith([':log-group:/aws/eks/prod-eu/cluster:*'])],
      }),
    });
    // A failing batch of log events is retried, then kept, and an alarm says so.
    expect(failures).toBeDefined();
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: stack.resolve(fn.functionName),
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: stack.resolve(failures?.queueArn) } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: stack.resolve(failures?.queueName) }],
    });
  });

  it.each([
    ['fleetplane:auditWebhookTokens', 'prod-eu=abc', /webhookTokens: .*the digest must be 64 hex digits/],
    ['fleetplane:auditWebhookTokens', `Prod_EU=${digest('x')}`, /webhookTokens: .*DNS-label cluster id/],
    [
      'fleetplane:eksAuditLogGroup',
      'my audit logs',
      /eksAuditLogGroupName is "my audit logs"; give a CloudWatch Logs group name/,
    ],
    ['fleetplane:eksAuditLogGroup', '/custom/audit', /is not \/aws\/eks\/<cluster>\/cluster.*set clusterId/],
    ['fleetplane:auditClusterId', 'Prod EU', /clusterId is "Prod EU"; use a DNS label/],
    [
      'fleetplane:auditReservedConcurrency',
      '0',
      /reservedConcurrency is 0; use a whole number of at least 1/,
    ],
  ])('rejects %s = %j naming the setting and the fix', (key, value, message) => {
    expect(() => build({ [key]: value })).toThrow(message);
  });
});

describe('eksAuditFilterPattern', () => {
  const pattern = eksAuditFilterPattern();

  it('keeps completed 2xx writes of watched resources, as decideAuditEvent does, within the 1024-character limit', () => {
    expect(pattern.length).toBeLessThanOrEqual(1024);
    expect(pattern).toMatch(/^\{ \(\$\.stage = "ResponseComplete"\) && /);
    expect(pattern).toContain('($.responseStatus.code >= 200) && ($.responseStatus.code <= 299)');
    expect(pattern).toContain('($.objectRef.subresource NOT EXISTS)');
    for (const verb of FORWARDED_VERBS) expect(pattern).toContain(`($.verb = "${verb}")`);
    for (const verb of ['get', 'list', 'watch']) expect(pattern).not.toContain(`"${verb}"`);
    for (const kind of WATCHED_KINDS.filter((k) => k.kind !== 'Secret')) {
      expect(pattern).toContain(`($.objectRef.resource = "${kind.plural}")`);
    }
  });

  it('leaves Secrets out (their values are never logged; they come from the forwarder)', () => {
    expect(pattern).not.toContain('"secrets"');
  });

  it('balances its braces and parentheses', () => {
    let depth = 0;
    for (const ch of pattern) {
      if (ch === '(' || ch === '{') depth++;
      if (ch === ')' || ch === '}') depth--;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
  });
});
