// Route attachment: whether an HTTPRoute's parentRef lands on a Gateway listener (section name and
// port, allowedRoutes namespaces and kinds, hostname overlap) and on which domains it is served.

import {
  type GatewayIR,
  type GatewayListenerIR,
  type LabelSelector,
  type ParentRefIR,
  Reason,
  type ResourceId,
} from '../ir/types.ts';
import { intersectHostnames } from './hostnames.ts';
import { GATEWAY_API_GROUP } from './refs.ts';

/** Namespaces' labels are not in the IR; this is the one label every namespace carries. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export type Attachment =
  | {
      accepted: true;
      /** Listeners the route attaches to, by index in `spec.listeners`, with the domains it serves there. */
      listeners: Array<{ index: number; domains: string[] }>;
    }
  | { accepted: false; reason: string; message: string };

/** True when a parentRef names this Gateway (group, kind, namespace and name). */
export function refersToGateway(ref: ParentRefIR, gateway: ResourceId): boolean {
  return (
    ref.group === GATEWAY_API_GROUP &&
    ref.kind === 'Gateway' &&
    ref.namespace === gateway.namespace &&
    ref.name === gateway.name
  );
}

export function attachRoute(
  route: ResourceId,
  hostnames: string[],
  parentRef: ParentRefIR,
  gatewayId: ResourceId,
  gateway: GatewayIR,
): Attachment {
  const gatewayName = `Gateway ${gatewayId.namespace}/${gatewayId.name}`;
  const candidates = gateway.listeners
    .map((listener, index) => ({ listener, index }))
    .filter(
      ({ listener }) =>
        (parentRef.sectionName === undefined || parentRef.sectionName === listener.name) &&
        (parentRef.port === undefined || parentRef.port === listener.port),
    );
  if (candidates.length === 0) {
    const wanted = [
      parentRef.sectionName !== undefined ? `named ${parentRef.sectionName}` : '',
      parentRef.port !== undefined ? `on port ${parentRef.port}` : '',
    ]
      .filter((s) => s !== '')
      .join(' ');
    return {
      accepted: false,
      reason: Reason.NoMatchingParent,
      message: `${gatewayName} has no listener ${wanted}`.trimEnd(),
    };
  }
  const allowed = candidates.filter(
    ({ listener }) =>
      namespaceAllowed(listener, route.namespace, gatewayId.namespace) && kindAllowed(listener),
  );
  if (allowed.length === 0) {
    return {
      accepted: false,
      reason: Reason.NotAllowedByListeners,
      message: `listeners ${candidates.map((c) => c.listener.name).join(', ')} of ${gatewayName} do not allow HTTPRoutes from namespace ${route.namespace}`,
    };
  }
  const listeners = allowed
    .map(({ listener, index }) => ({ index, domains: intersectHostnames(listener.hostname, hostnames) }))
    .filter((l) => l.domains.length > 0);
  if (listeners.length === 0) {
    return {
      accepted: false,
      reason: Reason.NoMatchingListenerHostname,
      message: `hostnames ${hostnames.join(', ')} match no listener hostname of ${gatewayName} (${allowed
        .map((c) => c.listener.hostname ?? '*')
        .join(', ')})`,
    };
  }
  return { accepted: true, listeners };
}

function namespaceAllowed(
  listener: GatewayListenerIR,
  routeNamespace: string,
  gatewayNamespace: string,
): boolean {
  const { from, selector } = listener.allowedRoutes.namespaces;
  if (from === 'All') return true;
  if (from === 'Same') return routeNamespace === gatewayNamespace;
  // Selector: only the namespace's name label is known, so selectors on other labels match nothing.
  return selector !== undefined && selectorMatches(selector, { [NAMESPACE_NAME_LABEL]: routeNamespace });
}

function kindAllowed(listener: GatewayListenerIR): boolean {
  const kinds = listener.allowedRoutes.kinds;
  return (
    kinds.length === 0 ||
    kinds.some((k) => k.kind === 'HTTPRoute' && (k.group === GATEWAY_API_GROUP || k.group === ''))
  );
}

/** Kubernetes label selector semantics; an empty selector matches everything. */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const expr of selector.matchExpressions ?? []) {
    const value = labels[expr.key];
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
        if (value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (value === undefined) return false;
        break;
      case 'DoesNotExist':
        if (value !== undefined) return false;
        break;
    }
  }
  return true;
}
