// `fleetplane bootstrap`: prints an Envoy bootstrap that takes its whole config from the relay
// over ADS.

import { hostname } from 'node:os';
import { type Command, Option } from 'commander';
import { stringify } from 'yaml';
import { adsBootstrap } from '../services/relay/bootstrap.ts';
import { RelayConfigError } from '../services/relay/errors.ts';
import { parseHostPort } from '../services/relay/options.ts';

export interface BootstrapCliOptions {
  xdsServer: string;
  nodeCluster: string;
  nodeId: string;
  adminPort: string;
  delta?: boolean;
  output: 'yaml' | 'json';
}

export function registerBootstrapCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('bootstrap')
    .description('Print an Envoy bootstrap that gets its config from the relay over ADS')
    .requiredOption('--xds-server <host:port>', 'address of the relay (or of its load balancer)')
    .requiredOption('--node-cluster <clusterId/ns/gateway>', 'the Gateway this proxy serves')
    .option('--node-id <id>', 'unique id of this proxy', hostname())
    .option('--admin-port <n>', 'Envoy admin port, on 127.0.0.1', '9901')
    .option('--delta', 'use incremental xDS (DeltaAggregatedResources)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action((opts: BootstrapCliOptions) => {
      setExitCode(runBootstrap(opts, { stdout: process.stdout }));
    });
}

export function runBootstrap(
  opts: BootstrapCliOptions,
  io: { stdout: { write(s: string): unknown } },
): number {
  const adminPort = Number(opts.adminPort);
  if (!Number.isInteger(adminPort) || adminPort < 0 || adminPort > 65_535)
    throw new RelayConfigError(
      `--admin-port ${JSON.stringify(opts.adminPort)}: expected a port number, e.g. 9901`,
    );
  const bootstrap = adsBootstrap({
    xdsServer: parseHostPort(opts.xdsServer, '--xds-server'),
    nodeCluster: opts.nodeCluster,
    nodeId: opts.nodeId,
    adminPort,
    protocol: opts.delta ? 'delta' : 'sotw',
  });
  io.stdout.write(
    opts.output === 'json'
      ? `${JSON.stringify(bootstrap, null, 2)}\n`
      : stringify(bootstrap, { lineWidth: 0, aliasDuplicateObjects: false }),
  );
  return 0;
}
