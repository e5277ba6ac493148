// Static backends (kgateway `static`, Envoy Gateway `endpoints`): a fixed list of IPs, hostnames or
// unix sockets, with optional fallback priority, TLS origination and an upstream protocol.

import type { BackendIR } from '../../ir/types.ts';
import type { BuiltCluster, ClusterBuildContext, JsonObject, RouteTweaks } from '../types.ts';
import { clusterBase, discoveryTypeFor, loadAssignment, needsDns } from './endpoints.ts';
import { httpVersionFor, typedExtensionProtocolOptions } from './protocol.ts';
import { autoSniProtocolOptions, upstreamTlsTransportSocket } from './tls.ts';

export type StaticBackendIR = Extract<BackendIR, { type: 'static' }>;

export interface StaticClusterOptions {
  /** Upstream HTTP filters (e.g. auth) run in order before the codec. */
  httpFilters?: JsonObject[];
}

/**
 * Endpoints a DNS cluster cannot carry: a STRICT_DNS cluster only takes socket addresses, so unix
 * sockets next to a hostname are left out. One message per dropped endpoint, for the status step.
 */
export function staticEndpointProblems(backend: StaticBackendIR): string[] {
  const addresses = backend.endpoints.map((e) => e.address);
  if (discoveryTypeFor(addresses) === 'STATIC') return [];
  return addresses.flatMap((address) =>
    address.kind === 'unix'
      ? [`endpoints: unix socket ${address.path} cannot share a cluster with hostnames; it is left out`]
      : [],
  );
}

export function buildStaticCluster(
  name: string,
  backend: StaticBackendIR,
  ctx: ClusterBuildContext,
  options: StaticClusterOptions = {},
): BuiltCluster {
  const type = discoveryTypeFor(backend.endpoints.map((e) => e.address));
  const endpoints =
    type === 'STATIC' ? backend.endpoints : backend.endpoints.filter((e) => e.address.kind !== 'unix');
  const hasHostnames = endpoints.some((e) => needsDns(e.address));

  const cluster: JsonObject = {
    ...clusterBase(name, type),
    load_assignment: loadAssignment(name, endpoints),
  };

  // A BackendTLSPolicy aimed at the backend wins over TLS settings carried on the backend itself.
  const tls = ctx.tls ?? backend.tls;
  const tlsOptions = { hostSni: hasHostnames };
  if (tls) cluster.transport_socket = upstreamTlsTransportSocket(tls, ctx.sds, tlsOptions);
  const protocolOptions = typedExtensionProtocolOptions({
    httpVersion: httpVersionFor(backend.protocol),
    ...(tls ? { upstreamHttpProtocolOptions: autoSniProtocolOptions(tls, tlsOptions) } : {}),
    ...(options.httpFilters ? { httpFilters: options.httpFilters } : {}),
  });
  if (protocolOptions) cluster.typed_extension_protocol_options = protocolOptions;

  // Name-based backends usually route on Host (virtual hosting, TLS SNI): send theirs, not the client's.
  const route: RouteTweaks = hasHostnames ? { autoHostRewrite: true } : {};
  return { clusterName: name, clusters: [cluster], endpoints: [], route, listenerHttpFilters: [] };
}
