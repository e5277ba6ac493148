// `fleetplane bootstrap`: prints an Envoy bootstrap that takes its whole config from the relay
// over ADS, in plaintext or over TLS:
//
//   --tls-ca ca.pem                        TLS, the relay's certificate checked against this CA
//   --tls-cert proxy.pem --tls-key key.pem mTLS: the proxy's certificate, for a relay with --client-ca
//   --tls-sni relay.internal               SNI and the name the relay's certificate must carry
//
// Every --tls-* flag needs --tls-ca: Envoy checks neither the certificate nor its name without a
// trusted CA. File paths are written as given: Envoy reads them, where it runs.

import { hostname } from 'node:os';
import { type Command, Option } from 'commander';
import { stringify } from 'yaml';
import { type AdsBootstrapTls, adsBootstrap } from '../services/relay/bootstrap.ts';
import { RelayConfigError } from '../services/relay/errors.ts';
import { parseHostPort } from '../services/relay/options.ts';

export interface BootstrapCliOptions {
  xdsServer: string;
  nodeCluster: string;
  nodeId: string;
  adminPort: string;
  delta?: boolean;
  output: 'yaml' | 'json';
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsSni?: string;
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
    .option(
      '--tls-ca <file>',
      'TLS to the relay: the CA bundle (PEM) that signed its certificate (for a public CA, the system bundle)',
    )
    .option('--tls-cert <file>', "the proxy's client certificate chain (PEM), for a relay with mTLS")
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .option(
      '--tls-sni <name>',
      "SNI, and the DNS name the relay certificate must carry (default: --xds-server's host if a name)",
    )
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
    ...tlsOptions(opts),
  });
  io.stdout.write(
    opts.output === 'json'
      ? `${JSON.stringify(bootstrap, null, 2)}\n`
      : stringify(bootstrap, { lineWidth: 0, aliasDuplicateObjects: false }),
  );
  return 0;
}

function tlsOptions(opts: BootstrapCliOptions): { tls?: AdsBootstrapTls } {
  if ([opts.tlsCa, opts.tlsCert, opts.tlsKey, opts.tlsSni].every((value) => value === undefined)) return {};
  if (opts.tlsCa === undefined)
    throw new RelayConfigError(
      `${opts.tlsCert !== undefined ? '--tls-cert' : opts.tlsKey !== undefined ? '--tls-key' : '--tls-sni'} ` +
        "needs --tls-ca: the CA bundle that signed the relay's certificate " +
        '(for a public CA, the system bundle, e.g. /etc/ssl/certs/ca-certificates.crt)',
    );
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined))
    throw new RelayConfigError(
      opts.tlsCert === undefined
        ? '--tls-key needs --tls-cert: the client certificate chain the key belongs to'
        : '--tls-cert needs --tls-key: the private key of the client certificate',
    );
  return {
    tls: {
      caFile: opts.tlsCa,
      ...(opts.tlsCert !== undefined ? { certFile: opts.tlsCert } : {}),
      ...(opts.tlsKey !== undefined ? { keyFile: opts.tlsKey } : {}),
      ...(opts.tlsSni !== undefined ? { sni: opts.tlsSni } : {}),
    },
  };
}
