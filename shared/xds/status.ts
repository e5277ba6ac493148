// Status conditions that depend on more than one resource (ownership, attachment, references),
// merged with the per-resource conditions each IR item already carries.

import {
  type AnyIrItem,
  type Condition,
  type ConditionStatus,
  ConditionType,
  type ResourceId,
  type ResourceStatus,
} from '../ir/types.ts';
import { describeResource } from '../translate/common.ts';

/** Gateway API condition types and reasons beyond the ones shared/ir/types.ts lists. */
export const ExtraConditionType = {
  /** Some of a resource's configuration cannot be programmed and was left out (Gateway API route condition). */
  PartiallyInvalid: 'PartiallyInvalid',
  /** Listener-level condition, reported on the Gateway because ResourceStatus has no listener list. */
  Conflicted: 'Conflicted',
} as const;

export const ExtraReason = {
  ListenersNotValid: 'ListenersNotValid',
  Pending: 'Pending',
  ProtocolConflict: 'ProtocolConflict',
  HostnameConflict: 'HostnameConflict',
} as const;

/** One problem with one field of one resource; becomes part of a condition message. */
export interface FieldProblem {
  reason: string;
  /** Dotted path from the resource root, e.g. `spec.rules[0].backendRefs[1].port`. */
  field: string;
  /** Says what is wrong, e.g. `Service default/echo not found`. */
  message: string;
}

export function condition(
  type: string,
  status: ConditionStatus,
  reason: string,
  message: string,
  generation?: number,
): Condition {
  const c: Condition = { type, status, reason, message };
  if (generation !== undefined) c.observedGeneration = generation;
  return c;
}

/** `HTTPRoute default/r: spec.rules[0].backendRefs[1]: Service default/missing not found`. */
export function problemMessage(id: ResourceId, problem: Pick<FieldProblem, 'field' | 'message'>): string {
  return `${describeResource(id)}: ${problem.field}: ${problem.message}`;
}

/** Joins problems of one resource into one message; the first problem's reason names the condition. */
export function problemsCondition(
  id: ResourceId,
  type: string,
  status: ConditionStatus,
  problems: FieldProblem[],
  generation?: number,
): Condition | undefined {
  const first = problems[0];
  if (first === undefined) return undefined;
  const details = unique(problems.map((p) => `${p.field}: ${p.message}`)).join('; ');
  return condition(type, status, first.reason, `${describeResource(id)}: ${details}`, generation);
}

/**
 * Per-resource conditions first, then the cross-resource ones. A computed condition replaces an own
 * condition of the same type unless the own one is `False`: a resource the translator rejected stays
 * rejected whatever the snapshot builder concludes.
 */
export function mergeConditions(own: Condition[], computed: Condition[]): Condition[] {
  const pending = new Map(computed.map((c) => [c.type, c]));
  const out = own.map((c) => {
    const replacement = pending.get(c.type);
    pending.delete(c.type);
    return replacement !== undefined && c.status !== 'False' ? replacement : c;
  });
  return [...out, ...pending.values()];
}

export function accepted(message: string, generation?: number): Condition {
  return condition(ConditionType.Accepted, 'True', 'Accepted', message, generation);
}

export function compareResourceIds(a: ResourceId, b: ResourceId): number {
  return cmp(a.kind, b.kind) || cmp(a.namespace, b.namespace) || cmp(a.name, b.name) || cmp(a.group, b.group);
}

/** The status entry of every input item, sorted by kind, namespace and name. */
export function collectStatuses(
  items: AnyIrItem[],
  extra: Map<AnyIrItem, Pick<ResourceStatus, 'conditions' | 'parents'>>,
): ResourceStatus[] {
  const out = items.map((item) => {
    const computed = extra.get(item);
    const status: ResourceStatus = {
      resource: { ...item.id },
      conditions: mergeConditions(item.conditions, computed?.conditions ?? []),
    };
    if (computed?.parents !== undefined) status.parents = computed.parents;
    return status;
  });
  return out.sort((a, b) => compareResourceIds(a.resource, b.resource));
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
