// Builds the CDK app from context (cdk.json, `-c key=value`): one PipelineStack, checked by
// cdk-nag's AwsSolutions pack. cdk/app.ts runs it; the tests build the same app.
//
// Without `fleetplane:account` and `fleetplane:region` the stack is environment-agnostic, so
// `cdk synth` needs no AWS credentials and `cdk deploy` targets the caller's account and region.

import { App, type Environment, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { StackConfigError } from './errors.ts';
import { PipelineStack, type PipelineStackProps } from './pipeline-stack.ts';

/** Context keys this app reads; docs/deploy.md lists their defaults. */
export const CONTEXT = {
  fleet: 'fleetplane:fleet',
  stackName: 'fleetplane:stackName',
  archiveRetentionDays: 'fleetplane:archiveRetentionDays',
  deletionProtection: 'fleetplane:deletionProtection',
  removalPolicy: 'fleetplane:removalPolicy',
  alarmTopicArn: 'fleetplane:alarmTopicArn',
  logLevel: 'fleetplane:logLevel',
  account: 'fleetplane:account',
  region: 'fleetplane:region',
} as const;

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'];

export interface PipelineConfig {
  /** Construct id and CloudFormation stack name. */
  readonly stackName: string;
  readonly props: Omit<PipelineStackProps, 'functionCode'>;
}

/** Reads and validates the app's context; every error names the key, the value and a fix. */
export function pipelineConfig(scope: Construct): PipelineConfig {
  const raw = (key: string): unknown => {
    const v = scope.node.tryGetContext(key);
    return v === '' || v === null ? undefined : v;
  };
  const bad = (key: string, value: unknown, fix: string): never => {
    throw new StackConfigError(`context ${key} is ${JSON.stringify(value)}; ${fix}`);
  };
  const str = (key: string): string | undefined => {
    const v = raw(key);
    if (v === undefined || typeof v === 'string') return v;
    return bad(key, v, 'give a string');
  };
  // `-c key=value` always arrives as a string, cdk.json values keep their JSON type.
  const bool = (key: string): boolean | undefined => {
    const v = raw(key);
    if (v === undefined || typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    return bad(key, v, 'use true or false');
  };
  const int = (key: string): number | undefined => {
    const v = raw(key);
    if (v === undefined) return undefined;
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n;
    return bad(key, v, 'use a whole number, e.g. 30');
  };

  const fleet = str(CONTEXT.fleet) ?? 'default';
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/.test(fleet)) {
    bad(CONTEXT.fleet, fleet, 'use letters, digits and hyphens (at most 64), e.g. "prod-eu"');
  }
  const stackName = str(CONTEXT.stackName) ?? `Fleetplane-${fleet}`;
  if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName)) {
    bad(
      CONTEXT.stackName,
      stackName,
      'a stack name starts with a letter and holds letters, digits and hyphens',
    );
  }

  const removal = str(CONTEXT.removalPolicy)?.toLowerCase();
  if (removal !== undefined && removal !== 'retain' && removal !== 'destroy') {
    bad(CONTEXT.removalPolicy, removal, 'use "retain" (the default) or "destroy"');
  }
  const logLevel = str(CONTEXT.logLevel)?.toUpperCase();
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel)) {
    bad(CONTEXT.logLevel, logLevel, `use one of ${LOG_LEVELS.join(', ')}`);
  }
  const alarmTopicArn = str(CONTEXT.alarmTopicArn);
  if (
    alarmTopicArn !== undefined &&
    !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/.test(alarmTopicArn)
  ) {
    bad(
      CONTEXT.alarmTopicArn,
      alarmTopicArn,
      'give an SNS topic ARN, arn:aws:sns:<region>:<account>:<topic>',
    );
  }
  const account = str(CONTEXT.account);
  const region = str(CONTEXT.region);
  if (account !== undefined && !/^\d{12}$/.test(account)) {
    bad(
      CONTEXT.account,
      account,
      'give a 12-digit AWS account id, or leave it unset for an environment-agnostic stack',
    );
  }
  const env: Environment | undefined =
    account !== undefined || region !== undefined
      ? { ...(account ? { account } : {}), ...(region ? { region } : {}) }
      : undefined;

  const archiveRetentionDays = int(CONTEXT.archiveRetentionDays);
  const deletionProtection = bool(CONTEXT.deletionProtection);
  return {
    stackName,
    props: {
      fleet,
      stackName,
      ...(env ? { env } : {}),
      ...(archiveRetentionDays !== undefined ? { archiveRetentionDays } : {}),
      ...(deletionProtection !== undefined ? { deletionProtection } : {}),
      ...(removal
        ? { removalPolicy: removal === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN }
        : {}),
      ...(logLevel ? { logLevel } : {}),
      ...(alarmTopicArn ? { alarmTopicArn } : {}),
    },
  };
}

export interface PipelineAppOptions {
  /** Context on top of what the CDK CLI passes; tests pass cdk.json's here. */
  readonly context?: Record<string, unknown>;
  /** See PipelineStackProps.functionCode. */
  readonly functionCode?: PipelineStackProps['functionCode'];
  /** Where the cloud assembly goes; @default - cdk.out, or a temporary directory in tests */
  readonly outdir?: string;
}

export function createPipelineApp(options: PipelineAppOptions = {}): { app: App; stack: PipelineStack } {
  const app = new App({
    ...(options.context ? { context: options.context } : {}),
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const config = pipelineConfig(app);
  const stack = new PipelineStack(app, config.stackName, {
    ...config.props,
    ...(options.functionCode ? { functionCode: options.functionCode } : {}),
  });
  // cdk-nag 3 is a policy-validation plugin: synthesis fails while any finding is unacknowledged.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
