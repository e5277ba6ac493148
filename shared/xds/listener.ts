// Gateway listeners → Envoy Listeners: one per port, an HTTP connection manager fed by RDS, and for
// HTTPS one TLS-terminating filter chain per Gateway listener, selected by SNI.

import {
  ConditionType,
  type GatewayIR,
  type GatewayListenerIR,
  type ListenerProtocol,
  Reason,
  type SecretRef,
} from '../ir/types.ts';
import { sdsSecretConfig } from './sds.ts';
import { ExtraConditionType, ExtraReason, type FieldProblem } from './status.ts';
import { type JsonObject, type SdsMode, TypeUrl } from './types.ts';

const HCM_NAME = 'envoy.filters.network.http_connection_manager';
const HCM_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_FILTER: JsonObject = {
  name: 'envoy.filters.http.router',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
};
const TLS_INSPECTOR: JsonObject = {
  name: 'envoy.filters.listener.tls_inspector',
  typed_config: {
    '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  },
};
const DOWNSTREAM_TLS_TYPE =
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';

/** A Gateway listener problem; `type` is the condition it feeds (Conflicted, ResolvedRefs or Accepted). */
export interface ListenerProblem extends FieldProblem {
  type: string;
}

export interface GatewayListenerRef {
  /** Position in `spec.listeners`. */
  index: number;
  listener: GatewayListenerIR;
}

/** One Envoy filter chain and the RouteConfiguration it reads. */
export interface ChainPlan {
  /** Unique within its Envoy listener. */
  name: string;
  routeConfigName: string;
  statPrefix: string;
  /** HTTP: every Gateway listener on the port; HTTPS: exactly one. */
  listeners: GatewayListenerRef[];
  /** HTTPS only: SNI names; empty matches any. */
  serverNames: string[];
  /** HTTPS only: the certificateRefs that passed the checks. */
  certificates: SecretRef[];
}

export interface PortPlan {
  port: number;
  protocol: ListenerProtocol;
  chains: ChainPlan[];
}

export interface ListenerPlan {
  ports: PortPlan[];
  problems: ListenerProblem[];
  /** Indices of the Gateway listeners that made it into the plan. */
  programmed: Set<number>;
}

export function listenerName(port: number): string {
  return `listener_${port}`;
}

export function routeConfigName(port: number, httpsListener?: string): string {
  return httpsListener === undefined ? `route_${port}` : `route_${port}_${httpsListener}`;
}

/**
 * Groups a Gateway's listeners by port. The first listener on a port decides its protocol; later
 * ones with another protocol (ProtocolConflict) or a hostname already taken on the port
 * (HostnameConflict) are left out, as are HTTPS listeners without a usable certificate.
 */
export function planListeners(
  spec: GatewayIR,
  checkCertificate: (ref: SecretRef, field: string) => FieldProblem | undefined,
): ListenerPlan {
  const problems: ListenerProblem[] = [];
  const programmed = new Set<number>();
  const byPort = new Map<
    number,
    { protocol: ListenerProtocol; first: string; hostnames: Map<string, string>; chains: ChainPlan[] }
  >();

  spec.listeners.forEach((listener, index) => {
    // By name: the per-resource translator drops listeners it cannot program, so an index into the
    // IR list need not match the index in the user's manifest.
    const field = `spec.listeners[name=${listener.name}]`;
    const hostname = listener.hostname?.toLowerCase() ?? '';
    const existing = byPort.get(listener.port);
    if (existing !== undefined && existing.protocol !== listener.protocol) {
      problems.push({
        type: ExtraConditionType.Conflicted,
        reason: ExtraReason.ProtocolConflict,
        field,
        message: `listener ${listener.name} (${listener.protocol}) conflicts with listener ${existing.first} (${existing.protocol}) on port ${listener.port}; only the first is programmed`,
      });
      return;
    }
    const taken = existing?.hostnames.get(hostname);
    if (taken !== undefined) {
      problems.push({
        type: ExtraConditionType.Conflicted,
        reason: ExtraReason.HostnameConflict,
        field,
        message: `listener ${listener.name} uses hostname ${hostname || '(any)'} on port ${listener.port}, as listener ${taken} does; only the first is programmed`,
      });
      return;
    }

    let chain: ChainPlan | undefined;
    if (listener.protocol === 'HTTPS') {
      const certificates = usableCertificates(listener, field, checkCertificate, problems);
      if (certificates.length === 0) return;
      chain = {
        name: `https_${listener.name}`,
        routeConfigName: routeConfigName(listener.port, listener.name),
        statPrefix: `https_${listener.port}_${listener.name}`,
        listeners: [{ index, listener }],
        serverNames: hostname === '' ? [] : [hostname],
        certificates,
      };
    }

    const port = existing ?? {
      protocol: listener.protocol,
      first: listener.name,
      hostnames: new Map<string, string>(),
      chains: [],
    };
    byPort.set(listener.port, port);
    port.hostnames.set(hostname, listener.name);
    programmed.add(index);
    if (chain !== undefined) {
      port.chains.push(chain);
    } else if (port.chains[0] === undefined) {
      port.chains.push({
        name: `http_${listener.port}`,
        routeConfigName: routeConfigName(listener.port),
        statPrefix: `http_${listener.port}`,
        listeners: [{ index, listener }],
        serverNames: [],
        certificates: [],
      });
    } else {
      port.chains[0].listeners.push({ index, listener });
    }
  });

  const ports = [...byPort.entries()]
    .sort(([a], [b]) => a - b)
    .map(([port, p]) => ({
      port,
      protocol: p.protocol,
      chains: [...p.chains].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    }));
  return { ports, problems, programmed };
}

function usableCertificates(
  listener: GatewayListenerIR,
  field: string,
  checkCertificate: (ref: SecretRef, field: string) => FieldProblem | undefined,
  problems: ListenerProblem[],
): SecretRef[] {
  const refs = listener.tls?.certificateRefs ?? [];
  if (refs.length === 0) {
    problems.push({
      type: ConditionType.ResolvedRefs,
      reason: Reason.InvalidCertificateRef,
      field: `${field}.tls.certificateRefs`,
      message: `HTTPS listener ${listener.name} has no certificateRefs; it is not programmed`,
    });
    return [];
  }
  const usable: SecretRef[] = [];
  refs.forEach((ref, j) => {
    const problem = checkCertificate(ref, `${field}.tls.certificateRefs[${j}]`);
    if (problem === undefined) usable.push(ref);
    else problems.push({ type: ConditionType.ResolvedRefs, ...problem });
  });
  if (usable.length === 0) {
    problems.push({
      type: ConditionType.ResolvedRefs,
      reason: problems.at(-1)?.reason ?? Reason.InvalidCertificateRef,
      field: `${field}.tls.certificateRefs`,
      message: `HTTPS listener ${listener.name} has no usable certificate; it is not programmed`,
    });
  }
  return usable;
}

/** The Envoy Listener for one port. `httpFilters` are the backends' filters per chain, router excluded. */
export function buildListener(
  plan: PortPlan,
  httpFilters: (chain: ChainPlan) => JsonObject[],
  sds: SdsMode,
): JsonObject {
  const listener: JsonObject = {
    '@type': TypeUrl.Listener,
    name: listenerName(plan.port),
    address: { socket_address: { address: '0.0.0.0', port_value: plan.port } },
  };
  if (plan.protocol === 'HTTPS') listener.listener_filters = [TLS_INSPECTOR];
  listener.filter_chains = plan.chains.map((chain) => buildFilterChain(plan, chain, httpFilters(chain), sds));
  return listener;
}

function buildFilterChain(plan: PortPlan, chain: ChainPlan, filters: JsonObject[], sds: SdsMode): JsonObject {
  const out: JsonObject = { name: chain.name };
  if (chain.serverNames.length > 0) out.filter_chain_match = { server_names: chain.serverNames };
  out.filters = [{ name: HCM_NAME, typed_config: httpConnectionManager(chain, filters) }];
  if (plan.protocol === 'HTTPS') {
    out.transport_socket = {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': DOWNSTREAM_TLS_TYPE,
        common_tls_context: {
          tls_certificate_sds_secret_configs: chain.certificates.map((ref) => sdsSecretConfig(ref, sds)),
          alpn_protocols: ['h2', 'http/1.1'],
        },
      },
    };
  }
  return out;
}

function httpConnectionManager(chain: ChainPlan, filters: JsonObject[]): JsonObject {
  return {
    '@type': HCM_TYPE,
    stat_prefix: chain.statPrefix,
    rds: {
      config_source: { ads: {}, resource_api_version: 'V3' },
      route_config_name: chain.routeConfigName,
    },
    http_filters: [...dedupeFilters(filters), ROUTER_FILTER],
    upgrade_configs: [{ upgrade_type: 'websocket' }],
    // Virtual hosts list bare hostnames; a Host header carrying a port would otherwise match none.
    strip_any_host_port: true,
    // Match routes on the RFC 3986-normalised path so `/a/../admin` cannot dodge a `/admin` rule.
    normalize_path: true,
  };
}

/** One filter per name (the first wins), sorted by name; the router is added last by the caller. */
export function dedupeFilters(filters: JsonObject[]): JsonObject[] {
  const byName = new Map<string, JsonObject>();
  for (const f of filters) {
    const name = String(f.name);
    if (!byName.has(name)) byName.set(name, f);
  }
  return [...byName.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, f]) => f);
}
