// Builds the CDK app from context (cdk.json, `-c key=value`): one PipelineStack and, unless
// `fleetplane:relay` is false, the RelayStack that serves its snapshots, both checked by cdk-nag's
// AwsSolutions pack. cdk/app.ts runs it; the tests build the same app.
//
// Without `fleetplane:account` and `fleetplane:region` the stack is environment-agnostic, so
// `cdk synth` needs no AWS credentials and `cdk deploy` targets the caller's account and region.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { App, type Environment, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { AuthzPolicy } from '../services/relay/authz.ts';
import { StackConfigError } from './errors.ts';
import { PipelineStack, type PipelineStackProps } from './pipeline-stack.ts';
import { RelayStack, type RelayStackProps } from './relay-stack.ts';

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
  auditWebhookTokens: 'fleetplane:auditWebhookTokens',
  eksAuditLogGroup: 'fleetplane:eksAuditLogGroup',
  auditClusterId: 'fleetplane:auditClusterId',
  auditReservedConcurrency: 'fleetplane:auditReservedConcurrency',
  relay: 'fleetplane:relay',
  relayStackName: 'fleetplane:relayStackName',
  relayImage: 'fleetplane:relayImage',
  relayVpcId: 'fleetplane:relayVpcId',
  relayInternetFacing: 'fleetplane:relayInternetFacing',
  relayAllowedCidrs: 'fleetplane:relayAllowedCidrs',
  relayMinTasks: 'fleetplane:relayMinTasks',
  relayMaxTasks: 'fleetplane:relayMaxTasks',
  relayTlsSecretArn: 'fleetplane:relayTlsSecretArn',
  relayClientCaField: 'fleetplane:relayClientCaField',
  relayAuthzFile: 'fleetplane:relayAuthzFile',
} as const;

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'];

export interface PipelineConfig {
  /** Construct id and CloudFormation stack name. */
  readonly stackName: string;
  readonly props: Omit<PipelineStackProps, 'functionCode'>;
  /** Undefined when `fleetplane:relay` is false. */
  readonly relay?: RelayConfig;
}

/** The RelayStack's settings from context; the pipeline's resources are added when it is built. */
export interface RelayConfig {
  readonly stackName: string;
  readonly props: Omit<
    RelayStackProps,
    'bus' | 'bucket' | 'snapshotReaderPolicy' | 'image' | 'vpc' | 'tls' | 'authzPolicy'
  > & {
    readonly tlsSecretArn?: string;
    readonly clientCaField?: string;
    readonly authzPolicy?: string;
  };
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
  const reservedConcurrency = int(CONTEXT.auditReservedConcurrency);
  const audit = {
    ...(str(CONTEXT.auditWebhookTokens) ? { webhookTokens: str(CONTEXT.auditWebhookTokens) } : {}),
    ...(str(CONTEXT.eksAuditLogGroup) ? { eksAuditLogGroupName: str(CONTEXT.eksAuditLogGroup) } : {}),
    ...(str(CONTEXT.auditClusterId) ? { clusterId: str(CONTEXT.auditClusterId) } : {}),
    ...(reservedConcurrency !== undefined ? { reservedConcurrency } : {}),
  };

  let relay: RelayConfig | undefined;
  if (bool(CONTEXT.relay) !== false) {
    const relayStackName = str(CONTEXT.relayStackName) ?? `${stackName}-relay`;
    if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(relayStackName) || relayStackName === stackName) {
      bad(
        CONTEXT.relayStackName,
        relayStackName,
        'a stack name starts with a letter, holds letters, digits and hyphens, and differs from the pipeline stack',
      );
    }
    const vpcId = str(CONTEXT.relayVpcId);
    if (vpcId !== undefined && !/^vpc-[0-9a-f]{8,17}$/.test(vpcId)) {
      bad(CONTEXT.relayVpcId, vpcId, 'give a VPC id, e.g. vpc-0123456789abcdef0');
    }
    if (vpcId !== undefined && (account === undefined || region === undefined)) {
      bad(
        CONTEXT.relayVpcId,
        vpcId,
        `looking a VPC up needs an environment: also set ${CONTEXT.account} and ${CONTEXT.region} ` +
          '(and credentials for the lookup), or leave it unset for a new VPC',
      );
    }
    const image = str(CONTEXT.relayImage);
    if (image !== undefined && !/^[a-z0-9][a-z0-9._\-/:@]*$/i.test(image)) {
      bad(
        CONTEXT.relayImage,
        image,
        'give an image reference, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleetplane:v1',
      );
    }
    const cidrsRaw = str(CONTEXT.relayAllowedCidrs);
    const allowedClientCidrs = cidrsRaw
      ?.split(',')
      .map((c) => c.trim())
      .filter((c) => c !== '');
    for (const cidr of allowedClientCidrs ?? []) {
      if (!/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/.test(cidr)) {
        bad(
          CONTEXT.relayAllowedCidrs,
          cidrsRaw,
          'give comma-separated IPv4 CIDRs, e.g. 10.0.0.0/8,172.16.0.0/12',
        );
      }
    }
    const tlsSecretArn = str(CONTEXT.relayTlsSecretArn);
    if (
      tlsSecretArn !== undefined &&
      !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/.test(tlsSecretArn)
    ) {
      bad(
        CONTEXT.relayTlsSecretArn,
        tlsSecretArn,
        'give the complete secret ARN, with its 6-character suffix (arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf)',
      );
    }
    const clientCaField = str(CONTEXT.relayClientCaField);
    if (clientCaField !== undefined && tlsSecretArn === undefined) {
      bad(
        CONTEXT.relayClientCaField,
        clientCaField,
        `set ${CONTEXT.relayTlsSecretArn} too: the CA is a field of that secret`,
      );
    }
    const authzFile = str(CONTEXT.relayAuthzFile);
    let authzPolicy: string | undefined;
    if (authzFile !== undefined) {
      try {
        authzPolicy = readFileSync(resolve(authzFile), 'utf8');
      } catch (err) {
        bad(CONTEXT.relayAuthzFile, authzFile, `the file cannot be read (${(err as Error).message})`);
      }
      try {
        AuthzPolicy.parse(authzPolicy ?? '', authzFile);
      } catch (err) {
        bad(CONTEXT.relayAuthzFile, authzFile, `fix the policy: ${(err as Error).message}`);
      }
    }
    const internetFacing = bool(CONTEXT.relayInternetFacing);
    const minTasks = int(CONTEXT.relayMinTasks);
    const maxTasks = int(CONTEXT.relayMaxTasks);
    relay = {
      stackName: relayStackName,
      props: {
        fleet,
        stackName: relayStackName,
        ...(env ? { env } : {}),
        ...(vpcId ? { vpcId } : {}),
        ...(image ? { imageUri: image } : {}),
        ...(internetFacing !== undefined ? { internetFacing } : {}),
        ...(allowedClientCidrs ? { allowedClientCidrs } : {}),
        ...(minTasks !== undefined ? { minTasks } : {}),
        ...(maxTasks !== undefined ? { maxTasks } : {}),
        ...(tlsSecretArn ? { tlsSecretArn } : {}),
        ...(clientCaField ? { clientCaField } : {}),
        ...(authzPolicy !== undefined ? { authzPolicy } : {}),
        ...(alarmTopicArn ? { alarmTopicArn } : {}),
      },
    };
  }

  return {
    stackName,
    ...(relay ? { relay } : {}),
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
      ...(Object.keys(audit).length > 0 ? { audit } : {}),
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
  /** See RelayStackProps.image. */
  readonly relayImage?: ContainerImage;
}

export function createPipelineApp(options: PipelineAppOptions = {}): {
  app: App;
  stack: PipelineStack;
  relayStack?: RelayStack;
} {
  const app = new App({
    ...(options.context ? { context: options.context } : {}),
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const config = pipelineConfig(app);
  const stack = new PipelineStack(app, config.stackName, {
    ...config.props,
    ...(options.functionCode ? { functionCode: options.functionCode } : {}),
  });
  let relayStack: RelayStack | undefined;
  if (config.relay) {
    const { tlsSecretArn, clientCaField, ...relayProps } = config.relay.props;
    relayStack = new RelayStack(app, config.relay.stackName, {
      ...relayProps,
      bus: stack.changeBus.bus,
      bucket: stack.snapshotBucket.bucket,
      snapshotReaderPolicy: stack.accessPolicies.snapshotReader,
      ...(tlsSecretArn
        ? { tlsSecretArn, ...(clientCaField ? { tlsClientCaField: clientCaField } : {}) }
        : {}),
      ...(options.relayImage ? { image: options.relayImage } : {}),
    });
  }
  // cdk-nag 3 is a policy-validation plugin: synthesis fails while any finding is unacknowledged.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, ...(relayStack ? { relayStack } : {}) };
}
