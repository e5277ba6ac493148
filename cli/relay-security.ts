// The relay's security and reporting flags, kept apart from cli/relay.ts so they can be added to
// any command that starts a relay:
//
//   --tls-cert relay.pem --tls-key relay-key.pem      TLS on the ADS listener
//   --client-ca clients-ca.pem --authz authz.yaml     mutual TLS; each client identity (URI SAN such
//                                                     as a SPIFFE ID, DNS SAN, else the subject CN)
//                                                     reads only the gateways authz.yaml grants it
//   --nack-event-bus fleetplane                       every NACK also as an event on the bus
//   --parent-ca ca.pem [--parent-cert c --parent-key k]  TLS (mTLS) to an xds:// parent relay
//
// `relaySecurityFromOptions` reads and checks the files, so bad ones fail at start naming the flag,
// and returns what `startRelay` (and, for an xds:// source, ParentRelaySource) takes.

import type { EventBridgeClient, EventBridgeClientConfig } from '@aws-sdk/client-eventbridge';
import type { ChannelCredentials } from '@grpc/grpc-js';
import type { Command } from 'commander';
import type { Logger } from '../services/common/log.ts';
import { AuthzPolicy } from '../services/relay/authz.ts';
import { RelayConfigError } from '../services/relay/errors.ts';
import { allNackReporters, LogNackReporter, type NackReporter } from '../services/relay/nack-reporter.ts';
import type { RelayMetrics } from '../services/relay/relay-metrics.ts';
import { channelCredentials, loadRelayTls, type RelayTls, readPem } from '../services/relay/tls.ts';
import type { EventBridgeNackReporter, NackEventOutcome } from '../shared/aws/event-bridge-nack-reporter.ts';

export interface RelaySecurityCliOptions {
  tlsCert?: string;
  tlsKey?: string;
  clientCa?: string;
  authz?: string;
  nackEventBus?: string;
  parentCa?: string;
  parentCert?: string;
  parentKey?: string;
}

export interface RelaySecurity {
  tls?: RelayTls;
  authz?: AuthzPolicy;
  /** Always set: the log and per-gateway counter, plus the bus with `--nack-event-bus`. */
  nackReporter: NackReporter;
  /** For `--source xds://…`: TLS (with a client certificate for mTLS) towards the parent relay. */
  parentCredentials?: ChannelCredentials;
}

export function addRelaySecurityOptions<C extends Command>(command: C): C {
  command
    .option('--tls-cert <file>', 'TLS on the ADS listener: the relay certificate chain, PEM (with --tls-key)')
    .option('--tls-key <file>', 'the private key of --tls-cert, PEM')
    .option(
      '--client-ca <file>',
      'mutual TLS: clients must present a certificate this CA bundle signed (needs --tls-cert and --authz)',
    )
    .option(
      '--authz <file>',
      'JSON or YAML map of client identity (URI SAN e.g. a SPIFFE ID, DNS SAN, else CN; "*" for any) ' +
        'to the <clusterId>/<ns>/<gateway> patterns it may read (needs --client-ca)',
    )
    .option(
      '--nack-event-bus <name | arn>',
      'also put each NACK on this EventBridge bus ("Envoy Config Rejected", deduplicated per node, type and version)',
    )
    .option(
      '--parent-ca <file>',
      'xds:// source: TLS to the parent relay, checked against this CA bundle (PEM)',
    )
    .option(
      '--parent-cert <file>',
      "xds:// source: this relay's client certificate chain for a parent with mTLS",
    )
    .option('--parent-key <file>', 'the private key of --parent-cert (PEM)');
  return command;
}

export async function relaySecurityFromOptions(
  opts: RelaySecurityCliOptions,
  deps: {
    log: Logger;
    metrics: RelayMetrics;
    /** For `--nack-event-bus`: your own client, or its config (default: the SDK's chain). */
    eventBridge?: { client?: EventBridgeClient; clientConfig?: EventBridgeClientConfig };
  },
): Promise<RelaySecurity> {
  const { log, metrics } = deps;
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined))
    throw new RelayConfigError(
      opts.tlsCert === undefined
        ? '--tls-key needs --tls-cert: the certificate chain the key belongs to'
        : '--tls-cert needs --tls-key: the private key of the certificate',
    );
  if (opts.clientCa !== undefined && opts.tlsCert === undefined)
    throw new RelayConfigError(
      '--client-ca needs --tls-cert and --tls-key: mutual TLS is TLS with client certificates',
    );
  if (opts.authz !== undefined && opts.clientCa === undefined)
    throw new RelayConfigError(
      '--authz needs --client-ca: identities come from client certificates, which only mTLS asks for',
    );
  if (opts.clientCa !== undefined && opts.authz === undefined)
    throw new RelayConfigError(
      '--client-ca needs --authz: say which identities may read which gateways ' +
        '(an --authz file of {"*": ["*/*/*"]} lets every client the CA signed read every gateway)',
    );

  const security: Omit<RelaySecurity, 'nackReporter'> = {};
  if (opts.tlsCert !== undefined && opts.tlsKey !== undefined)
    security.tls = await loadRelayTls({
      cert: opts.tlsCert,
      key: opts.tlsKey,
      ...(opts.clientCa !== undefined ? { clientCa: opts.clientCa } : {}),
    });
  if (opts.authz !== undefined) security.authz = await AuthzPolicy.load(opts.authz);

  const parentCredentials = await parentTls(opts);
  if (parentCredentials) security.parentCredentials = parentCredentials;

  const logReporter = new LogNackReporter({ log, metrics });
  if (opts.nackEventBus === undefined) return { ...security, nackReporter: logReporter };
  const bus = await nackEventReporter(opts.nackEventBus, deps);
  return { ...security, nackReporter: allNackReporters([logReporter, bus], log) };
}

async function parentTls(opts: RelaySecurityCliOptions): Promise<ChannelCredentials | undefined> {
  if (opts.parentCa === undefined) {
    if (opts.parentCert !== undefined || opts.parentKey !== undefined)
      throw new RelayConfigError(
        `${opts.parentCert !== undefined ? '--parent-cert' : '--parent-key'} needs --parent-ca: ` +
          "the CA bundle that signed the parent relay's certificate",
      );
    return undefined;
  }
  if ((opts.parentCert === undefined) !== (opts.parentKey === undefined))
    throw new RelayConfigError(
      opts.parentCert === undefined
        ? '--parent-key needs --parent-cert: the certificate chain the key belongs to'
        : '--parent-cert needs --parent-key: the private key of the certificate',
    );
  const ca = await readPem(opts.parentCa, '--parent-ca');
  if (opts.parentCert === undefined || opts.parentKey === undefined) return channelCredentials({ ca });
  const own = await loadRelayTls(
    { cert: opts.parentCert, key: opts.parentKey },
    { cert: '--parent-cert', key: '--parent-key', clientCa: '--parent-ca' },
  );
  return channelCredentials({ ca, cert: own.cert, key: own.key });
}

async function nackEventReporter(
  eventBusName: string,
  deps: Parameters<typeof relaySecurityFromOptions>[1],
): Promise<EventBridgeNackReporter> {
  if (eventBusName.trim() === '')
    throw new RelayConfigError('--nack-event-bus: expected an event bus name or ARN, e.g. fleetplane');
  // The AWS SDK is loaded only when a bus is named, as for the relay's other AWS features.
  const { EventBridgeClient } = await import('@aws-sdk/client-eventbridge');
  const { EventBridgeNackReporter } = await import('../shared/aws/event-bridge-nack-reporter.ts');
  const client = deps.eventBridge?.client ?? new EventBridgeClient(deps.eventBridge?.clientConfig ?? {});
  try {
    await client.config.region();
  } catch (error) {
    throw new RelayConfigError(
      `--nack-event-bus ${eventBusName}: no AWS region configured (set AWS_REGION): ${(error as Error).message}`,
      { cause: error },
    );
  }
  const { log, metrics } = deps;
  return new EventBridgeNackReporter({
    eventBusName,
    client,
    onOutcome: (outcome: NackEventOutcome, nack, error) => {
      metrics.nackEvents.inc({ outcome });
      const fields = {
        bus: eventBusName,
        outcome,
        nodeCluster: `${nack.clusterId}/${nack.gateway.namespace}/${nack.gateway.name}`,
        nodeId: nack.nodeId,
        typeUrl: nack.typeUrl,
        version: nack.version,
        ...(error ? { error } : {}),
      };
      if (outcome === 'failed' || outcome === 'invalid')
        log.error('NACK event not put on the bus; it is counted and logged only', fields);
      else if (outcome === 'rate-limited' || outcome === 'queue-full')
        log.warn('NACK event held back by the rate limit; it is counted and logged only', fields);
      else if (outcome === 'sent') log.debug('NACK event put on the bus', fields);
    },
  });
}
