// The snapshot builder: all IR items of one cluster → one xDS snapshot per Gateway we own, plus a
// status entry for every input item (ownership, attachment and reference conditions merged in).

import {
  type AnyIrItem,
  type Condition,
  ConditionType,
  type GatewayIR,
  type HTTPRouteIR,
  type IrItem,
  Reason,
  type RouteParentStatus,
} from '../ir/types.ts';
import { describeResource } from '../translate/common.ts';
import { type Attachment, attachRoute, refersToGateway } from './attachment.ts';
import {
  aiBackendProblems,
  buildAIServiceBackendCluster,
  buildBackendCluster,
  buildServiceCluster,
  unsupportedFeatures,
} from './clusters/index.ts';
import { selectListenerHostname } from './hostnames.ts';
import { buildListener, type ChainPlan, type ListenerPlan, planListeners } from './listener.ts';
import { decideOwnership } from './ownership.ts';
import {
  type BackendTarget,
  checkCertificateRef,
  GATEWAY_API_GROUP,
  IrIndex,
  type RefResolution,
  resolveAIServiceBackendTarget,
  resolveBackendRef,
} from './refs.ts';
import {
  buildRouteConfiguration,
  buildRuleRoutes,
  type ListenerContext,
  type RouteBackend,
  type RouteEntry,
} from './route.ts';
import {
  accepted,
  cmp,
  collectStatuses,
  condition,
  ExtraConditionType,
  ExtraReason,
  type FieldProblem,
  problemsCondition,
} from './status.ts';
import {
  type BuildResult,
  type BuiltCluster,
  type GatewaySnapshot,
  type JsonObject,
  type SdsMode,
  type SnapshotOptions,
  TypeUrl,
} from './types.ts';

type ComputedStatus = { conditions: Condition[]; parents?: RouteParentStatus[] };

export function buildSnapshots(items: AnyIrItem[], options: SnapshotOptions): BuildResult {
  const index = new IrIndex(items);
  const ownership = decideOwnership(index, options.controllerName);
  const notes = [...ownership.notes];
  const computed = new Map<AnyIrItem, ComputedStatus>();
  const clusters = new ClusterCache(options.sds);
  const routes = index
    .ofKind('HTTPRoute')
    .flatMap((item) => (item.spec === null ? [] : [analyseRoute(index, item, item.spec)]));
  const snapshots: GatewaySnapshot[] = [];
  let certificatesReferenced = false;

  for (const [gateway, owner] of ownership.byGateway) {
    if (owner.owner === 'other') continue;
    if (owner.owner === 'nobody') {
      computed.set(gateway, { conditions: owner.conditions });
      continue;
    }
    if (gateway.spec === null) {
      rejectAttachments(routes, gateway);
      computed.set(gateway, {
        conditions: [
          condition(
            ConditionType.Programmed,
            'False',
            Reason.Invalid,
            `${describeResource(gateway.id)}: not programmed: the Gateway spec is invalid`,
            gateway.generation,
          ),
        ],
      });
      continue;
    }
    certificatesReferenced ||= gateway.spec.listeners.some((l) => (l.tls?.certificateRefs.length ?? 0) > 0);
    const built = buildGatewaySnapshot(index, gateway, gateway.spec, routes, clusters, options);
    snapshots.push(built.snapshot);
    const ownerNote = owner.implicit ? ' (no GatewayClass in input: treated as ours)' : '';
    computed.set(gateway, { conditions: gatewayConditions(gateway, built.plan, options, ownerNote) });
  }

  if (certificatesReferenced && !index.hasSecrets) {
    notes.push('no Secret in input: certificateRefs were not checked for existence');
  }

  for (const route of routes)
    computed.set(route.item, { conditions: [], parents: parentStatuses(route, index, options) });
  for (const aisb of index.ofKind('AIServiceBackend')) {
    const conditions = aiServiceBackendConditions(index, aisb);
    if (conditions.length > 0) computed.set(aisb, { conditions });
  }
  for (const backend of index.ofKind('Backend')) {
    const conditions = backendConditions(backend);
    if (conditions.length > 0) computed.set(backend, { conditions });
  }

  return { snapshots, statuses: collectStatuses(items, computed), notes };
}

// ---------------------------------------------------------------------------------------------
// Routes: references are resolved once per route; Envoy routes once per route and listener kind.

interface ResolvedRule {
  backends: Array<{
    field: string;
    weight: number;
    filters: RouteBackend['filters'];
    resolution: RefResolution;
  }>;
  mirrors: Map<number, RefResolution>;
}

interface RouteAnalysis {
  item: IrItem<'HTTPRoute'>;
  spec: HTTPRouteIR;
  rules: ResolvedRule[];
  refProblems: FieldProblem[];
  /** Things the route asks for that could not be programmed; filled while translating. */
  buildProblems: FieldProblem[];
  /** Attachment result per parentRef index, for parents that are Gateways we own. */
  attachments: Map<number, Attachment>;
  translated: Map<string, RouteEntry[]>;
}

function analyseRoute(index: IrIndex, item: IrItem<'HTTPRoute'>, spec: HTTPRouteIR): RouteAnalysis {
  const refProblems: FieldProblem[] = [];
  const note = (resolution: RefResolution): RefResolution => {
    if (!resolution.ok) refProblems.push(resolution.problem);
    return resolution;
  };
  const rules = spec.rules.map((rule, i): ResolvedRule => {
    const mirrors = new Map<number, RefResolution>();
    rule.filters.forEach((filter, k) => {
      if (filter.type !== 'RequestMirror') return;
      const { backendRef } = filter.requestMirror;
      const field = `spec.rules[${i}].filters[${k}].requestMirror.backendRef`;
      mirrors.set(k, note(resolveBackendRef(index, item.id, backendRef.ref, backendRef.port, field)));
    });
    const backends = rule.backendRefs.map((ref, j) => {
      const field = `spec.rules[${i}].backendRefs[${j}]`;
      const resolution = note(resolveBackendRef(index, item.id, ref.ref, ref.port, field));
      return { field, weight: ref.weight, filters: ref.filters, resolution };
    });
    return { backends, mirrors };
  });
  return { item, spec, rules, refProblems, buildProblems: [], attachments: new Map(), translated: new Map() };
}

/** Routes naming a Gateway of ours whose spec is invalid attach nowhere. */
function rejectAttachments(routes: RouteAnalysis[], gateway: IrItem<'Gateway'>): void {
  for (const route of routes) {
    route.spec.parentRefs.forEach((parentRef, p) => {
      if (!refersToGateway(parentRef, gateway.id)) return;
      route.attachments.set(p, {
        accepted: false,
        reason: Reason.NoMatchingParent,
        message: `${describeResource(gateway.id)} is invalid`,
      });
    });
  }
}

function translateRoute(
  route: RouteAnalysis,
  listener: ListenerContext,
  clusters: ClusterCache,
): RouteEntry[] {
  const key = `${listener.protocol}/${listener.port}`;
  const cached = route.translated.get(key);
  if (cached !== undefined) return cached;
  const entries = route.spec.rules.flatMap((rule, ruleIndex) => {
    const resolved = route.rules[ruleIndex];
    if (resolved === undefined) return [];
    const backends: RouteBackend[] = resolved.backends.map((b) => {
      const backend: RouteBackend = { weight: b.weight, filters: b.filters, field: b.field };
      if (b.resolution.ok) backend.cluster = clusters.get(b.resolution.target);
      return backend;
    });
    const mirrors = new Map<number, BuiltCluster>();
    for (const [k, resolution] of resolved.mirrors) {
      if (resolution.ok) mirrors.set(k, clusters.get(resolution.target));
    }
    return buildRuleRoutes(
      { route: route.item.id, ruleIndex, rule, backends, mirrors },
      listener,
      route.buildProblems,
    );
  });
  route.translated.set(key, entries);
  return entries;
}

function parentStatuses(route: RouteAnalysis, index: IrIndex, options: SnapshotOptions): RouteParentStatus[] {
  const { item } = route;
  const parents: RouteParentStatus[] = [];
  route.spec.parentRefs.forEach((parentRef, p) => {
    let attachment = route.attachments.get(p);
    if (attachment === undefined) {
      if (parentRef.group !== GATEWAY_API_GROUP || parentRef.kind !== 'Gateway') return;
      // A Gateway that exists but is not ours belongs to another controller's status.
      if (index.find('Gateway', GATEWAY_API_GROUP, parentRef.namespace, parentRef.name) !== undefined) return;
      attachment = {
        accepted: false,
        reason: Reason.NoMatchingParent,
        message: `Gateway ${parentRef.namespace}/${parentRef.name} not found`,
      };
    }
    const field = `spec.parentRefs[${p}]`;
    const conditions: Condition[] = [
      attachment.accepted
        ? accepted(`${describeResource(item.id)}: accepted`, item.generation)
        : condition(
            ConditionType.Accepted,
            'False',
            attachment.reason,
            `${describeResource(item.id)}: ${field}: ${attachment.message}`,
            item.generation,
          ),
      problemsCondition(item.id, ConditionType.ResolvedRefs, 'False', route.refProblems, item.generation) ??
        condition(
          ConditionType.ResolvedRefs,
          'True',
          Reason.ResolvedRefs,
          `${describeResource(item.id)}: all references resolved`,
          item.generation,
        ),
    ];
    const partial = problemsCondition(
      item.id,
      ExtraConditionType.PartiallyInvalid,
      'True',
      route.buildProblems,
      item.generation,
    );
    if (partial !== undefined) conditions.push(partial);
    const ref: RouteParentStatus['parentRef'] = {
      group: parentRef.group,
      kind: parentRef.kind,
      namespace: parentRef.namespace,
      name: parentRef.name,
    };
    if (parentRef.sectionName !== undefined) ref.sectionName = parentRef.sectionName;
    if (parentRef.port !== undefined) ref.port = parentRef.port;
    parents.push({ parentRef: ref, controllerName: options.controllerName, conditions });
  });
  return parents;
}

// ---------------------------------------------------------------------------------------------
// One Gateway

function buildGatewaySnapshot(
  index: IrIndex,
  gateway: IrItem<'Gateway'>,
  spec: GatewayIR,
  routes: RouteAnalysis[],
  clusters: ClusterCache,
  options: SnapshotOptions,
): { snapshot: GatewaySnapshot; plan: ListenerPlan } {
  const plan = planListeners(spec, (ref, field) => checkCertificateRef(index, gateway.id, ref, field));

  // Attach every route whose parentRefs name this Gateway.
  const attached: Array<{ route: RouteAnalysis; attachment: Extract<Attachment, { accepted: true }> }> = [];
  for (const route of routes) {
    route.spec.parentRefs.forEach((parentRef, p) => {
      if (!refersToGateway(parentRef, gateway.id)) return;
      const attachment = attachRoute(route.item.id, route.spec.hostnames, parentRef, gateway.id, spec);
      route.attachments.set(p, attachment);
      if (attachment.accepted) attached.push({ route, attachment });
    });
  }

  const listeners: JsonObject[] = [];
  const routeConfigs: JsonObject[] = [];
  const used = new Map<string, BuiltCluster>();
  for (const port of plan.ports) {
    const filtersByChain = new Map<ChainPlan, JsonObject[]>();
    for (const chain of port.chains) {
      const chainListeners = new Set(chain.listeners.map((l) => l.index));
      const context: ListenerContext = { port: port.port, protocol: port.protocol };
      const byDomain = new Map<string, RouteEntry[]>();
      const chainClusters = new Map<string, BuiltCluster>();
      const hostnames = chain.listeners.map((l) => l.listener.hostname);
      for (const { route, attachment } of attached) {
        for (const { index: listenerIndex, domains } of attachment.listeners) {
          if (!chainListeners.has(listenerIndex)) continue;
          // Listeners sharing a port share one RouteConfiguration, but a request for a host belongs
          // to the most specific listener only: a route attached to a catch-all listener must not
          // answer for `api.example.com` when another listener names that host.
          const served = domains.filter(
            (domain) => chain.listeners[selectListenerHostname(domain, hostnames)]?.index === listenerIndex,
          );
          if (served.length === 0) continue;
          const entries = translateRoute(route, context, clusters);
          for (const domain of served) byDomain.set(domain, [...(byDomain.get(domain) ?? []), ...entries]);
          for (const entry of entries) for (const c of entry.clusters) chainClusters.set(c.clusterName, c);
        }
      }
      routeConfigs.push(buildRouteConfiguration(chain.routeConfigName, byDomain));
      const sortedClusters = [...chainClusters.values()].sort((a, b) => cmp(a.clusterName, b.clusterName));
      filtersByChain.set(
        chain,
        sortedClusters.flatMap((c) => c.listenerHttpFilters),
      );
      for (const c of sortedClusters) used.set(c.clusterName, c);
    }
    listeners.push(buildListener(port, (chain) => filtersByChain.get(chain) ?? [], options.sds));
  }

  return {
    snapshot: { gateway: { ...gateway.id }, resources: snapshotResources(listeners, routeConfigs, used) },
    plan,
  };
}

function snapshotResources(
  listeners: JsonObject[],
  routes: JsonObject[],
  used: Map<string, BuiltCluster>,
): GatewaySnapshot['resources'] {
  const clusters = new Map<string, JsonObject>();
  const endpoints = new Map<string, JsonObject>();
  for (const built of [...used.values()].sort((a, b) => cmp(a.clusterName, b.clusterName))) {
    for (const c of built.clusters) {
      const name = String(c.name);
      if (!clusters.has(name)) clusters.set(name, withType(c, TypeUrl.Cluster));
    }
    for (const e of built.endpoints) {
      const name = String(e.cluster_name);
      if (!endpoints.has(name)) endpoints.set(name, withType(e, TypeUrl.ClusterLoadAssignment));
    }
  }
  const byName = (key: string) => (a: JsonObject, b: JsonObject) => cmp(String(a[key]), String(b[key]));
  return {
    listeners: [...listeners].sort(byName('name')),
    routes: [...routes].sort(byName('name')),
    clusters: [...clusters.values()].sort(byName('name')),
    endpoints: [...endpoints.values()].sort(byName('cluster_name')),
    secrets: [],
  };
}

/** `@type` first, as every top-level xDS resource in a snapshot carries it. */
function withType(resource: JsonObject, typeUrl: string): JsonObject {
  const { '@type': _existing, ...rest } = resource;
  return { '@type': typeUrl, ...rest };
}

function gatewayConditions(
  gateway: IrItem<'Gateway'>,
  plan: ListenerPlan,
  options: SnapshotOptions,
  ownerNote: string,
): Condition[] {
  const gen = gateway.generation;
  const name = describeResource(gateway.id);
  const total = gateway.spec?.listeners.length ?? 0;
  const programmed = plan.programmed.size;
  const problems = plan.problems;
  const out: Condition[] = [];
  if (problems.length === 0) {
    out.push(accepted(`${name}: accepted by ${options.controllerName}${ownerNote}`, gen));
  } else {
    const details = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
    out.push(
      condition(
        ConditionType.Accepted,
        programmed > 0 ? 'True' : 'False',
        ExtraReason.ListenersNotValid,
        `${name}: ${programmed} of ${total} listeners valid${ownerNote}; ${details}`,
        gen,
      ),
    );
  }
  out.push(
    programmed > 0
      ? condition(
          ConditionType.Programmed,
          'True',
          Reason.Programmed,
          `${name}: ${programmed} of ${total} listeners programmed`,
          gen,
        )
      : condition(
          ConditionType.Programmed,
          'False',
          Reason.Invalid,
          `${name}: no listener could be programmed`,
          gen,
        ),
  );
  const refs = problemsCondition(
    gateway.id,
    ConditionType.ResolvedRefs,
    'False',
    problems.filter((p) => p.type === ConditionType.ResolvedRefs),
    gen,
  );
  if (refs !== undefined) out.push(refs);
  const conflicts = problemsCondition(
    gateway.id,
    ExtraConditionType.Conflicted,
    'True',
    problems.filter((p) => p.type === ExtraConditionType.Conflicted),
    gen,
  );
  if (conflicts !== undefined) out.push(conflicts);
  return out;
}

function aiServiceBackendConditions(index: IrIndex, aisb: IrItem<'AIServiceBackend'>): Condition[] {
  if (aisb.spec === null) return [];
  const out: Condition[] = [];
  const target = resolveAIServiceBackendTarget(index, aisb);
  if (!target.ok) {
    const c = problemsCondition(
      aisb.id,
      ConditionType.ResolvedRefs,
      'False',
      [target.problem],
      aisb.generation,
    );
    if (c !== undefined) out.push(c);
  }
  const unsupported = unsupportedFeatures(aisb.spec);
  if (unsupported.length > 0) {
    out.push(
      condition(
        ExtraConditionType.PartiallyInvalid,
        'True',
        Reason.UnsupportedValue,
        `${describeResource(aisb.id)}: ${unsupported.join('; ')}`,
        aisb.generation,
      ),
    );
  }
  return out;
}

/** What one Envoy cluster cannot express for a Backend: AI providers that differ in auth, path or headers. */
function backendConditions(backend: IrItem<'Backend'>): Condition[] {
  if (backend.spec?.type !== 'ai') return [];
  const problems = aiBackendProblems(backend.spec);
  if (problems.length === 0) return [];
  return [
    condition(
      ExtraConditionType.PartiallyInvalid,
      'True',
      Reason.UnsupportedValue,
      `${describeResource(backend.id)}: ${problems.join('; ')}`,
      backend.generation,
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// Clusters: each backend is built once per build, whichever routes and Gateways use it.

class ClusterCache {
  private readonly built = new Map<string, BuiltCluster>();

  constructor(private readonly sds: SdsMode) {}

  get(target: BackendTarget): BuiltCluster {
    const { id } = target;
    const key = `${target.type}|${id.group}|${id.namespace}|${id.name}|${target.type === 'Service' ? target.port.port : ''}`;
    const hit = this.built.get(key);
    if (hit !== undefined) return hit;
    const ctx = target.tls === undefined ? { sds: this.sds } : { sds: this.sds, tls: target.tls };
    let cluster: BuiltCluster;
    switch (target.type) {
      case 'Service':
        cluster = buildServiceCluster(id, target.service, target.port, target.slices, ctx);
        break;
      case 'Backend':
        cluster = buildBackendCluster(id, target.backend, ctx);
        break;
      case 'AIServiceBackend':
        cluster = buildAIServiceBackendCluster(id, target.aisb, target.target, target.policy, ctx);
        break;
    }
    this.built.set(key, cluster);
    return cluster;
  }
}
