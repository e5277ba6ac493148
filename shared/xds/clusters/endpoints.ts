// Cluster skeletons and inline load assignments: addresses, discovery type and priorities.

import { isIP } from 'node:net';
import type { EndpointAddressIR } from '../../ir/types.ts';
import { type JsonObject, TypeUrl } from '../types.ts';

/** Every cluster gets one; Envoy's default of 5s is spelled out so the snapshot says what it does. */
export const CONNECT_TIMEOUT = '5s';

export type DiscoveryType = 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS';

/** One endpoint of a cluster: where it is, its failover priority, and optional endpoint metadata. */
export interface PrioritizedEndpoint {
  address: EndpointAddressIR;
  /** 0 is tried first. Any increasing numbers work: they are renumbered 0, 1, 2, ... */
  priority: number;
  /** `filter_metadata` of the lb endpoint, e.g. for `transport_socket_matches`. */
  filterMetadata?: JsonObject;
}

export function isIpAddress(host: string): boolean {
  return isIP(host) !== 0;
}

/** True when the address has to be resolved by DNS (an FQDN that is not an IP literal). */
export function needsDns(address: EndpointAddressIR): boolean {
  return address.kind === 'fqdn' && !isIpAddress(address.hostname);
}

/** STRICT_DNS as soon as one endpoint is a name: a STATIC cluster rejects hostnames at load time. */
export function discoveryTypeFor(addresses: EndpointAddressIR[]): DiscoveryType {
  return addresses.some(needsDns) ? 'STRICT_DNS' : 'STATIC';
}

/** `@type`, `name`, `type`, `connect_timeout`, and the DNS settings when the type resolves names. */
export function clusterBase(name: string, type: DiscoveryType | 'EDS'): JsonObject {
  const base: JsonObject = { '@type': TypeUrl.Cluster, name, type, connect_timeout: CONNECT_TIMEOUT };
  // Envoy's default (AUTO) prefers IPv6, which fails on IPv4-only VPCs and Kubernetes clusters.
  if (type === 'STRICT_DNS' || type === 'LOGICAL_DNS') base.dns_lookup_family = 'V4_PREFERRED';
  return base;
}

export function envoyAddress(address: EndpointAddressIR): JsonObject {
  if (address.kind === 'unix') return { pipe: { path: address.path } };
  const host = address.kind === 'fqdn' ? address.hostname : address.address;
  return { socket_address: { address: host, port_value: address.port } };
}

/** Sort and de-duplication key; the kind prefix keeps `ip 1.2.3.4` and `fqdn 1.2.3.4` apart. */
export function addressKey(address: EndpointAddressIR): string {
  switch (address.kind) {
    case 'unix':
      return `unix:${address.path}`;
    case 'fqdn':
      return `fqdn:${address.hostname}:${address.port}`;
    case 'ip':
      return `ip:${address.address}:${address.port}`;
  }
}

/**
 * An inline `ClusterLoadAssignment` (without `@type`, as `Cluster.load_assignment` wants it).
 * One `locality_lb_endpoints` entry per priority. Priorities are renumbered to 0..n-1 so that a
 * fallback-only backend still sits at priority 0 and the output does not depend on which numbers
 * the input happened to use; endpoints are de-duplicated and sorted within a priority.
 */
export function loadAssignment(clusterName: string, endpoints: PrioritizedEndpoint[]): JsonObject {
  const priorities = [...new Set(endpoints.map((e) => e.priority))].sort((a, b) => a - b);
  const localities = priorities.map((priority, index): JsonObject => {
    const members = lbEndpoints(endpoints.filter((e) => e.priority === priority));
    return index === 0 ? { lb_endpoints: members } : { priority: index, lb_endpoints: members };
  });
  return { cluster_name: clusterName, endpoints: localities };
}

/** `lb_endpoints` of one locality: de-duplicated by address (first one wins) and sorted. */
export function lbEndpoints(endpoints: Array<Omit<PrioritizedEndpoint, 'priority'>>): JsonObject[] {
  const byKey = new Map<string, Omit<PrioritizedEndpoint, 'priority'>>();
  for (const endpoint of endpoints) {
    const key = addressKey(endpoint.address);
    if (!byKey.has(key)) byKey.set(key, endpoint);
  }
  const sorted = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.map(([, endpoint]) => {
    const out: JsonObject = { endpoint: { address: envoyAddress(endpoint.address) } };
    if (endpoint.filterMetadata) out.metadata = { filter_metadata: endpoint.filterMetadata };
    return out;
  });
}
