import { describe, expect, it } from 'vitest';
import {
  buildStaticCluster,
  type StaticBackendIR,
  staticEndpointProblems,
} from '../../../../shared/xds/clusters/static.ts';
import type { JsonObject } from '../../../../shared/xds/types.ts';
import { ADS } from './fixtures.ts';

const HPO = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function only(clusters: JsonObject[]): JsonObject {
  expect(clusters).toHaveLength(1);
  return clusters[0] as JsonObject;
}

describe('buildStaticCluster', () => {
  it('builds a STATIC cluster for IPs with fallback endpoints at priority 1', () => {
    // Prepare
    const backend: StaticBackendIR = {
      type: 'static',
      endpoints: [
        { address: { kind: 'ip', address: '10.0.0.9', port: 80 }, priority: 1 },
        { address: { kind: 'ip', address: '10.0.0.1', port: 80 }, priority: 0 },
      ],
    };

    // Act
    const built = buildStaticCluster('egbackend_default_b', backend, ADS);

    // Assess
    const cluster = only(built.clusters);
    expect(cluster).toMatchObject({ name: 'egbackend_default_b', type: 'STATIC', connect_timeout: '5s' });
    expect(cluster.load_assignment).toMatchObject({
      endpoints: [
        { lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.1' } } } }] },
        {
          priority: 1,
          lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.9' } } } }],
        },
      ],
    });
    expect(cluster).not.toHaveProperty('transport_socket');
    expect(cluster).not.toHaveProperty('typed_extension_protocol_options');
    expect(built.route).toEqual({});
  });

  it('resolves FQDNs with STRICT_DNS and rewrites Host to the endpoint', () => {
    // Prepare
    const backend: StaticBackendIR = {
      type: 'static',
      endpoints: [{ address: { kind: 'fqdn', hostname: 'httpbin.org', port: 80 }, priority: 0 }],
    };

    // Act
    const built = buildStaticCluster('c', backend, ADS);

    // Assess
    expect(only(built.clusters)).toMatchObject({ type: 'STRICT_DNS', dns_lookup_family: 'V4_PREFERRED' });
    expect(built.route).toEqual({ autoHostRewrite: true });
  });

  it('addresses unix sockets as pipes in a STATIC cluster', () => {
    // Act
    const built = buildStaticCluster(
      'c',
      { type: 'static', endpoints: [{ address: { kind: 'unix', path: '/run/app.sock' }, priority: 0 }] },
      ADS,
    );

    // Assess
    expect(only(built.clusters)).toMatchObject({
      type: 'STATIC',
      load_assignment: {
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { pipe: { path: '/run/app.sock' } } } }] }],
      },
    });
  });

  it('leaves unix sockets out of a DNS cluster and says so', () => {
    // Prepare
    const backend: StaticBackendIR = {
      type: 'static',
      endpoints: [
        { address: { kind: 'unix', path: '/run/app.sock' }, priority: 0 },
        { address: { kind: 'fqdn', hostname: 'a.example', port: 80 }, priority: 0 },
      ],
    };

    // Act
    const built = buildStaticCluster('c', backend, ADS);

    // Assess
    expect(JSON.stringify(built.clusters)).not.toContain('pipe');
    expect(staticEndpointProblems(backend)).toEqual([
      'endpoints: unix socket /run/app.sock cannot share a cluster with hostnames; it is left out',
    ]);
  });

  it('speaks HTTP/2 for h2c and http2', () => {
    for (const protocol of ['h2c', 'http2'] as const) {
      // Act
      const built = buildStaticCluster(
        'c',
        {
          type: 'static',
          endpoints: [{ address: { kind: 'ip', address: '10.0.0.1', port: 80 }, priority: 0 }],
          protocol,
        },
        ADS,
      );

      // Assess
      expect(only(built.clusters).typed_extension_protocol_options).toMatchObject({
        [HPO]: { explicit_http_config: { http2_protocol_options: {} } },
      });
    }
  });

  it('originates TLS from the BackendTLSPolicy before the backend`s own TLS settings', () => {
    // Prepare
    const backend: StaticBackendIR = {
      type: 'static',
      endpoints: [{ address: { kind: 'ip', address: '10.0.0.1', port: 443 }, priority: 0 }],
      tls: { sni: 'from-backend', caCertificateRefs: [], subjectAltNames: [] },
    };

    // Act
    const built = buildStaticCluster('c', backend, {
      ...ADS,
      tls: { sni: 'from-policy', caCertificateRefs: [], subjectAltNames: [] },
    });

    // Assess
    expect(only(built.clusters).transport_socket).toMatchObject({ typed_config: { sni: 'from-policy' } });
  });

  it('takes SNI from the endpoint hostname for FQDN backends without an explicit SNI', () => {
    // Act
    const built = buildStaticCluster(
      'c',
      {
        type: 'static',
        endpoints: [{ address: { kind: 'fqdn', hostname: 'api.example.com', port: 443 }, priority: 0 }],
        tls: { autoSni: true, caCertificateRefs: [], subjectAltNames: [] },
      },
      ADS,
    );

    // Assess
    const cluster = only(built.clusters);
    expect(cluster.transport_socket).toMatchObject({
      typed_config: { auto_host_sni: true, auto_sni_san_validation: true },
    });
    expect(cluster).not.toHaveProperty('typed_extension_protocol_options');
  });

  it('uses request-based auto SNI for IP backends', () => {
    // Act
    const built = buildStaticCluster(
      'c',
      {
        type: 'static',
        endpoints: [{ address: { kind: 'ip', address: '10.0.0.1', port: 443 }, priority: 0 }],
        tls: { autoSni: true, caCertificateRefs: [], subjectAltNames: [] },
      },
      ADS,
    );

    // Assess
    expect(only(built.clusters).typed_extension_protocol_options).toMatchObject({
      [HPO]: { upstream_http_protocol_options: { auto_sni: true, auto_san_validation: true } },
    });
  });

  it('adds the given upstream filters before the codec', () => {
    // Act
    const built = buildStaticCluster(
      'c',
      {
        type: 'static',
        endpoints: [{ address: { kind: 'ip', address: '10.0.0.1', port: 80 }, priority: 0 }],
      },
      ADS,
      { httpFilters: [{ name: 'auth', typed_config: { '@type': 'type.googleapis.com/x' } }] },
    );

    // Assess
    const hpo = (only(built.clusters).typed_extension_protocol_options as JsonObject)[HPO] as JsonObject;
    expect((hpo.http_filters as JsonObject[]).map((f) => f.name)).toEqual([
      'auth',
      'envoy.filters.http.upstream_codec',
    ]);
  });
});
