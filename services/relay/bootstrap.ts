// A ready Envoy bootstrap for proxies fed by the relay over ADS (`fleetplane bootstrap`): the node
// identity that selects the Gateway's snapshot, ADS over HTTP/2 to the relay, LDS and CDS from ADS
// (RDS, EDS and SDS follow from the config_source: ads in those resources), and admin on loopback.
// With `tls`, the xds cluster speaks TLS (ALPN h2, as gRPC requires) and verifies the relay's
// certificate, including its name, and presents the proxy's own certificate when the relay asks
// for mTLS. Envoy does no name check on upstream certificates by default, so it is spelled out.

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
  /** TLS to the relay; plaintext when omitted. */
  tls?: AdsBootstrapTls;
}

/** Files are paths as Envoy will see them; it reads them at start. */
export interface AdsBootstrapTls {
  /**
   * CA bundle that signed the relay's certificate. Required: Envoy refuses to check a name without
   * a trusted CA, and does not check upstream certificates at all without one. For a publicly
   * signed relay, the system bundle (e.g. /etc/ssl/certs/ca-certificates.crt).
   */
  caFile: string;
  /** The proxy's certificate chain and key, for a relay with mTLS (`--client-ca`). Both or neither. */
  certFile?: string;
  keyFile?: string;
  /**
   * SNI, and the DNS name the relay's certificate must carry. Default: the xds server's host when
   * it is a name; for an IP address, no SNI and the certificate must carry that IP.
   */
  sni?: string;
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
    static_resources: { clusters: [xdsCluster(options.xdsServer, options.tls)] },
  };
}

function xdsCluster(server: HostPort, tls: AdsBootstrapTls | undefined): JsonObject {
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
    ...(tls ? { transport_socket: upstreamTls(server, tls) } : {}),
  };
}

function upstreamTls(server: HostPort, tls: AdsBootstrapTls): JsonObject {
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined))
    throw new RelayConfigError(
      'TLS client certificate: give both the certificate chain and its private key (--tls-cert and --tls-key)',
    );
  for (const [flag, file] of [
    ['--tls-ca', tls.caFile],
    ['--tls-cert', tls.certFile],
    ['--tls-key', tls.keyFile],
  ] as const)
    if (file !== undefined && file.trim() === '') throw new RelayConfigError(`${flag}: expected a file path`);
  if (tls.sni !== undefined && !/^[A-Za-z0-9*]([A-Za-z0-9-.]*[A-Za-z0-9])?$/.test(tls.sni))
    throw new RelayConfigError(
      `--tls-sni ${JSON.stringify(tls.sni)}: expected a DNS name, e.g. relay.internal`,
    );
  const ip = isIP(server.host) !== 0;
  const sni = tls.sni ?? (ip ? undefined : server.host);
  const san = sni
    ? { san_type: 'DNS', matcher: { exact: sni } }
    : { san_type: 'IP_ADDRESS', matcher: { exact: server.host } };
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      ...(sni ? { sni } : {}),
      common_tls_context: {
        alpn_protocols: ['h2'],
        ...(tls.certFile !== undefined && tls.keyFile !== undefined
          ? {
              tls_certificates: [
                { certificate_chain: { filename: tls.certFile }, private_key: { filename: tls.keyFile } },
              ],
            }
          : {}),
        validation_context: {
          trusted_ca: { filename: tls.caFile },
          match_typed_subject_alt_names: [san],
        },
      },
    },
  };
}

function seconds(ms: number): string {
  return `${ms / 1000}s`;
}
