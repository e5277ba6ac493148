// The `fleetplane` CLI: one binary for every entry point people run.

import { Command, CommanderError, Option } from 'commander';
import { FleetplaneError } from '../shared/errors.ts';
import { DEFAULT_CONTROLLER_NAME } from '../shared/xds/types.ts';
import { registerAgentCommand } from './agent.ts';
import { registerBootstrapCommand } from './bootstrap.ts';
import { registerDevCommand } from './dev.ts';
import { registerForwarderCommand } from './forwarder.ts';
import { registerRelayCommand } from './relay.ts';
import { OUTPUT_TARGETS, runTranslate } from './translate.ts';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('fleetplane')
    .description('Serverless control plane for fleets of Envoy proxies on AWS')
    .exitOverride()
    .showHelpAfterError();

  let exitCode = 0;
  program
    .command('translate')
    .description(
      'Translate Kubernetes manifests (Gateway API, Backends, Services) into IR, xDS, status, bootstraps or snapshots',
    )
    .requiredOption('-f, --file <path...>', 'file, directory or - for stdin (repeatable)')
    .addOption(new Option('--to <target>', 'what to produce').choices(OUTPUT_TARGETS).default('xds'))
    .addOption(
      new Option('-o, --output <format>', 'output format (default: json for status, yaml otherwise)').choices(
        ['yaml', 'json'],
      ),
    )
    .option('--out <dir>', 'output directory (required for --to snapshot; optional for --to bootstrap)')
    .option('--cluster-id <id>', 'cluster id used in node.cluster and snapshot keys', 'local')
    .option('--gateway <ns/name>', 'only this Gateway')
    .option('--namespace <ns>', 'namespace for objects that have none', 'default')
    .option(
      '--controller-name <name>',
      'GatewayClass controllerName that marks Gateways as ours',
      DEFAULT_CONTROLLER_NAME,
    )
    .option(
      '--secrets-dir <dir>',
      'where static bootstraps read SDS secret files (default: <out>/secrets, or /etc/envoy/secrets)',
    )
    .action(async (opts) => {
      exitCode = await runTranslate(opts, { stdout: process.stdout, stderr: process.stderr });
    });

  registerDevCommand(program, (code) => {
    exitCode = code;
  });
  registerRelayCommand(program, (code) => {
    exitCode = code;
  });
  registerBootstrapCommand(program, (code) => {
    exitCode = code;
  });
  registerForwarderCommand(program, (code) => {
    exitCode = code;
  });
  registerAgentCommand(program, (code) => {
    exitCode = code;
  });

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof FleetplaneError) {
      process.stderr.write(`fleetplane: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
