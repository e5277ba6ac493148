// Dynamic forward proxy (kgateway `dynamicForwardProxy`, Envoy Gateway `DynamicResolver`): the
// upstream host comes from the request's Host and is resolved through a DNS cache shared by a
// listener HTTP filter and the cluster.
//
// Envoy pitfalls:
// - The listener filter and the cluster must name the same DNS cache with byte-identical settings;
//   Envoy refuses the config otherwise ("config specified DNS cache ... with different settings").
//   Every DFP backend therefore shares one cache, and the listener filter is the same object for
//   all of them, so the route builder can keep one copy per HCM (HTTP filter names must be unique).
// - With TLS the cluster must set auto_sni and auto_san_validation (SNI and name check from the
//   Host), unless `allow_insecure_cluster_options` is set, which we only do when there is no
//   automatic name check: insecureSkipVerify, or subject alt names pinned by a policy.

import type { BackendIR, UpstreamTlsIR } from '../../ir/types.ts';
import { type BuiltCluster, type ClusterBuildContext, type JsonObject, TypeUrl } from '../types.ts';
import { CONNECT_TIMEOUT } from './endpoints.ts';
import { ExtensionName, ExtensionType, typedExtension } from './extensions.ts';
import { typedExtensionProtocolOptions } from './protocol.ts';
import { autoSniProtocolOptions, systemTrust, upstreamTlsTransportSocket } from './tls.ts';

export type DynamicForwardProxyBackendIR = Extract<
  BackendIR,
  { type: 'dynamicForwardProxy' } | { type: 'dynamicResolver' }
>;

/** The one DNS cache of every dynamic forward proxy backend. */
export function dnsCacheConfig(): JsonObject {
  return { name: 'fleetplane_dynamic_forward_proxy', dns_lookup_family: 'V4_PREFERRED' };
}

/** `envoy.filters.http.dynamic_forward_proxy`, to run before the router on the listener's HCM. */
export function dynamicForwardProxyListenerFilter(): JsonObject {
  return typedExtension(ExtensionName.DynamicForwardProxyFilter, ExtensionType.DynamicForwardProxyFilter, {
    dns_cache_config: dnsCacheConfig(),
  });
}

/** TLS of a DFP backend: kgateway's `enableTls` means system trust with names from the Host. */
export function dynamicForwardProxyTls(backend: DynamicForwardProxyBackendIR): UpstreamTlsIR | undefined {
  if (backend.type === 'dynamicForwardProxy')
    return backend.enableTls ? systemTrust({ autoSni: true }) : undefined;
  return backend.tls;
}

export interface DynamicForwardProxyClusterOptions {
  /** Upstream HTTP filters (e.g. auth) run in order before the codec. */
  httpFilters?: JsonObject[];
}

export function buildDynamicForwardProxyCluster(
  name: string,
  backend: DynamicForwardProxyBackendIR,
  ctx: ClusterBuildContext,
  options: DynamicForwardProxyClusterOptions = {},
): BuiltCluster {
  const configured = ctx.tls ?? dynamicForwardProxyTls(backend);
  // The upstream host is only known per request, so a fixed SNI cannot be right: always take it
  // from the Host header.
  const tls = configured ? { ...configured, sni: undefined, autoSni: true } : undefined;
  const autoSni = tls ? autoSniProtocolOptions(tls) : undefined;
  const clusterConfig: JsonObject = { dns_cache_config: dnsCacheConfig() };
  // Without auto_san_validation (no verification, or SANs pinned by policy) Envoy insists on this.
  if (autoSni && !autoSni.auto_san_validation) clusterConfig.allow_insecure_cluster_options = true;

  const cluster: JsonObject = {
    '@type': TypeUrl.Cluster,
    name,
    connect_timeout: CONNECT_TIMEOUT,
    lb_policy: 'CLUSTER_PROVIDED',
    cluster_type: typedExtension(
      ExtensionName.DynamicForwardProxyCluster,
      ExtensionType.DynamicForwardProxyCluster,
      clusterConfig,
    ),
  };
  if (tls) cluster.transport_socket = upstreamTlsTransportSocket(tls, ctx.sds);
  const protocolOptions = typedExtensionProtocolOptions({
    httpVersion: 'http1',
    ...(autoSni ? { upstreamHttpProtocolOptions: autoSni } : {}),
    ...(options.httpFilters ? { httpFilters: options.httpFilters } : {}),
  });
  if (protocolOptions) cluster.typed_extension_protocol_options = protocolOptions;
  return {
    clusterName: name,
    clusters: [cluster],
    endpoints: [],
    route: {},
    listenerHttpFilters: [dynamicForwardProxyListenerFilter()],
  };
}
