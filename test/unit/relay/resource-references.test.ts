// What a relay fetching from a parent learns to subscribe to from clusters and listeners.

import { describe, expect, it } from 'vitest';
import { resourceReferences } from '../../../services/relay/source/resource-references.ts';
import { toAny } from '../../../shared/codec/index.ts';
import { TypeUrl } from '../../../shared/xds/types.ts';
import { cluster, endpoints, HCM, httpListener, listener, ROUTER } from './fixtures.ts';

const TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3';

describe('resourceReferences', () => {
  it('names the endpoints of an EDS cluster, by service_name when it has one', () => {
    // Act
    const plain = resourceReferences(toAny(cluster('a')));
    const named = resourceReferences(
      toAny({ ...cluster('b'), eds_cluster_config: { service_name: 'b-eds', eds_config: { ads: {} } } }),
    );
    const fixed = resourceReferences(
      toAny({ '@type': TypeUrl.Cluster, name: 'c', type: 'STATIC', load_assignment: { cluster_name: 'c' } }),
    );

    // Assess
    expect(plain).toEqual({ name: 'a', endpoints: ['a'], routes: [], secrets: [] });
    expect(named.endpoints).toEqual(['b-eds']);
    expect(fixed.endpoints).toEqual([]);
  });

  it('finds RDS route names inside filter chains and api_listener, and SDS secrets of TLS contexts', () => {
    // Prepare
    const tls = {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': `${TLS}.DownstreamTlsContext`,
        common_tls_context: {
          tls_certificate_sds_secret_configs: [{ name: 'edge-cert', sds_config: { ads: {} } }],
        },
      },
    };
    const base = httpListener('l1', 8443, 'r-https');
    const withTls = {
      ...base,
      filter_chains: (base.filter_chains as object[]).map((chain) => ({ ...chain, transport_socket: tls })),
    };
    const api = {
      '@type': TypeUrl.Listener,
      name: 'echo',
      api_listener: {
        api_listener: {
          '@type': HCM,
          rds: { route_config_name: 'echo-routes', config_source: { ads: {} } },
          http_filters: [{ name: 'router', typed_config: { '@type': ROUTER } }],
        },
      },
    };

    // Act
    const https = resourceReferences(toAny(withTls));
    const grpc = resourceReferences(toAny(api));

    // Assess
    expect(https).toEqual({ name: 'l1', endpoints: [], routes: ['r-https'], secrets: ['edge-cert'] });
    expect(grpc.routes).toEqual(['echo-routes']);
  });

  it('reads endpoints by cluster_name, and ignores a bare listener', () => {
    // Act + Assess
    expect(resourceReferences(toAny(endpoints('a', 1))).name).toBe('a');
    expect(resourceReferences(toAny(listener('l', 1)))).toEqual({
      name: 'l',
      endpoints: [],
      routes: [],
      secrets: [],
    });
  });

  it('throws on bytes that are not the type, and on a resource without a name', () => {
    // Act + Assess
    expect(() =>
      resourceReferences({ typeUrl: TypeUrl.Cluster, value: new Uint8Array([0x0a, 0xff]) }),
    ).toThrow();
    expect(() => resourceReferences(toAny({ '@type': TypeUrl.Cluster, connect_timeout: '1s' }))).toThrow(
      /without a name/,
    );
  });
});
