// `fleetplane relay`: serves Gateway snapshots to Envoy over ADS until SIGINT or SIGTERM, taken
// from a directory or an S3 bucket in the snapshot layout or, as one level of a tree, from a
// parent relay.
//
//   --source ./snapshots                  a directory (what `translate --to snapshot` writes)
//   --source s3://bucket[/prefix]         the pipeline's snapshot bucket (ETag poll + notifications)
//   --source xds://relay.internal:18000   a parent relay, fetched over ADS per gateway on demand
//
// Directory and S3 sources look at once when notified: `--notify-queue <SQS URL>` receives the
// "Snapshot Published" event, `--notify-listen <host:port>` serves an authenticated POST /notify.
// The AWS SDK is loaded only when an S3 source or a queue is used.

import { type Command, Option } from 'commander';
import { jsonLogger, type Logger, type LogLevel } from '../services/common/log.ts';
import { untilStopped } from '../services/common/stop-signal.ts';
import { RelayConfigError } from '../services/relay/errors.ts';
import { parseDuration, parseHostPort } from '../services/relay/options.ts';
import { startRelay } from '../services/relay/relay.ts';
import { RelayMetrics } from '../services/relay/relay-metrics.ts';
import { DirectorySnapshotSource } from '../services/relay/source/directory-source.ts';
import { HttpNotificationReceiver, readNotifyToken } from '../services/relay/source/http-notifications.ts';
import type { NotificationReceiver } from '../services/relay/source/notifications.ts';
import { ParentRelaySource, parseParentUrl } from '../services/relay/source/parent-relay-source.ts';
import type { SnapshotSource } from '../services/relay/source/snapshot-source.ts';
import {
  addRelaySecurityOptions,
  type RelaySecurity,
  type RelaySecurityCliOptions,
  relaySecurityFromOptions,
} from './relay-security.ts';

export interface RelayCliOptions extends RelaySecurityCliOptions {
  source: string;
  listen: string;
  admin: string;
  /** Default 1s for a directory, 5s for S3. */
  pollInterval?: string;
  discoverInterval?: string;
  notifyQueue?: string;
  notifyListen?: string;
  notifyTokenFile?: string;
  endpointUrl?: string;
  region?: string;
  ackTimeout: string;
  maxConnectionAge: string;
  logLevel: LogLevel;
}

export function registerRelayCommand(program: Command, setExitCode: (code: number) => void): void {
  const command = program
    .command('relay')
    .description('Serve Gateway snapshots to Envoy over ADS (state of the world and Delta)')
    .requiredOption(
      '--source <dir | s3://bucket[/prefix] | xds://host:port>',
      'a snapshot directory (as `translate --to snapshot --out` writes), the snapshot bucket, or a parent relay',
    )
    .option('--listen <host:port>', 'ADS gRPC listener', '0.0.0.0:18000')
    .option(
      '--admin <host:port>',
      'admin HTTP listener (/healthz /readyz /debug/* /metrics)',
      '127.0.0.1:9902',
    )
    .option(
      '--poll-interval <duration>',
      'directory or S3 source: how often each latest.json is checked (default: 1s directory, 5s S3)',
    )
    .option(
      '--discover-interval <duration>',
      'S3 source: how often the prefix is listed for new gateways',
      '30s',
    )
    .option(
      '--notify-queue <url>',
      'SQS queue receiving the "Snapshot Published" event: look at that gateway at once (one queue per relay)',
    )
    .option(
      '--notify-listen <host:port>',
      `HTTP listener for POST /notify with a bearer token: look at once (token: --notify-token-file or $FLEETPLANE_NOTIFY_TOKEN)`,
    )
    .option('--notify-token-file <file>', 'file holding the bearer token --notify-listen requires')
    .option(
      '--endpoint-url <url>',
      'S3 and SQS endpoint, e.g. an emulator (default: AWS_ENDPOINT_URL, or AWS)',
    )
    .option('--region <region>', 'AWS region (default: AWS_REGION or the shared config)')
    .option('--ack-timeout <duration>', 'how long an unanswered response holds back later types', '15s')
    .option('--max-connection-age <duration>', 'close connections after this age, ±10% (0: never)', '30m')
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['debug', 'info', 'warn', 'error'])
        .default('info'),
    );
  addRelaySecurityOptions(command).action(async (opts: RelayCliOptions) => {
    setExitCode(await runRelay(opts, { stderr: process.stderr }));
  });
}

async function sourceFor(
  opts: RelayCliOptions,
  deps: { log: Logger; metrics: RelayMetrics },
  security: RelaySecurity,
): Promise<SnapshotSource> {
  const isS3 = opts.source.startsWith('s3://');
  if (!isS3 && /^[a-z][a-z0-9+.-]*:\/\//i.test(opts.source)) {
    if (!opts.source.startsWith('xds://'))
      throw new RelayConfigError(
        `--source ${JSON.stringify(opts.source)}: unknown scheme; use a directory or xds://<host>:<port>, or s3://<bucket>[/<prefix>]`,
      );
    for (const [flag, value] of [
      ['--notify-queue', opts.notifyQueue],
      ['--notify-listen', opts.notifyListen],
    ] as const)
      if (value !== undefined)
        throw new RelayConfigError(
          `${flag}: a parent relay pushes its updates; notifications are for directory and S3 sources`,
        );
    return new ParentRelaySource({
      parent: parseParentUrl(opts.source, '--source'),
      ...deps,
      nackReporter: security.nackReporter,
      ...(security.parentCredentials ? { credentials: security.parentCredentials } : {}),
    });
  }
  const pollIntervalMs = positiveDuration(opts.pollInterval ?? (isS3 ? '5s' : '1s'), '--poll-interval');
  const aws = {
    ...(opts.endpointUrl ? { endpoint: opts.endpointUrl } : {}),
    ...(opts.region ? { region: opts.region } : {}),
  };
  const notifications: NotificationReceiver[] = [];
  if (opts.notifyListen !== undefined)
    notifications.push(
      new HttpNotificationReceiver({
        listen: parseHostPort(opts.notifyListen, '--notify-listen'),
        token: readNotifyToken(opts.notifyTokenFile),
        log: deps.log,
      }),
    );
  else if (opts.notifyTokenFile !== undefined)
    throw new RelayConfigError('--notify-token-file: only used with --notify-listen <host:port>');
  if (opts.notifyQueue !== undefined) {
    const { SqsNotificationReceiver } = await import('../services/relay/source/sqs-notifications.ts');
    notifications.push(
      new SqsNotificationReceiver({ queueUrl: opts.notifyQueue, clientConfig: aws, log: deps.log }),
    );
  }
  if (isS3) {
    const { S3SnapshotSource, parseS3Url } = await import('../services/relay/source/s3-source.ts');
    const bucket = parseS3Url(opts.source);
    if (!bucket)
      throw new RelayConfigError(
        `--source ${JSON.stringify(opts.source)}: expected s3://bucket or s3://bucket/prefix, e.g. s3://fleet-snapshots/prod`,
      );
    return new S3SnapshotSource({
      ...bucket,
      clientConfig: aws,
      pollIntervalMs,
      discoverIntervalMs: positiveDuration(opts.discoverInterval ?? '30s', '--discover-interval'),
      notifications,
      ...deps,
    });
  }
  return new DirectorySnapshotSource({ root: opts.source, pollIntervalMs, notifications, ...deps });
}

function positiveDuration(value: string, flag: string): number {
  const ms = parseDuration(value, flag);
  if (ms <= 0) throw new RelayConfigError(`${flag} ${JSON.stringify(value)}: must be more than 0, e.g. 1s`);
  return ms;
}

export async function runRelay(
  opts: RelayCliOptions,
  io: { stderr: { write(s: string): unknown }; signal?: AbortSignal },
): Promise<number> {
  const log = jsonLogger({ level: opts.logLevel, out: io.stderr });
  const metrics = new RelayMetrics();
  // NACKs are logged and counted per gateway, and with --nack-event-bus also put on the bus; a
  // child relay reports its own NACKs the same way.
  if (!opts.source.startsWith('xds://')) {
    for (const [flag, value] of [
      ['--parent-ca', opts.parentCa],
      ['--parent-cert', opts.parentCert],
      ['--parent-key', opts.parentKey],
    ] as const)
      if (value !== undefined)
        throw new RelayConfigError(`${flag}: only for a parent relay source (--source xds://<host>:<port>)`);
  }
  const security = await relaySecurityFromOptions(opts, {
    log,
    metrics,
    eventBridge: {
      clientConfig: {
        ...(opts.endpointUrl ? { endpoint: opts.endpointUrl } : {}),
        ...(opts.region ? { region: opts.region } : {}),
      },
    },
  });
  const source = await sourceFor(opts, { log, metrics }, security);
  const relay = await startRelay({
    source,
    listen: parseHostPort(opts.listen, '--listen'),
    admin: parseHostPort(opts.admin, '--admin'),
    ackTimeoutMs: parseDuration(opts.ackTimeout, '--ack-timeout'),
    maxConnectionAgeMs: parseDuration(opts.maxConnectionAge, '--max-connection-age'),
    log,
    metrics,
    ...(security.tls ? { tls: security.tls } : {}),
    ...(security.authz ? { authz: security.authz } : {}),
    nackReporter: security.nackReporter,
  });
  await untilStopped(io.signal);
  await relay.stop();
  return 0;
}
