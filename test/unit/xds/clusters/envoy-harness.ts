// Wraps built clusters in the smallest Gateway snapshot that uses them (one listener, one route per
// cluster with its RouteTweaks applied, the listener HTTP filters before the router) and hands the
// static bootstrap to a real `envoy --mode validate`.

import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { canonicalJson } from '../../../../shared/codec/index.ts';
import { staticBootstrap } from '../../../../shared/xds/bootstrap.ts';
import type { BuiltCluster, Json, JsonObject, RouteTweaks, SdsMode } from '../../../../shared/xds/types.ts';
import { TypeUrl } from '../../../../shared/xds/types.ts';
import { type EnvoyRun, validateEnvoyConfig } from '../../../support/envoy.ts';

const HCM_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = {
  name: 'envoy.filters.http.router',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
};

/** A fresh SDS directory for path-mode tests. Envoy refuses an SDS path that does not exist. */
export async function sdsPathMode(): Promise<Extract<SdsMode, { type: 'path' }>> {
  return { type: 'path', dir: await mkdtemp(join(tmpdir(), 'fleetplane-sds-')) };
}

function routeFor(index: number, built: BuiltCluster): JsonObject {
  const tweaks: RouteTweaks = built.route;
  const action: JsonObject = { cluster: built.clusterName };
  if (tweaks.hostRewrite !== undefined) action.host_rewrite_literal = tweaks.hostRewrite;
  if (tweaks.autoHostRewrite) action.auto_host_rewrite = true;
  if (tweaks.pathRewrite !== undefined) {
    action.regex_rewrite = { pattern: { regex: '^.*$' }, substitution: tweaks.pathRewrite };
  } else if (tweaks.pathPrefix !== undefined) {
    action.regex_rewrite = { pattern: { regex: '^/' }, substitution: `${tweaks.pathPrefix}/` };
  }
  const route: JsonObject = { match: { prefix: `/${index}/` }, route: action };
  if (tweaks.requestHeadersToAdd) {
    route.request_headers_to_add = tweaks.requestHeadersToAdd.map((h) => ({
      header: { key: h.name, value: h.value },
      append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
    }));
  }
  if (tweaks.requestHeadersToRemove) route.request_headers_to_remove = tweaks.requestHeadersToRemove;
  if (tweaks.typedPerFilterConfig) route.typed_per_filter_config = tweaks.typedPerFilterConfig;
  return route;
}

/**
 * The static bootstrap for `built` (EDS clusters get their assignment inline). Cluster `i` is
 * reached under the path prefix `/i/`.
 */
export function bootstrapFor(built: BuiltCluster[], listenerPort = 10080): JsonObject {
  const filters = new Map<string, JsonObject>();
  for (const b of built) for (const f of b.listenerHttpFilters) filters.set(String(f.name), f);
  const listener: JsonObject = {
    '@type': TypeUrl.Listener,
    name: 'test',
    address: { socket_address: { address: '127.0.0.1', port_value: listenerPort } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM_TYPE,
              stat_prefix: 'test',
              rds: { route_config_name: 'test', config_source: { ads: {}, resource_api_version: 'V3' } },
              http_filters: [...filters.values(), ROUTER],
            },
          },
        ],
      },
    ],
  };
  const routeConfig: JsonObject = {
    '@type': TypeUrl.RouteConfiguration,
    name: 'test',
    virtual_hosts: [{ name: 'test', domains: ['*'], routes: built.map((b, i) => routeFor(i, b)) }],
  };
  return staticBootstrap(
    {
      gateway: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'default', name: 'test' },
      resources: {
        listeners: [listener],
        routes: [routeConfig],
        clusters: built.flatMap((b) => b.clusters),
        endpoints: built.flatMap((b) => b.endpoints),
        secrets: [],
      },
    },
    { nodeCluster: 'test/default/test', nodeId: 'cluster-builder-test', adminPort: 0 },
  );
}

/** Every SDS reference in `node` that points at a file: `{ name, path, kind }`. */
function sdsFiles(node: Json, parentKey = ''): Array<{ name: string; path: string; validation: boolean }> {
  if (Array.isArray(node)) return node.flatMap((n) => sdsFiles(n, parentKey));
  if (node === null || typeof node !== 'object') return [];
  const out = Object.entries(node).flatMap(([key, value]) => sdsFiles(value, key));
  const source = node.sds_config;
  if (typeof node.name === 'string' && source && typeof source === 'object' && !Array.isArray(source)) {
    const pathSource = source.path_config_source;
    if (pathSource && typeof pathSource === 'object' && !Array.isArray(pathSource)) {
      out.push({
        name: node.name,
        path: String(pathSource.path),
        validation: parentKey === 'validation_context_sds_secret_config',
      });
    }
  }
  return out;
}

/** Writes a placeholder SDS file (a CA bundle or a generic secret) for every path-mode reference. */
export async function writeSdsFiles(bootstrap: JsonObject): Promise<string[]> {
  const files = sdsFiles(bootstrap);
  for (const file of files) {
    await mkdir(dirname(file.path), { recursive: true });
    const secret = file.validation
      ? `  validation_context:\n    trusted_ca: { filename: /etc/ssl/certs/ca-certificates.crt }\n`
      : `  generic_secret:\n    secret: { inline_string: "test-only-not-a-key" }\n`;
    await writeFile(
      file.path,
      `resources:\n- "@type": ${TypeUrl.Secret}\n  name: ${JSON.stringify(file.name)}\n${secret}`,
    );
  }
  return files.map((f) => f.path);
}

/** Builds the bootstrap, writes its SDS files and runs `envoy --mode validate` on it. */
export async function validateBuilt(...built: BuiltCluster[]): Promise<EnvoyRun & { bootstrap: JsonObject }> {
  // Everything we hand Envoy must also encode as protobuf (the relay and snapshots need it).
  for (const b of built) for (const r of [...b.clusters, ...b.endpoints]) canonicalJson(r);
  const bootstrap = bootstrapFor(built);
  await writeSdsFiles(bootstrap);
  const run = await validateEnvoyConfig(bootstrap, 'envoy.json');
  return { ...run, bootstrap };
}
