// `fleetplane dev`: the whole pipeline on a local emulator (services/local/dev.ts). Starts moto (or
// uses --endpoint / AWS_ENDPOINT_URL), creates the resources the CDK stack defines, runs the real
// handlers in process, feeds a manifest directory in as watch events and keeps watching it, until
// SIGINT or SIGTERM.

import { type Command, Option } from 'commander';
import type { DevOptions } from '../services/local/dev.ts';
import { DEFAULT_CONTROLLER_NAME } from '../shared/xds/types.ts';

export function registerDevCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('dev')
    .description(
      'Run the pipeline locally on an AWS emulator: manifests in as watch events, snapshots out to S3',
    )
    .requiredOption('--manifests <dir>', 'directory of manifests to feed in and watch')
    .option('--cluster-id <id>', 'cluster id of the change events and snapshot keys', 'local')
    .option('--endpoint <url>', 'use this AWS endpoint instead of starting moto (default: AWS_ENDPOINT_URL)')
    .option(
      '--controller-name <name>',
      'GatewayClass controllerName that marks Gateways as ours',
      DEFAULT_CONTROLLER_NAME,
    )
    .option('--prefix <name>', 'name prefix of the bus, table, bucket and queues', 'fleetplane-dev')
    .addOption(
      new Option('--log-level <level>', 'log level of the in-process Lambda handlers')
        .choices(['debug', 'info', 'warn', 'error', 'silent'])
        .default('warn'),
    )
    .action(async (opts: DevOptions) => {
      // Loaded here, not at the top: the AWS SDK and Powertools would slow every other command's start.
      const { runDev } = await import('../services/local/dev.ts');
      setExitCode(await runDev(opts, { stdout: process.stdout, stderr: process.stderr }));
    });
}
