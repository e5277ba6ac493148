// One pipeline Lambda: a NodejsFunction bundled locally by esbuild (never Docker) as an ESM
// bundle for nodejs22.x on ARM64, with its own log group, a role that may write only to that log
// group, and the Powertools environment. Grants are added by whoever wires it up.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type Code, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../functions/shared/observability.ts';
import { StackConfigError } from '../errors.ts';
import { acknowledge } from '../nag.ts';

/** The repository root: entries, the lock file and tsconfig.json are resolved from here. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface PipelineFunctionProps {
  /** Handler module relative to the repository root; it must export `handler`. */
  readonly entry: string;
  /** POWERTOOLS_SERVICE_NAME, also the function's description prefix. */
  readonly serviceName: string;
  readonly description: string;
  /** Variables the handler reads, on top of the Powertools ones. */
  readonly environment: Record<string, string>;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /**
   * Reserved concurrency.
   *
   * @default - none, the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * LOG_LEVEL for the Powertools logger.
   *
   * @default 'INFO'
   */
  readonly logLevel?: string;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * Prebuilt code instead of bundling `entry`; for tests that must not depend on the handler.
   *
   * @default - `entry` bundled by esbuild
   */
  readonly code?: Code;
}

export class PipelineFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    const entry = join(REPO_ROOT, props.entry);
    if (!props.code && !existsSync(entry)) {
      throw new StackConfigError(
        `${this.node.path}: handler entry ${props.entry} does not exist; create it (exporting \`handler\`) ` +
          'or pass prebuilt `code`',
      );
    }
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });
    // A role of our own instead of AWSLambdaBasicExecutionRole, which may write to any log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `fleetplane ${props.serviceName} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      description: `fleetplane ${props.serviceName}: ${props.description}`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        LOG_LEVEL: props.logLevel ?? 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
      ...(props.code
        ? { code: props.code, handler: 'index.handler' }
        : {
            entry,
            handler: 'handler',
            projectRoot: REPO_ROOT,
            depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
            bundling: {
              forceDockerBundling: false,
              format: OutputFormat.ESM,
              target: 'node22',
              mainFields: ['module', 'main'],
              // Bundle the SDK clients pinned in package.json rather than the runtime's copy, so
              // what runs is what the tests ran.
              bundleAwsSDK: true,
              minify: true,
              sourceMap: true,
              sourcesContent: false,
              tsconfig: join(REPO_ROOT, 'tsconfig.json'),
              // CommonJS dependencies bundled into ESM still call require().
              banner:
                "import { createRequire as __fleetplaneCreateRequire } from 'node:module'; " +
                'const require = __fleetplaneCreateRequire(import.meta.url);',
              // The protobuf codec reads Envoy's .proto files from node_modules, which a bundle does
              // not have: ship the prebuilt descriptor set it loads from next to index.mjs.
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) => [
                  `"${inputDir}/node_modules/.bin/tsx" "${inputDir}/scripts/build-codec-descriptors.ts" "${outputDir}/codec-descriptors.binpb"`,
                ],
              },
            },
          }),
    });
    acknowledge(
      this.function,
      'AwsSolutions-L1',
      'The repository pins Node.js 22 (package.json engines and the npm `node` package), so the ' +
        'bundle runs on the runtime the tests ran on; move to a newer runtime together with that pin.',
    );
  }
}
