// The xDS resource types the relay serves, in make-before-break send order, and their rules.

import { SNAPSHOT_TYPES } from '../../../shared/snapshot/layout.ts';
import { TypeUrl } from '../../../shared/xds/types.ts';

/** CDS, EDS, LDS, RDS, SDS: clusters exist before endpoints, both before listeners and routes use them. */
export const SEND_ORDER: readonly string[] = SNAPSHOT_TYPES.map((t) => t.typeUrl);

const SHORT = new Map<string, string>(SNAPSHOT_TYPES.map((t) => [t.typeUrl, t.short]));

export function isServedType(typeUrl: string): boolean {
  return SHORT.has(typeUrl);
}

/** `cds`, `eds`, `lds`, `rds`, `sds`: the label used in metrics and debug output. */
export function shortType(typeUrl: string): string {
  return SHORT.get(typeUrl) ?? 'other';
}

/**
 * LDS and CDS are the wildcard types: a response always carries the full set, and a resource
 * missing from it is deleted by the client. EDS, RDS and SDS carry only the names asked for.
 */
export function isFullSetType(typeUrl: string): boolean {
  return typeUrl === TypeUrl.Listener || typeUrl === TypeUrl.Cluster;
}

/** Listeners and routes: what references clusters. */
export const ROUTING_TYPES: readonly string[] = [TypeUrl.Listener, TypeUrl.RouteConfiguration];

const WAITS_FOR: ReadonlyMap<string, readonly string[]> = new Map([
  [TypeUrl.Listener, [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment]],
  [TypeUrl.RouteConfiguration, [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment]],
]);

/**
 * The types whose unanswered responses hold this one back. Envoy answers CDS only when the new
 * clusters are warm, so LDS and RDS sent after that never reference a cluster without endpoints.
 * A type never waits on one it helps warm (EDS for CDS, RDS for LDS, SDS for both).
 */
export function waitsFor(typeUrl: string): readonly string[] {
  return WAITS_FOR.get(typeUrl) ?? [];
}
