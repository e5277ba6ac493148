// Turns a snapshot's ADS config sources into file-based ones pointing at the agent's own files.
// Snapshots are built for the relay: listeners fetch routes with `rds.config_source: {ads: {}}`,
// EDS clusters fetch endpoints with `eds_config: {ads: {}}`, TLS contexts and credential filters
// fetch secrets with `sds_config: {ads: {}}`. An agent-fed Envoy has no ADS stream, so each of
// these becomes a `path_config_source`. Other ConfigSource fields (initial_fetch_timeout, …) are
// kept; sources that are not ADS are left alone. An ADS source with no file equivalent (say ECDS
// `config_discovery`) is an error naming its field path, so the version is refused rather than
// handed to an Envoy that would reject it.

import type { Json, JsonObject } from '../../shared/xds/types.ts';

export interface PathSource {
  path: string;
  /** Reload on any move into this directory (needed for symlink swaps, e.g. Kubernetes volumes). */
  watchedDirectory?: string;
}

/** Where each kind of reference is served from. */
export interface ConfigSourceTargets {
  eds(serviceName: string): PathSource;
  rds(routeConfigName: string): PathSource;
  sds(secretName: string): PathSource;
}

export type RewriteResult =
  | { valid: true; resource: JsonObject; changed: boolean; references: Reference[] }
  | { valid: false; errors: string[] };

export interface Reference {
  kind: 'eds' | 'rds' | 'sds';
  name: string;
  fieldPath: string;
}

/** Rewrites one resource (proto3 JSON with `@type`); the input is not modified. */
export function rewriteConfigSources(resource: JsonObject, targets: ConfigSourceTargets): RewriteResult {
  const copy = structuredClone(resource);
  const errors: string[] = [];
  const references: Reference[] = [];
  const label = typeof resource.name === 'string' ? resource.name : '?';

  const visit = (node: Json, path: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        visit(item, `${path}[${i}]`);
      });
      return;
    }
    if (!isObject(node)) return;

    const rds = node.rds;
    if (isObject(rds) && isAds(rds.config_source)) {
      const name = rds.route_config_name;
      const at = join(path, 'rds.config_source');
      if (typeof name === 'string' && name !== '') {
        rds.config_source = pathConfigSource(rds.config_source, targets.rds(name));
        references.push({ kind: 'rds', name, fieldPath: at });
      } else errors.push(`${label}: ${at}: ADS route config without a route_config_name`);
    }

    const eds = node.eds_cluster_config;
    if (isObject(eds) && isAds(eds.eds_config)) {
      const name =
        typeof eds.service_name === 'string' && eds.service_name !== '' ? eds.service_name : node.name;
      const at = join(path, 'eds_cluster_config.eds_config');
      if (typeof name === 'string' && name !== '') {
        eds.eds_config = pathConfigSource(eds.eds_config, targets.eds(name));
        references.push({ kind: 'eds', name, fieldPath: at });
      } else errors.push(`${label}: ${at}: ADS endpoints for a cluster without a name`);
    }

    if (isAds(node.sds_config)) {
      const at = join(path, 'sds_config');
      if (typeof node.name === 'string' && node.name !== '') {
        node.sds_config = pathConfigSource(node.sds_config, targets.sds(node.name));
        references.push({ kind: 'sds', name: node.name, fieldPath: at });
      } else errors.push(`${label}: ${at}: ADS secret without a name`);
    }

    for (const [key, value] of Object.entries(node)) {
      // Metadata is free-form Struct data: an `ads` key there is not a config source.
      if (key === 'metadata' || value === undefined) continue;
      if (key === 'ads' && path !== '' && isObject(value)) {
        errors.push(`${label}: ${path}: ADS config source with no file-based equivalent`);
        continue;
      }
      visit(value, join(path, key));
    }
  };

  visit(copy, '');
  if (errors.length > 0) return { valid: false, errors };
  return { valid: true, resource: copy, changed: references.length > 0, references };
}

function pathConfigSource(source: JsonObject, target: PathSource): JsonObject {
  const { ads: _ads, path_config_source: _path, resource_api_version: _version, ...rest } = source;
  return {
    ...rest,
    path_config_source: {
      path: target.path,
      ...(target.watchedDirectory ? { watched_directory: { path: target.watchedDirectory } } : {}),
    },
    resource_api_version: 'V3',
  };
}

function isAds(value: Json | undefined): value is JsonObject {
  return isObject(value) && isObject(value.ads);
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
