// The overlay's AWS fields, as encoded by the codec, are accepted by the real Envoy 1.40 from
// .venv: once as JSON and once as binary protobuf, which Envoy parses with its own C++ code.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, discoveryResponseJson, encodeResource } from '../../../shared/codec/index.ts';
import { type JsonObject, TypeUrl } from '../../../shared/xds/types.ts';
import { envoyBinary, validateEnvoyConfig, validateEnvoyFile } from '../../support/envoy.ts';
import { at, fixture } from './fixtures.ts';

const BOOTSTRAP = 'type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap';
const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** A static bootstrap: the Lambda cluster fixture and one listener routing everything to it. */
function lambdaBootstrap(dir: string): JsonObject {
  const { '@type': _type, ...cluster } = fixture('lambda-cluster');
  // A static bootstrap has no ADS: the SDS validation context is read from a file instead.
  const caFile = join(dir, 'aws-ca.json');
  const secret = fixture('secret');
  writeFileSync(
    caFile,
    JSON.stringify(discoveryResponseJson({ versionInfo: '1', typeUrl: TypeUrl.Secret, resources: [secret] })),
  );
  const validation = at(
    cluster,
    'transport_socket',
    'typed_config',
    'common_tls_context',
    'combined_validation_context',
  );
  validation.validation_context_sds_secret_config = {
    name: String(secret.name),
    sds_config: { path_config_source: { path: caFile }, resource_api_version: 'V3' },
  };
  return {
    '@type': BOOTSTRAP,
    node: { id: 'codec-test', cluster: 'test/default/gw' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: {
      clusters: [cluster],
      listeners: [
        {
          name: 'http',
          address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type':
                      'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'http',
                    route_config: {
                      name: 'lambda',
                      virtual_hosts: [
                        {
                          name: 'all',
                          domains: ['*'],
                          routes: [
                            {
                              match: { prefix: '/' },
                              route: {
                                cluster: String(cluster.name),
                                host_rewrite_literal: 'lambda.eu-west-1.amazonaws.com',
                              },
                            },
                          ],
                        },
                      ],
                    },
                    http_filters: [
                      {
                        name: 'envoy.filters.http.router',
                        typed_config: {
                          '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                        },
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    },
  };
}

function signingFilter(bootstrap: JsonObject): JsonObject {
  return at(
    bootstrap,
    'static_resources',
    'clusters',
    0,
    'typed_extension_protocol_options',
    HTTP_OPTIONS,
    'http_filters',
    1,
    'typed_config',
  );
}

function withoutType(resource: JsonObject): JsonObject {
  const { '@type': _type, ...rest } = resource;
  return rest;
}

describe('envoy --mode validate on codec output', () => {
  let dir: string;

  beforeAll(() => {
    envoyBinary(); // fails with "run `npm run setup`" when .venv has no Envoy
    dir = mkdtempSync(join(tmpdir(), 'fleetplane-codec-envoy-'));
  });

  it('accepts the Lambda upstream filters (assume-role SigV4) as canonical JSON', async () => {
    // Prepare
    const bootstrap = withoutType(canonicalJson(lambdaBootstrap(dir)));

    // Act
    const run = await validateEnvoyConfig(bootstrap, 'bootstrap.json');

    // Assess
    expect(run.output).toMatch(/OK/);
    expect(run.ok).toBe(true);
  });

  it('accepts the same bootstrap as binary protobuf', async () => {
    // Prepare
    const file = join(dir, 'bootstrap.pb');
    writeFileSync(file, encodeResource(lambdaBootstrap(dir)));

    // Act
    const run = await validateEnvoyFile(file);

    // Assess
    expect(run.output).toMatch(/OK/);
    expect(run.ok).toBe(true);
  });

  it('rejects an unknown field inside the assume-role provider (JSON)', async () => {
    // Prepare
    const bootstrap = withoutType(lambdaBootstrap(dir));
    at(signingFilter(bootstrap), 'credential_provider', 'assume_role_credential_provider').role_arnx = 'typo';

    // Act
    const run = await validateEnvoyConfig(bootstrap, 'bad.json');

    // Assess
    expect(run.ok).toBe(false);
    expect(run.output).toContain('role_arnx');
  });

  it('rejects credential_provider under another field number (binary)', async () => {
    // Prepare: find the encoded AwsRequestSigning inside the bootstrap and retag field 8 as 12.
    const bootstrap = lambdaBootstrap(dir);
    const signing = signingFilter(bootstrap);
    const { credential_provider: _provider, ...withoutProvider } = signing;
    const signingBytes = Buffer.from(encodeResource(signing));
    const tagOffset = encodeResource(withoutProvider).length;
    expect(signingBytes[tagOffset]).toBe((8 << 3) | 2);
    const bytes = Buffer.from(encodeResource(bootstrap));
    const start = bytes.indexOf(signingBytes);
    expect(start).toBeGreaterThan(0);
    bytes[start + tagOffset] = (12 << 3) | 2;
    const file = join(dir, 'bad.pb');
    writeFileSync(file, bytes);

    // Act
    const run = await validateEnvoyFile(file);

    // Assess
    expect(run.ok).toBe(false);
    expect(run.output).toMatch(/AwsRequestSigning.*unknown field/);
  });
});
