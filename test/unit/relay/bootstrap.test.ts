import { describe, expect, it } from 'vitest';
import { adsBootstrap, XDS_CLUSTER_NAME } from '../../../services/relay/bootstrap.ts';
import { RelayConfigError } from '../../../services/relay/errors.ts';

/** The parts of the bootstrap these tests read. */
interface Bootstrap {
  node: unknown;
  admin: { address: { socket_address: unknown } };
  dynamic_resources: {
    ads_config: { api_type: string; grpc_services: Array<{ envoy_grpc: { cluster_name: string } }> };
    lds_config: unknown;
    cds_config: unknown;
  };
  static_resources: {
    clusters: Array<{
      type: string;
      typed_extension_protocol_options: Record<string, { explicit_http_config: object }>;
    }>;
  };
}

describe('adsBootstrap', () => {
  it('points ADS at the relay over HTTP/2 and takes LDS and CDS from it', () => {
    // Act
    const bootstrap = adsBootstrap({
      xdsServer: { host: '10.0.0.5', port: 18000 },
      nodeCluster: 'prod/infra/edge',
      nodeId: 'edge-1',
    }) as unknown as Bootstrap;

    // Assess
    expect(bootstrap.node).toEqual({ id: 'edge-1', cluster: 'prod/infra/edge' });
    expect(bootstrap.admin.address.socket_address).toEqual({ address: '127.0.0.1', port_value: 9901 });
    const ads = bootstrap.dynamic_resources.ads_config;
    expect(ads).toMatchObject({
      api_type: 'GRPC',
      transport_api_version: 'V3',
      set_node_on_first_message_only: true,
    });
    expect(ads.grpc_services[0]?.envoy_grpc.cluster_name).toBe(XDS_CLUSTER_NAME);
    expect(bootstrap.dynamic_resources.lds_config).toEqual({ ads: {}, resource_api_version: 'V3' });
    expect(bootstrap.dynamic_resources.cds_config).toEqual({ ads: {}, resource_api_version: 'V3' });
    const [xds] = bootstrap.static_resources.clusters;
    expect(xds?.type).toBe('STATIC');
    expect(
      xds?.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']
        ?.explicit_http_config,
    ).toHaveProperty('http2_protocol_options');
  });

  it('resolves a relay given by name, and can use Delta', () => {
    // Act
    const bootstrap = adsBootstrap({
      xdsServer: { host: 'relay.internal', port: 18000 },
      nodeCluster: 'prod/infra/edge',
      nodeId: 'edge-1',
      protocol: 'delta',
    }) as unknown as Bootstrap;

    // Assess
    expect(bootstrap.static_resources.clusters[0]?.type).toBe('LOGICAL_DNS');
    expect(bootstrap.dynamic_resources.ads_config.api_type).toBe('DELTA_GRPC');
  });

  it('rejects a node cluster that cannot select a snapshot', () => {
    // Act + Assess
    expect(() =>
      adsBootstrap({ xdsServer: { host: '127.0.0.1', port: 1 }, nodeCluster: 'prod/edge', nodeId: 'x' }),
    ).toThrow(RelayConfigError);
  });
});
