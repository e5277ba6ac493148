// `fleetplane agent`: keeps one Gateway's snapshot on disk as files for Envoy's path-based config,
// polling a directory or S3 until SIGINT or SIGTERM; `--once` for init containers, and
// `--print-bootstrap` for the Envoy bootstrap that reads those files.

import { hostname } from 'node:os';
import { type Command, Option } from 'commander';
import { stringify } from 'yaml';
import { type PollOutcome, SnapshotAgent } from '../services/agent/agent.ts';
import { agentBootstrap } from '../services/agent/bootstrap.ts';
import { AgentConfigError } from '../services/agent/errors.ts';
import { parseInterval, parsePort, sourceReader } from '../services/agent/options.ts';
import { jsonLogger, type LogLevel } from '../services/common/log.ts';

export interface AgentCliOptions {
  source?: string;
  nodeCluster: string;
  dir: string;
  interval: string;
  once?: boolean;
  printBootstrap?: boolean;
  nodeId: string;
  adminPort: string;
  secretsDir?: string;
  endpointUrl?: string;
  region?: string;
  logLevel: LogLevel;
}

export interface AgentIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  /** Stops a long-running agent (tests); SIGINT and SIGTERM do otherwise. */
  signal?: AbortSignal;
}

export function registerAgentCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('agent')
    .description("Write a Gateway's snapshot as files for Envoy's path-based config, from a directory or S3")
    .option('--source <dir|s3://bucket[/prefix]>', 'snapshot directory or bucket in the S3 layout')
    .requiredOption('--node-cluster <clusterId/ns/gateway>', 'the Gateway this proxy serves')
    .requiredOption('--dir <dir>', "where Envoy's files are written")
    .option('--interval <duration>', 'how often latest.json is checked', '2s')
    .option('--once', 'fetch once and exit (non-zero when no valid version is on disk)')
    .option('--print-bootstrap', 'print the Envoy bootstrap (YAML) that reads these files, and exit')
    .option('--node-id <id>', 'node.id in the printed bootstrap', hostname())
    .option('--admin-port <n>', 'Envoy admin port on 127.0.0.1 in the printed bootstrap', '9901')
    .option('--secrets-dir <dir>', 'where operator-provided SDS secret files live (default: <dir>/secrets)')
    .option('--endpoint-url <url>', 'S3 endpoint, e.g. an emulator (default: AWS_ENDPOINT_URL, or AWS)')
    .option('--region <region>', 'S3 region (default: AWS_REGION or the shared config)')
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['debug', 'info', 'warn', 'error'])
        .default('info'),
    )
    .action(async (opts: AgentCliOptions) => {
      setExitCode(await runAgent(opts, { stdout: process.stdout, stderr: process.stderr }));
    });
}

export async function runAgent(opts: AgentCliOptions, io: AgentIo): Promise<number> {
  if (opts.printBootstrap) {
    const bootstrap = agentBootstrap({
      dir: opts.dir,
      nodeCluster: opts.nodeCluster,
      nodeId: opts.nodeId,
      adminPort: parsePort(opts.adminPort, '--admin-port'),
    });
    io.stdout.write(stringify(bootstrap, { lineWidth: 0, aliasDuplicateObjects: false }));
    return 0;
  }
  if (!opts.source)
    throw new AgentConfigError('--source is required: a snapshot directory or s3://bucket[/prefix]');
  const intervalMs = parseInterval(opts.interval, '--interval');
  const reader = await sourceReader(opts.source, async (bucketName, prefix) => {
    const { S3SnapshotReader } = await import('../shared/aws/s3-snapshot-reader.ts');
    return new S3SnapshotReader({
      bucketName,
      prefix,
      clientConfig: {
        ...(opts.endpointUrl ? { endpoint: opts.endpointUrl } : {}),
        ...(opts.region ? { region: opts.region } : {}),
      },
    });
  });
  const log = jsonLogger({ level: opts.logLevel, out: io.stderr, component: 'agent' });
  const agent = new SnapshotAgent({
    reader,
    nodeCluster: opts.nodeCluster,
    dir: opts.dir,
    ...(opts.secretsDir ? { secretsDir: opts.secretsDir } : {}),
    retryBaseMs: intervalMs,
    log,
  });

  if (opts.once) {
    const outcome = await agent.poll();
    if (hasValidVersion(outcome)) return 0;
    io.stderr.write(`fleetplane: agent: ${describeFailure(outcome)}\n`);
    return 1;
  }

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  if (io.signal) io.signal.addEventListener('abort', onSignal, { once: true });
  else {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  log.info('agent started', {
    source: reader.description,
    nodeCluster: opts.nodeCluster,
    dir: agent.layout.dir,
    intervalMs,
  });
  try {
    await agent.run({ intervalMs, signal: stop.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  log.info('agent stopped', { counters: agent.counters });
  return 0;
}

function hasValidVersion(outcome: PollOutcome): boolean {
  return outcome.status === 'written' || outcome.status === 'current' || outcome.status === 'ignored';
}

function describeFailure(outcome: PollOutcome): string {
  switch (outcome.status) {
    case 'missing':
      return 'nothing published for this gateway yet (no latest.json)';
    case 'failed':
      return `version ${outcome.version ?? '?'} not written (${outcome.reason}): ${outcome.message}`;
    default:
      return `no valid version on disk (${outcome.status})`;
  }
}
