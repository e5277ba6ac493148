// A ready Envoy bootstrap for proxies fed by the relay over ADS (`fleetplane bootstrap`): the node
// identity that selects the Gateway's snapshot, ADS over HTTP/2 to the relay, LDS and CDS from ADS
// (RDS, EDS and SDS follow from the config_source: ads in those resources), and admin on loopback.

import { isIP } from 'node:net';
import { parseNodeCluster } from '../../shared/snapshot/layout.ts';
import type { JsonObject } from '../../shared/xds/types.ts';
import { RelayConfigError } from './errors.ts';
import type { HostPort } from './options.ts';

export const XDS_CLUSTER_NAME = 'fleetplane_xds';

export interface AdsBootstrapOptions {
  /** The relay's ADS address (or its load balancer's). */
  xdsServer: HostPort;
  /** `<clusterId>/<gatewayNamespace>/<gatewayName>`. */
  nodeCluster: string;
  /** Unique per proxy. */
  nodeId: string;
  /** Admin port on 127.0.0.1. Default 9901. */
  adminPort?: number;
  /** `sotw` (StreamAggregatedResources, the default) or `delta` (DeltaAggregatedResources). */
  protocol?: 'sotw' | 'delta';
  /** Reconnect backoff to the relay; Envoy jitters it. Default 0.5 s growing to 30 s. */
  reconnect?: { baseMs: number; maxMs: number };
}

export function adsBootstrap(options: AdsBootstrapOptions): JsonObject {
  if (!parseNodeCluster(options.nodeCluster)) {
    throw new RelayConfigError(
      `node cluster ${JSON.stringify(options.nodeCluster)}: expected <clusterId>/<namespace>/<gateway>, e.g. prod-eu/infra/edge`,
    );
  }
  if (options.nodeId.trim() === '') throw new RelayConfigError('node id: must not be empty');
  const reconnect = options.reconnect ?? { baseMs: 500, maxMs: 30_000 };
  const ads = { ads: {}, resource_api_version: 'V3' };
  return {
    node: { id: options.nodeId, cluster: options.nodeCluster },
    admin: {
      address: { socket_address: { address: '127.0.0.1', port_value: options.adminPort ?? 9901 } },
    },
    dynamic_resources: {
      ads_config: {
        api_type: options.protocol === 'delta' ? 'DELTA_GRPC' : 'GRPC',
        transport_api_version: 'V3',
        set_node_on_first_message_only: true,
        grpc_services: [
          {
            envoy_grpc: {
              cluster_name: XDS_CLUSTER_NAME,
              retry_policy: {
                retry_back_off: {
                  base_interval: seconds(reconnect.baseMs),
                  max_interval: seconds(reconnect.maxMs),
                },
              },
            },
          },
        ],
      },
      cds_config: ads,
      lds_config: ads,
    },
    static_resources: { clusters: [xdsCluster(options.xdsServer)] },
  };
}

function xdsCluster(server: HostPort): JsonObject {
  return {
    name: XDS_CLUSTER_NAME,
    // A name (an NLB, a Service) is resolved like a client would; an address is used as is.
    type: isIP(server.host) ? 'STATIC' : 'LOGICAL_DNS',
    connect_timeout: '5s',
    load_assignment: {
      cluster_name: XDS_CLUSTER_NAME,
      endpoints: [
        {
          lb_endpoints: [
            { endpoint: { address: { socket_address: { address: server.host, port_value: server.port } } } },
          ],
        },
      ],
    },
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicit_http_config: {
          // gRPC needs HTTP/2; keepalive pings notice a relay that vanished without closing.
          http2_protocol_options: { connection_keepalive: { interval: '30s', timeout: '5s' } },
        },
      },
    },
  };
}

function seconds(ms: number): string {
  return `${ms / 1000}s`;
}
