import { describe, expect, it } from 'vitest';
import { awsLambdaFilter, buildLambdaCluster } from '../../../../shared/xds/clusters/lambda.ts';
import type { JsonObject } from '../../../../shared/xds/types.ts';
import { ADS, lambdaBackend } from './fixtures.ts';

const HPO = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function upstreamFilters(cluster: JsonObject): JsonObject[] {
  return ((cluster.typed_extension_protocol_options as JsonObject)[HPO] as JsonObject)
    .http_filters as JsonObject[];
}

describe('awsLambdaFilter', () => {
  it('maps the ARN, invocation mode and payload transform', () => {
    // Act
    const envelope = awsLambdaFilter(lambdaBackend());
    const passthrough = awsLambdaFilter(
      lambdaBackend({ invocationMode: 'Async', payloadTransformMode: 'None' }),
    );

    // Assess
    expect(envelope.typed_config).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.aws_lambda.v3.Config',
      arn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders:live',
      payload_passthrough: false,
      invocation_mode: 'SYNCHRONOUS',
    });
    expect(passthrough.typed_config).toMatchObject({
      payload_passthrough: true,
      invocation_mode: 'ASYNCHRONOUS',
    });
  });
});

describe('buildLambdaCluster', () => {
  it('reaches the regional endpoint over TLS with SNI and rewrites Host to it', () => {
    // Act
    const built = buildLambdaCluster('backend_default_lambda', lambdaBackend(), ADS);

    // Assess
    const [cluster] = built.clusters;
    expect(cluster).toMatchObject({
      name: 'backend_default_lambda',
      type: 'LOGICAL_DNS',
      dns_lookup_family: 'V4_PREFERRED',
      connect_timeout: '5s',
      load_assignment: {
        endpoints: [
          {
            lb_endpoints: [
              {
                endpoint: {
                  address: { socket_address: { address: 'lambda.eu-west-1.amazonaws.com', port_value: 443 } },
                },
              },
            ],
          },
        ],
      },
      transport_socket: { typed_config: { sni: 'lambda.eu-west-1.amazonaws.com' } },
    });
    expect(built.route).toEqual({ hostRewrite: 'lambda.eu-west-1.amazonaws.com' });
    expect(built.listenerHttpFilters).toEqual([]);
  });

  it('runs aws_lambda, then aws_request_signing with the assumed role, then the codec', () => {
    // Act
    const [cluster] = buildLambdaCluster('c', lambdaBackend(), ADS).clusters;

    // Assess
    const filters = upstreamFilters(cluster as JsonObject);
    expect(filters.map((f) => f.name)).toEqual([
      'envoy.filters.http.aws_lambda',
      'envoy.filters.http.aws_request_signing',
      'envoy.filters.http.upstream_codec',
    ]);
    expect(filters[1]?.typed_config).toMatchObject({
      service_name: 'lambda',
      region: 'eu-west-1',
      credential_provider: {
        custom_credential_provider_chain: true,
        assume_role_credential_provider: {
          role_arn: 'arn:aws:iam::123456789012:role/invoker',
          role_session_name: 'fleetplane',
          external_id: 'ext-42',
        },
      },
    });
  });

  it('talks plain HTTP to an emulator on an IP address', () => {
    // Act
    const built = buildLambdaCluster(
      'c',
      lambdaBackend({
        endpoint: { host: '127.0.0.1', port: 4566, tls: false },
        auth: { mode: 'defaultChain' },
      }),
      ADS,
    );

    // Assess
    const [cluster] = built.clusters;
    expect(cluster).toMatchObject({ type: 'STATIC' });
    expect(cluster).not.toHaveProperty('transport_socket');
    expect(upstreamFilters(cluster as JsonObject)[1]?.typed_config).not.toHaveProperty('credential_provider');
    expect(built.route).toEqual({ hostRewrite: '127.0.0.1' });
  });
});
