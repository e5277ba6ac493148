// Gateway → IR: listeners with Gateway API defaults applied (TLS mode, certificate reference
// kind and namespace, allowed route namespaces and kinds).
//
// Two kinds of problems are told apart. What the API server itself rejects (schema, duplicate
// names, indistinct listeners, HTTPS without certificates) makes the whole Gateway invalid. What
// the Gateway API reports per listener (a protocol we do not serve, an unsupported certificate or
// route kind, protocols that cannot share a port) drops only that listener, so the others keep
// working, and is listed in one `PartiallyInvalid` condition (status True).

import type { GatewayListenerIR, LabelSelector, ListenerProtocol, SecretRef } from '../ir/types.ts';
import { Reason } from '../ir/types.ts';
import type { LabelSelectorInput } from '../resources/common.ts';
import {
  GATEWAY_API_GROUP,
  GATEWAY_API_VERSIONS,
  GatewayApiCondition,
  gatewaySpec,
  type ListenerInput,
} from '../resources/gateway-api.ts';
import {
  type FieldError,
  invalidCondition,
  makeIrItem,
  type ResourceTranslator,
  resourceId,
  validateSpec,
} from './common.ts';

const CORE_PROTOCOLS = new Set(['HTTP', 'HTTPS', 'TLS', 'TCP', 'UDP']);
const DEFAULT_ROUTE_KINDS = [{ group: GATEWAY_API_GROUP, kind: 'HTTPRoute' }];

interface ListenerOutcome {
  listener?: GatewayListenerIR;
  /** Problems that make the Gateway invalid. */
  errors: FieldError[];
  /** Problems that drop this listener (or a part of it) but keep the Gateway. */
  dropped: FieldError[];
}

export const translateGateway: ResourceTranslator<'Gateway'> = (obj, ctx) => {
  const parsed = validateSpec(
    obj,
    { group: GATEWAY_API_GROUP, versions: GATEWAY_API_VERSIONS.Gateway },
    gatewaySpec,
  );
  if (!parsed.valid) return makeIrItem('Gateway', obj, ctx, parsed);

  const id = resourceId(obj, ctx);
  const inputs = parsed.result.listeners;
  const errors: FieldError[] = [...distinctnessErrors(inputs)];
  const dropped: FieldError[] = [];
  const kept: Array<{ index: number; listener: GatewayListenerIR }> = [];
  inputs.forEach((input, index) => {
    const outcome = translateListener(input, `spec.listeners[${index}]`, id.namespace);
    errors.push(...outcome.errors);
    dropped.push(...outcome.dropped);
    if (outcome.listener) kept.push({ index, listener: outcome.listener });
  });
  if (errors.length > 0) return makeIrItem('Gateway', obj, ctx, { valid: false, errors });

  const conflicted = protocolConflicts(kept);
  dropped.push(...conflicted.errors);
  const listeners = kept.filter((k) => !conflicted.indexes.has(k.index)).map((k) => k.listener);
  if (listeners.length === 0) {
    const last = { field: 'spec.listeners', message: 'no listener can be programmed' };
    return makeIrItem('Gateway', obj, ctx, { valid: false, errors: [...dropped, last] });
  }
  const extra =
    dropped.length === 0
      ? []
      : [
          {
            ...invalidCondition(obj, id, dropped),
            type: GatewayApiCondition.PartiallyInvalid,
            status: 'True' as const,
          },
        ];
  return makeIrItem(
    'Gateway',
    obj,
    ctx,
    { valid: true, result: { gatewayClassName: parsed.result.gatewayClassName, listeners } },
    extra,
  );
};

/** Core protocols are case-insensitive in Gateway API; we compare and emit them upper-case. */
function normalizeProtocol(protocol: string): string {
  const upper = protocol.toUpperCase();
  return CORE_PROTOCOLS.has(upper) ? upper : protocol;
}

/** Names must be unique, and so must each (port, protocol, hostname): the CRD's own rules. */
function distinctnessErrors(inputs: ListenerInput[]): FieldError[] {
  const errors: FieldError[] = [];
  const byName = new Map<string, number>();
  const byAddress = new Map<string, number>();
  inputs.forEach((l, index) => {
    const firstName = byName.get(l.name);
    if (firstName === undefined) byName.set(l.name, index);
    else
      errors.push({
        field: `spec.listeners[${index}].name`,
        message: `${JSON.stringify(l.name)} is already the name of spec.listeners[${firstName}]; listener names must be unique`,
      });
    const protocol = normalizeProtocol(l.protocol);
    const key = `${l.port}/${protocol}/${l.hostname ?? ''}`;
    const firstAddress = byAddress.get(key);
    if (firstAddress === undefined) byAddress.set(key, index);
    else
      errors.push({
        field: `spec.listeners[${index}]`,
        message: `conflicts with spec.listeners[${firstAddress}]: both use port ${l.port}, protocol ${protocol} and ${l.hostname ? `hostname ${JSON.stringify(l.hostname)}` : 'no hostname'}; give each listener a distinct port or hostname`,
      });
  });
  return errors;
}

function translateListener(l: ListenerInput, path: string, gatewayNamespace: string): ListenerOutcome {
  const errors: FieldError[] = [];
  const dropped: FieldError[] = [];
  let dropListener = false;
  const protocol = normalizeProtocol(l.protocol);
  if (protocol !== 'HTTP' && protocol !== 'HTTPS') {
    dropped.push({
      field: `${path}.protocol`,
      message: `protocol ${JSON.stringify(l.protocol)} is not supported (use HTTP or HTTPS); listener ${JSON.stringify(l.name)} is not programmed`,
      reason: Reason.UnsupportedValue,
    });
    return { errors, dropped };
  }

  let tls: GatewayListenerIR['tls'];
  if (protocol === 'HTTP' && l.tls)
    errors.push({ field: `${path}.tls`, message: 'must not be set for protocol HTTP' });
  if (protocol === 'HTTPS') {
    if (!l.tls) errors.push({ field: `${path}.tls`, message: 'is required for protocol HTTPS' });
    else if (l.tls.mode === 'Passthrough')
      errors.push({
        field: `${path}.tls.mode`,
        message:
          'Passthrough is not supported for protocol HTTPS; use Terminate (passthrough needs a TLS listener and TLSRoute)',
        reason: Reason.UnsupportedValue,
      });
    else if (!l.tls.certificateRefs || l.tls.certificateRefs.length === 0)
      errors.push({
        field: `${path}.tls.certificateRefs`,
        message: 'at least one certificateRef (a Secret of type kubernetes.io/tls) is required for HTTPS',
      });
    else {
      const certificateRefs: SecretRef[] = [];
      l.tls.certificateRefs.forEach((ref, i) => {
        const group = ref.group ?? '';
        const kind = ref.kind ?? 'Secret';
        if (group !== '' || kind !== 'Secret') {
          dropListener = true;
          dropped.push({
            field: `${path}.tls.certificateRefs[${i}]`,
            message: `${group === '' ? 'core' : group} ${kind} is not supported; only core Secrets can hold listener certificates, listener ${JSON.stringify(l.name)} is not programmed`,
            reason: Reason.InvalidCertificateRef,
          });
        } else
          certificateRefs.push({
            kind: 'Secret',
            namespace: ref.namespace ?? gatewayNamespace,
            name: ref.name,
          });
      });
      tls = { mode: 'Terminate', certificateRefs };
    }
  }

  const namespaces = l.allowedRoutes?.namespaces;
  const from = namespaces?.from ?? 'Same';
  if (from === 'Selector' && !namespaces?.selector)
    errors.push({
      field: `${path}.allowedRoutes.namespaces.selector`,
      message: 'is required when from is Selector',
    });

  const kinds: Array<{ group: string; kind: string }> = [];
  const requested = l.allowedRoutes?.kinds ?? [];
  requested.forEach((k, i) => {
    const group = k.group ?? GATEWAY_API_GROUP;
    if (group === GATEWAY_API_GROUP && k.kind === 'HTTPRoute') {
      if (kinds.length === 0) kinds.push({ group, kind: k.kind });
      return;
    }
    dropped.push({
      field: `${path}.allowedRoutes.kinds[${i}]`,
      message: `route kind ${group}/${k.kind} is not supported (only ${GATEWAY_API_GROUP}/HTTPRoute); ignored`,
      reason: GatewayApiCondition.InvalidRouteKinds,
    });
  });
  if (requested.length > 0 && kinds.length === 0) {
    dropListener = true;
    dropped.push({
      field: `${path}.allowedRoutes.kinds`,
      message: `allows no supported route kind; listener ${JSON.stringify(l.name)} is not programmed`,
      reason: GatewayApiCondition.InvalidRouteKinds,
    });
  }
  if (errors.length > 0 || dropListener) return { errors, dropped };

  const allowedRoutes: GatewayListenerIR['allowedRoutes'] = {
    namespaces:
      from === 'Selector' && namespaces?.selector
        ? { from, selector: toLabelSelector(namespaces.selector) }
        : { from },
    kinds: requested.length === 0 ? DEFAULT_ROUTE_KINDS.map((k) => ({ ...k })) : kinds,
  };
  const listener: GatewayListenerIR = {
    name: l.name,
    port: l.port,
    protocol: protocol as ListenerProtocol,
    ...(l.hostname !== undefined ? { hostname: l.hostname } : {}),
    ...(tls ? { tls } : {}),
    allowedRoutes,
  };
  return { listener, errors, dropped };
}

/**
 * HTTP and HTTPS cannot share a port: one port is one Envoy listener, either plaintext or TLS.
 * Gateway API forbids picking a winner among conflicted listeners, so all of them are dropped.
 */
function protocolConflicts(kept: Array<{ index: number; listener: GatewayListenerIR }>): {
  indexes: Set<number>;
  errors: FieldError[];
} {
  const byPort = new Map<number, Array<{ index: number; listener: GatewayListenerIR }>>();
  for (const k of kept) byPort.set(k.listener.port, [...(byPort.get(k.listener.port) ?? []), k]);
  const indexes = new Set<number>();
  const errors: FieldError[] = [];
  for (const [port, group] of byPort) {
    if (new Set(group.map((k) => k.listener.protocol)).size < 2) continue;
    const names = group.map((k) => JSON.stringify(k.listener.name)).join(', ');
    for (const k of group) {
      indexes.add(k.index);
      errors.push({
        field: `spec.listeners[${k.index}].protocol`,
        message: `port ${port} is shared by HTTP and HTTPS listeners (${names}), which cannot be served on one port; listener ${JSON.stringify(k.listener.name)} is not programmed`,
        reason: GatewayApiCondition.ProtocolConflict,
      });
    }
  }
  return { indexes, errors };
}

function toLabelSelector(selector: LabelSelectorInput): LabelSelector {
  const out: LabelSelector = {};
  if (selector.matchLabels)
    out.matchLabels = Object.fromEntries(
      Object.entries(selector.matchLabels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  if (selector.matchExpressions)
    out.matchExpressions = selector.matchExpressions.map((e) => {
      const expr: NonNullable<LabelSelector['matchExpressions']>[number] = {
        key: e.key,
        operator: e.operator,
      };
      if (e.values) expr.values = [...e.values].sort();
      return expr;
    });
  return out;
}
