import { describe, expect, it } from 'vitest';
import {
  buildDynamicForwardProxyCluster,
  dynamicForwardProxyListenerFilter,
} from '../../../../shared/xds/clusters/dynamic-forward-proxy.ts';
import type { JsonObject } from '../../../../shared/xds/types.ts';
import { ADS, defined } from './fixtures.ts';

const HPO = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function clusterCache(cluster: JsonObject | undefined): unknown {
  return ((defined(cluster).cluster_type as JsonObject).typed_config as JsonObject).dns_cache_config;
}

describe('buildDynamicForwardProxyCluster', () => {
  it('uses the DFP cluster type with CLUSTER_PROVIDED and returns the listener filter', () => {
    // Act
    const built = buildDynamicForwardProxyCluster(
      'backend_default_dfp',
      { type: 'dynamicForwardProxy', enableTls: false },
      ADS,
    );

    // Assess
    const [cluster] = built.clusters;
    expect(cluster).toMatchObject({
      name: 'backend_default_dfp',
      connect_timeout: '5s',
      lb_policy: 'CLUSTER_PROVIDED',
      cluster_type: {
        name: 'envoy.clusters.dynamic_forward_proxy',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig',
        },
      },
    });
    expect(cluster).not.toHaveProperty('transport_socket');
    expect(built.listenerHttpFilters).toEqual([dynamicForwardProxyListenerFilter()]);
  });

  it('gives the cluster and the listener filter byte-identical DNS caches', () => {
    // Act
    const built = buildDynamicForwardProxyCluster('c', { type: 'dynamicForwardProxy', enableTls: true }, ADS);

    // Assess
    const filterCache = (defined(built.listenerHttpFilters[0]).typed_config as JsonObject).dns_cache_config;
    expect(JSON.stringify(clusterCache(built.clusters[0]))).toBe(JSON.stringify(filterCache));
  });

  it('shares one cache across backends so one listener filter serves them all', () => {
    // Act
    const a = buildDynamicForwardProxyCluster('a', { type: 'dynamicForwardProxy', enableTls: false }, ADS);
    const b = buildDynamicForwardProxyCluster('b', { type: 'dynamicResolver' }, ADS);

    // Assess
    expect(a.listenerHttpFilters).toEqual(b.listenerHttpFilters);
  });

  it('with enableTls validates against the system bundle, SNI and SAN from the Host', () => {
    // Act
    const [cluster] = buildDynamicForwardProxyCluster(
      'c',
      { type: 'dynamicForwardProxy', enableTls: true },
      ADS,
    ).clusters;

    // Assess
    expect(cluster?.transport_socket).toMatchObject({
      typed_config: {
        common_tls_context: {
          validation_context: { trusted_ca: { filename: '/etc/ssl/certs/ca-certificates.crt' } },
        },
      },
    });
    expect(cluster?.typed_extension_protocol_options).toMatchObject({
      [HPO]: { upstream_http_protocol_options: { auto_sni: true, auto_san_validation: true } },
    });
  });

  it('ignores a fixed SNI for a resolver (the host varies) and allows insecure options only for insecureSkipVerify', () => {
    // Act
    const [cluster] = buildDynamicForwardProxyCluster(
      'c',
      {
        type: 'dynamicResolver',
        tls: { sni: 'fixed.example', insecureSkipVerify: true, caCertificateRefs: [], subjectAltNames: [] },
      },
      ADS,
    ).clusters;

    // Assess
    expect(cluster?.transport_socket).not.toMatchObject({ typed_config: { sni: 'fixed.example' } });
    expect(cluster?.cluster_type).toMatchObject({ typed_config: { allow_insecure_cluster_options: true } });
    expect(cluster?.typed_extension_protocol_options).toMatchObject({
      [HPO]: { upstream_http_protocol_options: { auto_sni: true } },
    });
  });
});
