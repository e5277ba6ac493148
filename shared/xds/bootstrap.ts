// Turns one Gateway's snapshot into a complete, static Envoy bootstrap: RDS references become
// inline route configs and EDS clusters get their ClusterLoadAssignment inline, so a real Envoy
// can run the file as is (`fleetplane translate --to bootstrap`).

import type { GatewaySnapshot, Json, JsonObject } from './types.ts';

const HCM_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

export interface StaticBootstrapOptions {
  /** `node.cluster`, `<clusterId>/<gatewayNamespace>/<gatewayName>`. */
  nodeCluster: string;
  nodeId: string;
  /** Admin interface; always on loopback. Port 0 lets the kernel choose. */
  adminPort?: number;
}

export function staticBootstrap(snapshot: GatewaySnapshot, options: StaticBootstrapOptions): JsonObject {
  const { resources } = snapshot;
  const routesByName = new Map(resources.routes.map((r) => [String(r.name), withoutType(r)]));
  const endpointsByName = new Map(resources.endpoints.map((e) => [String(e.cluster_name), withoutType(e)]));

  const listeners = resources.listeners.map((l) => inlineRds(withoutType(l), routesByName) as JsonObject);
  const clusters = resources.clusters.map((c) => inlineEds(withoutType(c), endpointsByName));

  const staticResources: JsonObject = { listeners, clusters };
  if (resources.secrets.length > 0) staticResources.secrets = resources.secrets.map(withoutType);
  return {
    node: { id: options.nodeId, cluster: options.nodeCluster },
    admin: {
      address: { socket_address: { address: '127.0.0.1', port_value: options.adminPort ?? 9901 } },
    },
    static_resources: staticResources,
  };
}

function withoutType(resource: JsonObject): JsonObject {
  const { '@type': _ignored, ...rest } = resource;
  return rest;
}

/** Walks the listener and swaps every HCM `rds` for `route_config`. */
function inlineRds(node: Json, routes: Map<string, JsonObject>): Json {
  if (Array.isArray(node)) return node.map((n) => inlineRds(n, routes));
  if (node === null || typeof node !== 'object') return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) out[key] = inlineRds(value, routes);
  if (out['@type'] === HCM_TYPE && out.rds && typeof out.rds === 'object' && !Array.isArray(out.rds)) {
    const name = String(out.rds.route_config_name);
    const { rds: _rds, ...rest } = out;
    // A listener whose route config is missing still needs a (empty) one to be valid.
    return { ...rest, route_config: routes.get(name) ?? { name } };
  }
  return out;
}

function inlineEds(cluster: JsonObject, endpoints: Map<string, JsonObject>): JsonObject {
  if (cluster.type !== 'EDS') return cluster;
  const { eds_cluster_config: _eds, ...rest } = cluster;
  const name = String(cluster.name);
  return { ...rest, type: 'STATIC', load_assignment: endpoints.get(name) ?? { cluster_name: name } };
}

/** Every SDS `path_config_source` file a bootstrap reads, sorted and without duplicates. */
export function sdsFilePaths(bootstrap: Json): string[] {
  const out = new Set<string>();
  const walk = (node: Json): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const source = node.path_config_source;
    if (source && typeof source === 'object' && !Array.isArray(source) && typeof source.path === 'string') {
      out.add(source.path);
    }
    Object.values(node).forEach(walk);
  };
  walk(bootstrap);
  return [...out].sort();
}
