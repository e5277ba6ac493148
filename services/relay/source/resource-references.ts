// What a resource makes a proxy ask for next: the endpoints of an EDS cluster, the route
// configurations an HTTP connection manager names over RDS, and the secrets named by SDS configs.
// A relay that fetches from a parent subscribes to exactly these, as Envoy would. Resources are
// decoded with the codec's registry, nested `Any`s included (an unknown `Any` type is skipped, a
// malformed one fails the resource, as it would fail in Envoy).

import { fromBinary } from '@bufbuild/protobuf';
import { type AnyResource, codecRegistry, schemaForTypeUrl } from '../../../shared/codec/index.ts';
import { TypeUrl } from '../../../shared/xds/types.ts';

export interface ResourceReferences {
  /** The subscription name: `cluster_name` for endpoints, `name` for everything else. */
  name: string;
  endpoints: string[];
  routes: string[];
  secrets: string[];
}

/** The message names the walk looks for. */
const RDS = 'envoy.extensions.filters.network.http_connection_manager.v3.Rds';
const SDS_SECRET_CONFIG = 'envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig';
const ANY = 'google.protobuf.Any';
/** `Cluster.DiscoveryType.EDS`. */
const EDS_DISCOVERY_TYPE = 3;

type Walked = { $typeName?: string; [key: string]: unknown };

/** Decodes one packed resource; throws (a CodecError or a plain Error) when it cannot be read. */
export function resourceReferences(any: AnyResource): ResourceReferences {
  const message = fromBinary(schemaForTypeUrl(any.typeUrl), any.value) as unknown as Walked;
  const name = any.typeUrl === TypeUrl.ClusterLoadAssignment ? message.clusterName : message.name;
  if (typeof name !== 'string' || name === '') throw new Error('a resource without a name');
  const found: ResourceReferences = { name, endpoints: [], routes: [], secrets: [] };
  if (any.typeUrl === TypeUrl.Cluster) {
    const discovery = message.clusterDiscoveryType as { case?: string; value?: unknown } | undefined;
    if (discovery?.case === 'type' && discovery.value === EDS_DISCOVERY_TYPE) {
      const service = (message.edsClusterConfig as { serviceName?: string } | undefined)?.serviceName;
      found.endpoints.push(service || name);
    }
  }
  if (any.typeUrl !== TypeUrl.RouteConfiguration && any.typeUrl !== TypeUrl.ClusterLoadAssignment)
    walk(message, found, 0);
  return found;
}

function walk(value: unknown, found: ResourceReferences, depth: number): void {
  // Envoy's config nests a few levels deep; this bound only stops a pathological input.
  if (depth > 64 || value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
  if (Array.isArray(value)) {
    for (const item of value) walk(item, found, depth + 1);
    return;
  }
  const message = value as Walked;
  switch (message.$typeName) {
    case ANY:
      walk(unpack(message as unknown as AnyResource), found, depth + 1);
      return;
    case RDS:
      if (typeof message.routeConfigName === 'string' && message.routeConfigName)
        found.routes.push(message.routeConfigName);
      return;
    case SDS_SECRET_CONFIG:
      // Without sds_config the secret is a static one from the bootstrap, not fetched.
      if (message.sdsConfig && typeof message.name === 'string' && message.name)
        found.secrets.push(message.name);
      return;
  }
  for (const [key, field] of Object.entries(message))
    if (key !== '$typeName' && key !== '$unknown') walk(field, found, depth + 1);
}

function unpack(any: AnyResource): unknown {
  const slash = any.typeUrl.lastIndexOf('/');
  const schema = codecRegistry().getMessage(any.typeUrl.slice(slash + 1));
  return schema ? fromBinary(schema, any.value) : undefined;
}
