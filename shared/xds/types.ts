// Contracts of the xDS step: IR items of one cluster → one Envoy snapshot per Gateway.
// Resources are plain proto3-JSON objects carrying their `@type`, ready for shared/codec.

import type { ResourceId, ResourceStatus, UpstreamTlsIR } from '../ir/types.ts';

/** A JSON value as produced by JSON.parse. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const TypeUrl = {
  Listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RouteConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  Cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  ClusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  Secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
} as const;

export type XdsTypeUrl = (typeof TypeUrl)[keyof typeof TypeUrl];

/** The xDS resources of one Gateway, each list sorted by resource name. */
export interface XdsResources {
  listeners: JsonObject[];
  routes: JsonObject[];
  clusters: JsonObject[];
  endpoints: JsonObject[];
  /** Only SDS placeholders we own; secret values never appear. Usually empty. */
  secrets: JsonObject[];
}

/**
 * How SDS secrets (TLS certificates, CA bundles, API keys) are referenced.
 * - `ads`: `sds_config: { ads: {} }`, for proxies fed by the relay.
 * - `path`: `sds_config: { path_config_source: { path: <dir>/<file>.yaml } }`, for static bootstraps
 *   and the agent; the operator (or a secrets sidecar) writes the files.
 */
export type SdsMode = { type: 'ads' } | { type: 'path'; dir: string };

export interface SnapshotOptions {
  /** GatewayClass controllerName that marks Gateways as ours. */
  controllerName: string;
  sds: SdsMode;
}

export const DEFAULT_CONTROLLER_NAME = 'fleetplane.dev/gateway-controller';

export interface GatewaySnapshot {
  gateway: ResourceId;
  resources: XdsResources;
}

export interface BuildResult {
  snapshots: GatewaySnapshot[];
  /** One entry per input resource, merging per-resource conditions with cross-resource ones. Sorted. */
  statuses: ResourceStatus[];
  /** Notes about the build as a whole, e.g. "no GatewayClass in input: every Gateway treated as ours". */
  notes: string[];
}

/** What a cluster builder needs to know beyond the backend itself. */
export interface ClusterBuildContext {
  sds: SdsMode;
  /** TLS origination from a BackendTLSPolicy that targets this backend, if any. */
  tls?: UpstreamTlsIR;
}

/** Adjustments a backend needs on the route that sends traffic to it. */
export interface RouteTweaks {
  /** `host_rewrite_literal` (AI providers, Lambda, TLS origination to a fixed host). */
  hostRewrite?: string;
  /** `auto_host_rewrite` (static/DNS backends). */
  autoHostRewrite?: boolean;
  /** Replace the whole path (AI providers). */
  pathRewrite?: string;
  /** Prefix to add in front of the path (AIServiceBackend schema prefix). */
  pathPrefix?: string;
  requestHeadersToAdd?: Array<{ name: string; value: string }>;
  requestHeadersToRemove?: string[];
  /** Route-level typed_per_filter_config (e.g. dynamic forward proxy). */
  typedPerFilterConfig?: JsonObject;
}

/** The result of translating one backend into Envoy clusters. */
export interface BuiltCluster {
  /** Name of the cluster routes point at. */
  clusterName: string;
  clusters: JsonObject[];
  endpoints: JsonObject[];
  route: RouteTweaks;
  /** HTTP filters the listener's HCM must carry for this backend (e.g. dynamic_forward_proxy), by filter name. */
  listenerHttpFilters: JsonObject[];
}
