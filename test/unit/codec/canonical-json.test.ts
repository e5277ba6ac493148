import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../shared/codec/index.ts';
import type { JsonObject } from '../../../shared/xds/types.ts';

const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const LAMBDA = 'type.googleapis.com/envoy.extensions.filters.http.aws_lambda.v3.Config';
const ROUTE = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

describe('canonicalJson', () => {
  it('writes Durations in seconds with 0, 3, 6 or 9 decimals', () => {
    // Prepare
    const cluster: JsonObject = {
      '@type': CLUSTER,
      name: 'c',
      connect_timeout: '1.5s',
      dns_refresh_rate: '60s',
    };

    // Act
    const canonical = canonicalJson(cluster);

    // Assess
    expect(canonical).toEqual({
      '@type': CLUSTER,
      name: 'c',
      connect_timeout: '1.500s',
      dns_refresh_rate: '60s',
    });
  });

  it('writes wrapper types as plain numbers and int64 as strings', () => {
    // Prepare
    const cluster: JsonObject = {
      '@type': CLUSTER,
      name: 'c',
      per_connection_buffer_limit_bytes: '32768',
      max_requests_per_connection: 100,
    };
    const route: JsonObject = {
      '@type': ROUTE,
      virtual_hosts: [
        {
          name: 'v',
          domains: ['*'],
          routes: [
            {
              match: { prefix: '/', headers: [{ name: 'x-build', range_match: { start: 100, end: 200 } }] },
              route: { cluster: 'c' },
            },
          ],
        },
      ],
    };

    // Act
    const canonicalCluster = canonicalJson(cluster);
    const canonicalRoute = canonicalJson(route);

    // Assess
    expect(canonicalCluster.per_connection_buffer_limit_bytes).toBe(32768);
    expect(canonicalCluster.max_requests_per_connection).toBe(100);
    expect(JSON.stringify(canonicalRoute)).toContain('"range_match":{"start":"100","end":"200"}');
  });

  it('writes enums by name, also when given by number', () => {
    // Prepare
    const cluster: JsonObject = { '@type': CLUSTER, name: 'c', type: 1, lb_policy: 'RING_HASH' };

    // Act
    const canonical = canonicalJson(cluster);

    // Assess
    expect(canonical).toEqual({ '@type': CLUSTER, name: 'c', type: 'STRICT_DNS', lb_policy: 'RING_HASH' });
  });

  it('accepts lowerCamelCase input and writes proto field names', () => {
    // Prepare
    const cluster: JsonObject = {
      '@type': CLUSTER,
      name: 'c',
      connectTimeout: '2s',
      dnsLookupFamily: 'V4_ONLY',
    };

    // Act
    const canonical = canonicalJson(cluster);

    // Assess
    expect(canonical).toEqual({
      '@type': CLUSTER,
      name: 'c',
      connect_timeout: '2s',
      dns_lookup_family: 'V4_ONLY',
    });
  });

  it('drops fields left at their proto3 default', () => {
    // Prepare
    const lambda: JsonObject = {
      '@type': LAMBDA,
      arn: 'arn:aws:lambda:eu-west-1:123456789012:function:f',
      payload_passthrough: false,
      invocation_mode: 'SYNCHRONOUS',
      host_rewrite: '',
    };

    // Act
    const canonical = canonicalJson(lambda);

    // Assess
    expect(canonical).toEqual({ '@type': LAMBDA, arn: 'arn:aws:lambda:eu-west-1:123456789012:function:f' });
  });

  it('keeps Struct values (nested objects, numbers, booleans, null) and base64 bytes', () => {
    // Prepare
    const cluster: JsonObject = {
      '@type': CLUSTER,
      name: 'c',
      metadata: {
        filter_metadata: { fleetplane: { backend: { kind: 'Backend', weight: 1.5, tls: true, note: null } } },
      },
      transport_socket: {
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
          common_tls_context: { validation_context: { trusted_ca: { inline_bytes: 'LS0tLS1CRUdJTg==' } } },
        },
      },
    };

    // Act
    const canonical = canonicalJson(cluster);

    // Assess
    expect(canonical).toEqual(cluster);
  });

  it('writes the @type of nested Any values first', () => {
    // Prepare
    const cluster: JsonObject = {
      '@type': CLUSTER,
      name: 'c',
      transport_socket: {
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          sni: 'example.com',
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        },
      },
    };

    // Act
    const canonical = canonicalJson(cluster);

    // Assess
    const typedConfig = (canonical.transport_socket as JsonObject).typed_config as JsonObject;
    expect(Object.keys(typedConfig)).toEqual(['@type', 'sni']);
  });
});
