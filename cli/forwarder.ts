// `fleetplane forwarder`: watches a cluster's Gateway API, Backend, Service, EndpointSlice and
// Secret objects and puts change events on the bus until SIGINT or SIGTERM, then sends what is
// pending and exits.

import { type Command, Option } from 'commander';
import { jsonLogger, type LogLevel } from '../services/common/log.ts';
import { untilStopped } from '../services/common/stop-signal.ts';
import { ForwarderConfigError } from '../services/forwarder/errors.ts';
import { startForwarder } from '../services/forwarder/forwarder.ts';
import { loadKubeConfig } from '../services/forwarder/kube-api.ts';
import { parseDuration, parseHostPort } from '../services/relay/options.ts';
import { EventBridgePublisher } from '../shared/aws/event-bridge-publisher.ts';
import { S3ClaimCheck } from '../shared/aws/s3-claim-check.ts';
import { SecretsManagerSecretSink } from '../shared/aws/secrets-manager-secret-sink.ts';
import { ChangeEventDetailSchema } from '../shared/events/change-event.ts';
import { resolveKinds, WATCHED_KINDS } from '../shared/pipeline/watched-kinds.ts';
import type { ClaimCheck } from '../shared/ports/claim-check.ts';
import type { EventPublisher } from '../shared/ports/event-publisher.ts';
import type { SecretSink } from '../shared/ports/secret-sink.ts';

export interface ForwarderCliOptions {
  clusterId: string;
  eventBus: string;
  kinds?: string[];
  namespaces?: string[];
  resync: string;
  metricsAddr: string;
  kubeconfig?: string;
  claimCheckBucket?: string;
  secretsKmsKey?: string;
  flushInterval: string;
  logLevel: LogLevel;
}

/** Adapters the command builds from its flags; tests pass their own. */
export interface ForwarderCliDeps {
  publisher?: EventPublisher;
  claimCheck?: ClaimCheck;
  secretSink?: SecretSink;
}

export function registerForwarderCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('forwarder')
    .description('Watch a cluster (list + watch informers) and put change events on the EventBridge bus')
    .requiredOption('--cluster-id <id>', 'cluster id carried by every event (a DNS label)')
    .requiredOption('--event-bus <name>', 'EventBridge bus name or ARN')
    .option(
      '--kinds <kind...>',
      `kinds to watch, comma or space separated, optionally <Kind>/<version> (default: ${WATCHED_KINDS.map((k) => k.name).join(', ')})`,
    )
    .option('--namespaces <ns...>', 'namespaces to watch, comma or space separated (default: all)')
    .option('--resync <duration>', 'interval of resync events for every cached object (0: off)', '10m')
    .option('--metrics-addr <host:port>', 'Prometheus /metrics, /healthz and /readyz', ':9100')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--claim-check-bucket <bucket>', 'S3 bucket for objects above the claim-check threshold')
    .option(
      '--secrets-kms-key <key>',
      'KMS key for the Secrets Manager secrets it creates (default: aws/secretsmanager)',
    )
    .option('--flush-interval <duration>', 'how long a change may wait to share a PutEvents call', '1s')
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['debug', 'info', 'warn', 'error'])
        .default('info'),
    )
    .action(async (opts: ForwarderCliOptions) => {
      setExitCode(await runForwarder(opts, { stderr: process.stderr }));
    });
}

export async function runForwarder(
  opts: ForwarderCliOptions,
  io: { stderr: { write(s: string): unknown }; signal?: AbortSignal; deps?: ForwarderCliDeps },
): Promise<number> {
  const clusterId = ChangeEventDetailSchema.shape.clusterId.safeParse(opts.clusterId);
  if (!clusterId.success) {
    throw new ForwarderConfigError(
      `--cluster-id ${JSON.stringify(opts.clusterId)}: must be a DNS label (lowercase letters, digits and '-', at most 63)`,
    );
  }
  const kinds = opts.kinds ? resolveKinds(opts.kinds) : [...WATCHED_KINDS];
  const namespaces = (opts.namespaces ?? [])
    .flatMap((n) => n.split(','))
    .map((n) => n.trim())
    .filter(Boolean);
  const watchesSecrets = kinds.some((k) => k.group === '' && k.kind === 'Secret');
  const log = jsonLogger({ level: opts.logLevel, out: io.stderr });

  const forwarder = await startForwarder({
    clusterId: clusterId.data,
    kubeConfig: loadKubeConfig(opts.kubeconfig),
    kinds,
    namespaces,
    publisher: io.deps?.publisher ?? new EventBridgePublisher({ eventBusName: opts.eventBus }),
    claimCheck:
      io.deps?.claimCheck ??
      (opts.claimCheckBucket ? new S3ClaimCheck({ bucketName: opts.claimCheckBucket }) : undefined),
    secretSink:
      io.deps?.secretSink ??
      (watchesSecrets ? new SecretsManagerSecretSink({ kmsKeyId: opts.secretsKmsKey }) : undefined),
    resyncIntervalMs: parseDuration(opts.resync, '--resync'),
    flushIntervalMs: parseDuration(opts.flushInterval, '--flush-interval'),
    metricsListen: parseHostPort(opts.metricsAddr, '--metrics-addr'),
    log,
  });

  await untilStopped(io.signal);
  const { unsent } = await forwarder.stop();
  return unsent === 0 ? 0 : 1;
}
