// `fleetplane bootstrap --tls…`: the xds cluster gets an UpstreamTlsContext that speaks h2, checks
// the relay's certificate and name, and presents the proxy's certificate for mTLS; the result
// passes `envoy --mode validate` with real PEM files.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type BootstrapCliOptions, runBootstrap } from '../../../cli/bootstrap.ts';
import { repoRoot, validateEnvoyConfig } from '../../support/envoy.ts';
import { createTestCa } from './tls-certs.ts';

interface TlsSocket {
  name: string;
  typed_config: {
    '@type': string;
    sni?: string;
    common_tls_context: {
      alpn_protocols: string[];
      tls_certificates?: Array<{
        certificate_chain: { filename: string };
        private_key: { filename: string };
      }>;
      validation_context: {
        trusted_ca?: { filename: string };
        match_typed_subject_alt_names: Array<{ san_type: string; matcher: { exact: string } }>;
      };
    };
  };
}

function bootstrap(extra: Partial<BootstrapCliOptions>) {
  let out = '';
  const code = runBootstrap(
    {
      xdsServer: '127.0.0.1:18000',
      nodeCluster: 'prod/infra/edge',
      nodeId: 'edge-1',
      adminPort: '9901',
      output: 'yaml',
      ...extra,
    },
    { stdout: { write: (s: string) => (out += s) } },
  );
  const parsed = parse(out) as { static_resources: { clusters: Array<{ transport_socket?: TlsSocket }> } };
  return { code, out, socket: parsed.static_resources.clusters[0]?.transport_socket };
}

describe('fleetplane bootstrap --tls…', () => {
  it('builds an mTLS ADS bootstrap that Envoy validates', async () => {
    // Prepare
    const ca = await createTestCa();
    const proxy = await ca.issue('proxy', { sans: ['URI:spiffe://fleet/ns/infra/sa/edge'] });

    // Act
    const { code, out, socket } = bootstrap({ tlsCa: ca.cert, tlsCert: proxy.cert, tlsKey: proxy.key });

    // Assess
    expect(code).toBe(0);
    expect(socket?.name).toBe('envoy.transport_sockets.tls');
    expect(socket?.typed_config['@type']).toBe(
      'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
    );
    expect(socket?.typed_config.sni).toBeUndefined();
    const context = socket?.typed_config.common_tls_context;
    expect(context?.alpn_protocols).toEqual(['h2']);
    expect(context?.tls_certificates).toEqual([
      { certificate_chain: { filename: proxy.cert }, private_key: { filename: proxy.key } },
    ]);
    expect(context?.validation_context).toEqual({
      trusted_ca: { filename: ca.cert },
      match_typed_subject_alt_names: [{ san_type: 'IP_ADDRESS', matcher: { exact: '127.0.0.1' } }],
    });
    const validated = await validateEnvoyConfig(out);
    expect(validated.ok, validated.output).toBe(true);
  }, 30_000);

  it('uses the relay host name as SNI and expected SAN, or --tls-sni', async () => {
    // Prepare
    const ca = await createTestCa();

    // Act
    const byName = bootstrap({ xdsServer: 'relay.internal:443', tlsCa: ca.cert });
    const bySni = bootstrap({ tlsCa: ca.cert, tlsSni: 'relay.fleet.example' });

    // Assess
    expect(byName.socket?.typed_config.sni).toBe('relay.internal');
    expect(byName.socket?.typed_config.common_tls_context.validation_context).toEqual({
      trusted_ca: { filename: ca.cert },
      match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'relay.internal' } }],
    });
    expect(byName.socket?.typed_config.common_tls_context.tls_certificates).toBeUndefined();
    expect(bySni.socket?.typed_config.sni).toBe('relay.fleet.example');
    expect(
      bySni.socket?.typed_config.common_tls_context.validation_context.match_typed_subject_alt_names,
    ).toEqual([{ san_type: 'DNS', matcher: { exact: 'relay.fleet.example' } }]);
    const validated = await validateEnvoyConfig(byName.out);
    expect(validated.ok, validated.output).toBe(true);
  }, 30_000);

  it('takes the flags on the command line', async () => {
    // Prepare
    const ca = await createTestCa();

    // Act
    const res = spawnSync(
      process.execPath,
      [
        join(repoRoot, 'bin', 'fleetplane.mjs'),
        'bootstrap',
        '--xds-server',
        'relay.internal:18000',
        '--node-cluster',
        'prod/infra/edge',
        '--tls-ca',
        ca.cert,
        '--tls-cert',
        '/etc/envoy/proxy.pem',
        '--tls-key',
        '/etc/envoy/proxy-key.pem',
        '--tls-sni',
        'relay.fleet.example',
        '-o',
        'json',
      ],
      { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 },
    );
    const missingCa = spawnSync(
      process.execPath,
      [
        join(repoRoot, 'bin', 'fleetplane.mjs'),
        'bootstrap',
        '--xds-server',
        'relay.internal:18000',
        '--node-cluster',
        'prod/infra/edge',
        '--tls-sni',
        'relay.internal',
      ],
      { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 },
    );

    // Assess
    expect(res.status, res.stderr).toBe(0);
    const socket = (
      JSON.parse(res.stdout) as { static_resources: { clusters: Array<{ transport_socket: TlsSocket }> } }
    ).static_resources.clusters[0]?.transport_socket;
    expect(socket?.typed_config.sni).toBe('relay.fleet.example');
    expect(socket?.typed_config.common_tls_context.validation_context.trusted_ca).toEqual({
      filename: ca.cert,
    });
    expect(socket?.typed_config.common_tls_context.tls_certificates?.[0]?.private_key).toEqual({
      filename: '/etc/envoy/proxy-key.pem',
    });
    expect(missingCa.status).toBe(1);
    expect(missingCa.stderr).toMatch(/^fleetplane: --tls-sni needs --tls-ca/);
  }, 60_000);

  it('stays plaintext without TLS flags', () => {
    expect(bootstrap({}).socket).toBeUndefined();
  });

  it('refuses TLS without a CA, half a client certificate and a bad SNI, naming the flag', () => {
    const tlsCa = '/etc/envoy/ca.pem';
    expect(() => bootstrap({ tlsSni: 'relay.internal' })).toThrow(/^--tls-sni needs --tls-ca: the CA bundle/);
    expect(() => bootstrap({ tlsCert: '/p.pem', tlsKey: '/k.pem' })).toThrow(/^--tls-cert needs --tls-ca/);
    expect(() => bootstrap({ tlsCa, tlsCert: '/etc/envoy/proxy.pem' })).toThrow(
      /^--tls-cert needs --tls-key/,
    );
    expect(() => bootstrap({ tlsCa, tlsKey: '/etc/envoy/proxy-key.pem' })).toThrow(
      /^--tls-key needs --tls-cert/,
    );
    expect(() => bootstrap({ tlsCa, tlsSni: 'not a name' })).toThrow(
      /^--tls-sni "not a name": expected a DNS name/,
    );
    expect(() => bootstrap({ tlsCa: ' ' })).toThrow(/^--tls-ca: expected a file path/);
  });
});
