// `fleetplane relay`: serves Gateway snapshots to Envoy over ADS until SIGINT or SIGTERM, taken
// from a directory in the snapshot layout or, as one level of a tree, from a parent relay.
//
//   --source ./snapshots                  a directory (what `translate --to snapshot` writes)
//   --source xds://relay.internal:18000   a parent relay, fetched over ADS per gateway on demand

import { type Command, Option } from 'commander';
import { RelayConfigError } from '../services/relay/errors.ts';
import { jsonLogger, type Logger, type LogLevel } from '../services/relay/log.ts';
import { parseDuration, parseHostPort } from '../services/relay/options.ts';
import { startRelay } from '../services/relay/relay.ts';
import { RelayMetrics } from '../services/relay/relay-metrics.ts';
import { DirectorySnapshotSource } from '../services/relay/source/directory-source.ts';
import { ParentRelaySource, parseParentUrl } from '../services/relay/source/parent-relay-source.ts';
import type { SnapshotSource } from '../services/relay/source/snapshot-source.ts';

export interface RelayCliOptions {
  source: string;
  listen: string;
  admin: string;
  pollInterval: string;
  ackTimeout: string;
  maxConnectionAge: string;
  logLevel: LogLevel;
}

export function registerRelayCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('relay')
    .description('Serve Gateway snapshots to Envoy over ADS (state of the world and Delta)')
    .requiredOption(
      '--source <dir | xds://host:port>',
      'a snapshot directory in the S3 layout (as `translate --to snapshot --out` writes), or a parent relay',
    )
    .option('--listen <host:port>', 'ADS gRPC listener', '0.0.0.0:18000')
    .option(
      '--admin <host:port>',
      'admin HTTP listener (/healthz /readyz /debug/* /metrics)',
      '127.0.0.1:9902',
    )
    .option('--poll-interval <duration>', 'directory source: how often each latest.json is checked', '1s')
    .option('--ack-timeout <duration>', 'how long an unanswered response holds back later types', '15s')
    .option('--max-connection-age <duration>', 'close connections after this age, ±10% (0: never)', '30m')
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['debug', 'info', 'warn', 'error'])
        .default('info'),
    )
    .action(async (opts: RelayCliOptions) => {
      setExitCode(await runRelay(opts, { stderr: process.stderr }));
    });
}

function sourceFor(opts: RelayCliOptions, deps: { log: Logger; metrics: RelayMetrics }): SnapshotSource {
  if (/^s3:\/\//.test(opts.source))
    throw new RelayConfigError(
      `--source ${opts.source}: S3 sources are not supported yet; use a directory or xds://<parent relay>`,
    );
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(opts.source)) {
    if (!opts.source.startsWith('xds://'))
      throw new RelayConfigError(
        `--source ${JSON.stringify(opts.source)}: unknown scheme; use a directory or xds://<host>:<port>`,
      );
    return new ParentRelaySource({ parent: parseParentUrl(opts.source, '--source'), ...deps });
  }
  return new DirectorySnapshotSource({
    root: opts.source,
    pollIntervalMs: parseDuration(opts.pollInterval, '--poll-interval'),
    ...deps,
  });
}

export async function runRelay(
  opts: RelayCliOptions,
  io: { stderr: { write(s: string): unknown }; signal?: AbortSignal },
): Promise<number> {
  const log = jsonLogger({ level: opts.logLevel, out: io.stderr });
  const metrics = new RelayMetrics();
  // The pipeline's NACK reporter (an event on the bus) is passed here as `nackReporter`, to both
  // the source and startRelay; without one, NACKs are logged and counted per gateway.
  const source = sourceFor(opts, { log, metrics });
  const relay = await startRelay({
    source,
    listen: parseHostPort(opts.listen, '--listen'),
    admin: parseHostPort(opts.admin, '--admin'),
    ackTimeoutMs: parseDuration(opts.ackTimeout, '--ack-timeout'),
    maxConnectionAgeMs: parseDuration(opts.maxConnectionAge, '--max-connection-age'),
    log,
    metrics,
  });
  await new Promise<void>((resolve) => {
    if (io.signal) {
      if (io.signal.aborted) resolve();
      io.signal.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await relay.stop();
  return 0;
}
