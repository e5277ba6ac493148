// Reference resolution across IR items: backendRefs to Services, Backends and AIServiceBackends,
// ReferenceGrants for cross-namespace references, BackendTLSPolicies and Gateway certificateRefs.
// Every failure is a FieldProblem that names the referring field, never an exception.

import {
  type AIServiceBackendIR,
  type AnyIrItem,
  type BackendIR,
  type BackendSecurityPolicyIR,
  type EndpointSliceIR,
  type IrItem,
  type IrKind,
  type ObjectRef,
  Reason,
  type ResourceId,
  type SecretRef,
  type ServiceIR,
  type ServicePortIR,
  type UpstreamTlsIR,
} from '../ir/types.ts';
import type { FieldProblem } from './status.ts';
import { cmp } from './status.ts';

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
export const KGATEWAY_GROUP = 'gateway.kgateway.dev';
export const ENVOY_GATEWAY_GROUP = 'gateway.envoyproxy.io';
export const AI_GATEWAY_GROUP = 'aigateway.envoyproxy.io';

/** A backendRef that resolved: everything a cluster builder needs. */
export type BackendTarget =
  | {
      type: 'Service';
      id: ResourceId;
      service: ServiceIR;
      port: ServicePortIR;
      slices: EndpointSliceIR[];
      tls?: UpstreamTlsIR;
    }
  | { type: 'Backend'; id: ResourceId; backend: BackendIR; tls?: UpstreamTlsIR }
  | {
      type: 'AIServiceBackend';
      id: ResourceId;
      aisb: AIServiceBackendIR;
      target: { id: ResourceId; backend: BackendIR };
      policy?: BackendSecurityPolicyIR;
      tls?: UpstreamTlsIR;
    };

export type RefResolution = { ok: true; target: BackendTarget } | { ok: false; problem: FieldProblem };

/** Lookup tables over the IR items of one cluster. Built once per build. */
export class IrIndex {
  private readonly byKey = new Map<string, AnyIrItem>();
  private readonly slicesByService = new Map<string, EndpointSliceIR[]>();
  readonly hasSecrets: boolean;
  readonly referenceGrants: Array<IrItem<'ReferenceGrant'>>;
  readonly tlsPolicies: Array<IrItem<'BackendTLSPolicy'>>;
  readonly securityPolicies: Array<IrItem<'BackendSecurityPolicy'>>;

  constructor(readonly items: AnyIrItem[]) {
    const sorted = [...items].sort(compareItems);
    for (const item of sorted) {
      const key = itemKey(item.kind, item.id.group, item.id.namespace, item.id.name);
      // Duplicates cannot come from one cluster; when they do, the first in sort order wins.
      if (!this.byKey.has(key)) this.byKey.set(key, item);
      if (item.kind === 'EndpointSlice' && item.spec !== null) {
        const svcKey = `${item.id.namespace}/${item.spec.serviceName}`;
        const list = this.slicesByService.get(svcKey) ?? [];
        list.push(item.spec);
        this.slicesByService.set(svcKey, list);
      }
    }
    this.hasSecrets = sorted.some((i) => i.kind === 'Secret');
    this.referenceGrants = sorted.filter((i): i is IrItem<'ReferenceGrant'> => i.kind === 'ReferenceGrant');
    this.tlsPolicies = sorted.filter((i): i is IrItem<'BackendTLSPolicy'> => i.kind === 'BackendTLSPolicy');
    this.securityPolicies = sorted.filter(
      (i): i is IrItem<'BackendSecurityPolicy'> => i.kind === 'BackendSecurityPolicy',
    );
  }

  find<K extends IrKind>(kind: K, group: string, namespace: string, name: string): IrItem<K> | undefined {
    const item = this.byKey.get(itemKey(kind, group, namespace, name));
    return item?.kind === kind ? (item as IrItem<K>) : undefined;
  }

  ofKind<K extends IrKind>(kind: K): Array<IrItem<K>> {
    return [...this.byKey.values()].filter((i): i is IrItem<K> & AnyIrItem => i.kind === kind);
  }

  endpointSlices(namespace: string, serviceName: string): EndpointSliceIR[] {
    return this.slicesByService.get(`${namespace}/${serviceName}`) ?? [];
  }
}

function itemKey(kind: string, group: string, namespace: string, name: string): string {
  return `${kind}|${group}|${namespace}|${name}`;
}

function compareItems(a: AnyIrItem, b: AnyIrItem): number {
  return (
    cmp(a.kind, b.kind) ||
    cmp(a.id.group, b.id.group) ||
    cmp(a.id.namespace, b.id.namespace) ||
    cmp(a.id.name, b.id.name)
  );
}

export function describeRef(ref: Pick<ObjectRef, 'kind' | 'namespace' | 'name'>): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

/**
 * Whether a ReferenceGrant in the target's namespace lets `from` refer to `to`. References within
 * one namespace need no grant.
 */
export function referenceAllowed(
  index: IrIndex,
  from: { group: string; kind: string; namespace: string },
  to: { group: string; kind: string; namespace: string; name: string },
): boolean {
  if (from.namespace === to.namespace) return true;
  return index.referenceGrants.some(
    (grant) =>
      grant.id.namespace === to.namespace &&
      grant.spec !== null &&
      grant.spec.from.some(
        (f) => f.group === from.group && f.kind === from.kind && f.namespace === from.namespace,
      ) &&
      grant.spec.to.some(
        (t) => t.group === to.group && t.kind === to.kind && (t.name === undefined || t.name === to.name),
      ),
  );
}

/**
 * Resolves one backendRef of an HTTPRoute. `field` is the path of the reference, e.g.
 * `spec.rules[0].backendRefs[1]`. Order of checks: kind, then ReferenceGrant (so a missing grant
 * does not reveal whether the target exists), then existence, then the port.
 */
export function resolveBackendRef(
  index: IrIndex,
  route: ResourceId,
  ref: ObjectRef,
  port: number | undefined,
  field: string,
): RefResolution {
  const fail = (reason: string, message: string, at = field): RefResolution => ({
    ok: false,
    problem: { reason, field: at, message },
  });
  const known = KNOWN_BACKEND_KINDS.has(`${ref.group}/${ref.kind}`);
  if (!known) {
    const group = ref.group === '' ? 'core' : ref.group;
    return fail(Reason.InvalidKind, `unsupported backend kind ${ref.kind} in group ${group}`);
  }
  const from = { group: GATEWAY_API_GROUP, kind: route.kind, namespace: route.namespace };
  if (!referenceAllowed(index, from, ref)) {
    return fail(
      Reason.RefNotPermitted,
      `${describeRef(ref)} is in another namespace and no ReferenceGrant in ${ref.namespace} allows it`,
    );
  }

  if (ref.group === '' && ref.kind === 'Service') {
    const item = index.find('Service', '', ref.namespace, ref.name);
    if (item === undefined) return fail(Reason.BackendNotFound, `${describeRef(ref)} not found`);
    if (item.spec === null) return fail(Reason.BackendNotFound, `${describeRef(ref)} is invalid`);
    if (port === undefined) {
      return fail(Reason.BackendNotFound, `port is required for ${describeRef(ref)}`, `${field}.port`);
    }
    const servicePort = item.spec.ports.find((p) => p.port === port);
    if (servicePort === undefined) {
      const ports = item.spec.ports.map((p) => p.port).join(', ') || 'none';
      return fail(
        Reason.BackendNotFound,
        `${describeRef(ref)} has no port ${port} (ports: ${ports})`,
        `${field}.port`,
      );
    }
    const target: BackendTarget = {
      type: 'Service',
      id: item.id,
      service: item.spec,
      port: servicePort,
      slices: index.endpointSlices(ref.namespace, ref.name),
    };
    const tls = backendTls(index, item.id, servicePort.name);
    if (tls !== undefined) target.tls = tls;
    return { ok: true, target };
  }

  if (ref.kind === 'Backend') {
    const item = index.find('Backend', ref.group, ref.namespace, ref.name);
    if (item === undefined) return fail(Reason.BackendNotFound, `${describeRef(ref)} not found`);
    if (item.spec === null) return fail(Reason.BackendNotFound, `${describeRef(ref)} is invalid`);
    const target: BackendTarget = { type: 'Backend', id: item.id, backend: item.spec };
    // BackendTLSPolicy applies to Envoy Gateway Backends; kgateway Backends carry their own TLS.
    const tls = ref.group === ENVOY_GATEWAY_GROUP ? backendTls(index, item.id, undefined) : undefined;
    if (tls !== undefined) target.tls = tls;
    return { ok: true, target };
  }

  const item = index.find('AIServiceBackend', ref.group, ref.namespace, ref.name);
  if (item === undefined) return fail(Reason.BackendNotFound, `${describeRef(ref)} not found`);
  if (item.spec === null) return fail(Reason.BackendNotFound, `${describeRef(ref)} is invalid`);
  const inner = resolveAIServiceBackendTarget(index, item);
  if (!inner.ok) {
    return fail(
      Reason.BackendNotFound,
      `${describeRef(ref)}: ${inner.problem.field}: ${inner.problem.message}`,
    );
  }
  const target: BackendTarget = {
    type: 'AIServiceBackend',
    id: item.id,
    aisb: item.spec,
    target: { id: inner.id, backend: inner.backend },
  };
  const policy = securityPolicyFor(index, item.id);
  if (policy !== undefined) target.policy = policy;
  const tls = backendTls(index, inner.id, undefined);
  if (tls !== undefined) target.tls = tls;
  return { ok: true, target };
}

const KNOWN_BACKEND_KINDS = new Set([
  '/Service',
  `${KGATEWAY_GROUP}/Backend`,
  `${ENVOY_GATEWAY_GROUP}/Backend`,
  `${AI_GATEWAY_GROUP}/AIServiceBackend`,
]);

/** The Envoy Gateway Backend an AIServiceBackend sends to. */
export function resolveAIServiceBackendTarget(
  index: IrIndex,
  aisb: IrItem<'AIServiceBackend'>,
): { ok: true; id: ResourceId; backend: BackendIR } | { ok: false; problem: FieldProblem } {
  const field = 'spec.backendRef';
  if (aisb.spec === null) {
    return { ok: false, problem: { reason: Reason.BackendNotFound, field: 'spec', message: 'invalid' } };
  }
  const ref = aisb.spec.backendRef;
  if (ref.group !== ENVOY_GATEWAY_GROUP || ref.kind !== 'Backend') {
    return {
      ok: false,
      problem: {
        reason: Reason.InvalidKind,
        field,
        message: `must reference a ${ENVOY_GATEWAY_GROUP} Backend, not ${ref.kind} in group ${ref.group || 'core'}`,
      },
    };
  }
  const from = { group: AI_GATEWAY_GROUP, kind: 'AIServiceBackend', namespace: aisb.id.namespace };
  if (!referenceAllowed(index, from, ref)) {
    return {
      ok: false,
      problem: {
        reason: Reason.RefNotPermitted,
        field,
        message: `${describeRef(ref)} is in another namespace and no ReferenceGrant in ${ref.namespace} allows it`,
      },
    };
  }
  const item = index.find('Backend', ref.group, ref.namespace, ref.name);
  if (item === undefined || item.spec === null) {
    const what = item === undefined ? 'not found' : 'is invalid';
    return {
      ok: false,
      problem: { reason: Reason.BackendNotFound, field, message: `${describeRef(ref)} ${what}` },
    };
  }
  if (item.spec.type !== 'static' && item.spec.type !== 'dynamicResolver') {
    return {
      ok: false,
      problem: {
        reason: Reason.InvalidKind,
        field,
        message: `${describeRef(ref)} is a ${item.spec.type} backend; an AIServiceBackend can target only static or DynamicResolver Backends`,
      },
    };
  }
  return { ok: true, id: item.id, backend: item.spec };
}

/** The BackendSecurityPolicy whose targetRefs name this AIServiceBackend (first by name when several do). */
export function securityPolicyFor(index: IrIndex, aisb: ResourceId): BackendSecurityPolicyIR | undefined {
  for (const policy of index.securityPolicies) {
    if (policy.spec === null || policy.id.namespace !== aisb.namespace) continue;
    const targets = policy.spec.targetRefs.some(
      (t) => t.group === AI_GATEWAY_GROUP && t.kind === 'AIServiceBackend' && t.name === aisb.name,
    );
    if (targets) return policy.spec;
  }
  return undefined;
}

/**
 * TLS origination from the BackendTLSPolicy that targets `target` (a Service, optionally one port by
 * name through sectionName, or an Envoy Gateway Backend). A policy naming the port wins over one for
 * the whole Service; otherwise the first by name wins, as Gateway API conflict resolution asks.
 */
export function backendTls(
  index: IrIndex,
  target: ResourceId,
  portName: string | undefined,
): UpstreamTlsIR | undefined {
  let best: { specific: boolean; tls: UpstreamTlsIR } | undefined;
  for (const policy of index.tlsPolicies) {
    if (policy.spec === null || policy.id.namespace !== target.namespace) continue;
    for (const ref of policy.spec.targetRefs) {
      if (ref.group !== target.group || ref.kind !== target.kind || ref.name !== target.name) continue;
      if (ref.sectionName !== undefined && ref.sectionName !== portName) continue;
      const specific = ref.sectionName !== undefined;
      if (best === undefined || (specific && !best.specific)) {
        best = { specific, tls: upstreamTls(policy.spec.validation) };
      }
    }
  }
  return best?.tls;
}

function upstreamTls(
  validation: NonNullable<IrItem<'BackendTLSPolicy'>['spec']>['validation'],
): UpstreamTlsIR {
  const tls: UpstreamTlsIR = {
    sni: validation.hostname,
    caCertificateRefs: validation.caCertificateRefs,
    // Without subjectAltNames the Gateway API validates the certificate against the hostname.
    subjectAltNames:
      validation.subjectAltNames.length > 0 ? validation.subjectAltNames : [validation.hostname],
  };
  if (validation.wellKnownCACertificates !== undefined) {
    tls.wellKnownCACertificates = validation.wellKnownCACertificates;
  }
  return tls;
}

/**
 * Checks one certificateRef of a Gateway listener. A Secret absent from the input is only an error
 * when the input holds Secrets at all: offline input often carries none, and SDS serves by name.
 */
export function checkCertificateRef(
  index: IrIndex,
  gateway: ResourceId,
  ref: SecretRef,
  field: string,
): FieldProblem | undefined {
  if (ref.kind !== 'Secret') {
    return {
      reason: Reason.InvalidCertificateRef,
      field,
      message: `${ref.kind} is not supported, use a Secret`,
    };
  }
  const to = { group: '', kind: 'Secret', namespace: ref.namespace, name: ref.name };
  const from = { group: GATEWAY_API_GROUP, kind: 'Gateway', namespace: gateway.namespace };
  if (!referenceAllowed(index, from, to)) {
    return {
      reason: Reason.RefNotPermitted,
      field,
      message: `${describeRef(to)} is in another namespace and no ReferenceGrant in ${ref.namespace} allows it`,
    };
  }
  const secret = index.find('Secret', '', ref.namespace, ref.name);
  if (secret === undefined) {
    return index.hasSecrets
      ? { reason: Reason.InvalidCertificateRef, field, message: `${describeRef(to)} not found` }
      : undefined;
  }
  if (secret.spec === null) {
    return { reason: Reason.InvalidCertificateRef, field, message: `${describeRef(to)} is invalid` };
  }
  const missing = ['tls.crt', 'tls.key'].filter((k) => !secret.spec?.keys.includes(k));
  if (secret.spec.type !== 'kubernetes.io/tls' || missing.length > 0) {
    const why = missing.length > 0 ? `lacks ${missing.join(' and ')}` : `has type ${secret.spec.type}`;
    return {
      reason: Reason.InvalidCertificateRef,
      field,
      message: `${describeRef(to)} ${why}; a kubernetes.io/tls Secret with tls.crt and tls.key is required`,
    };
  }
  return undefined;
}
