// Shared pieces of the per-resource translators (Kubernetes object → IrItem): the object shape,
// validation that collects field errors instead of throwing, and condition builders.

import type { z } from 'zod';
import {
  type AnyIrItem,
  type Condition,
  ConditionType,
  IR_SCHEMA_VERSION,
  type IrItem,
  type IrKind,
  type IrSpecByKind,
  Reason,
  type ResourceId,
} from '../ir/types.ts';
import { apiVersionProblem, dropNulls } from '../resources/common.ts';

/** A Kubernetes object as read from YAML/JSON or a watch event; `spec` is validated per kind. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** One problem with one field. `field` is a dotted path from the object root, e.g. `spec.hosts[0].port`. */
export interface FieldError {
  field: string;
  message: string;
  /** Condition reason when it is not plain `Invalid` (e.g. `UnsupportedValue`). */
  reason?: string;
}

export type Validation<T> = { valid: true; result: T } | { valid: false; errors: FieldError[] };

export interface TranslateContext {
  /** Namespace for objects that carry none (offline input); `default` unless told otherwise. */
  defaultNamespace: string;
}

export type ResourceTranslator<K extends IrKind> = (obj: KubeObject, ctx: TranslateContext) => IrItem<K>;

/** `spec.hosts[0].port` from a zod issue path; keys that are not identifiers are bracketed (`data["tls.crt"]`). */
export function fieldPath(path: ReadonlyArray<PropertyKey>, root = ''): string {
  let out = root;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (!/^[A-Za-z_$][\w$-]*$/.test(String(part))) out += `[${JSON.stringify(String(part))}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

/** Runs a zod schema and turns every issue into a FieldError. `root` prefixes the paths (e.g. `spec`). */
export function validateSchema<S extends z.ZodType>(
  schema: S,
  value: unknown,
  root = '',
): Validation<z.output<S>> {
  const res = schema.safeParse(value);
  if (res.success) return { valid: true, result: res.data };
  return {
    valid: false,
    errors: res.error.issues.map((issue) => ({ field: fieldPath(issue.path, root), message: issue.message })),
  };
}

/** A failed Validation when `apiVersion` is not `<group>/<one of versions>`; undefined when it is. */
export function apiVersionFailure(
  apiVersion: string,
  group: string,
  versions: readonly string[],
): { valid: false; errors: FieldError[] } | undefined {
  const problem = apiVersionProblem(apiVersion, group, versions);
  return problem
    ? { valid: false, errors: [{ field: 'apiVersion', message: problem, reason: Reason.UnsupportedValue }] }
    : undefined;
}

/**
 * The first step of a translator: the apiVersion, then `value` (the spec by default, with explicit
 * nulls dropped as the API server does) against the kind's schema, paths under `root`.
 */
export function validateSpec<S extends z.ZodType>(
  obj: KubeObject,
  api: { group: string; versions: readonly string[] },
  schema: S,
  value: unknown = obj.spec,
  root = 'spec',
): Validation<z.output<S>> {
  return (
    apiVersionFailure(obj.apiVersion, api.group, api.versions) ??
    validateSchema(schema, dropNulls(value), root)
  );
}

/** Kinds without a namespace; their ResourceId carries namespace ''. */
const CLUSTER_SCOPED_KINDS = new Set(['GatewayClass', 'Namespace']);

export function resourceId(obj: KubeObject, ctx: TranslateContext): ResourceId {
  const slash = obj.apiVersion.indexOf('/');
  return {
    group: slash === -1 ? '' : obj.apiVersion.slice(0, slash),
    kind: obj.kind,
    namespace: CLUSTER_SCOPED_KINDS.has(obj.kind) ? '' : (obj.metadata.namespace ?? ctx.defaultNamespace),
    name: obj.metadata.name,
  };
}

/** `Backend default/my-lambda` (or `GatewayClass fleetplane`) — how messages name a resource. */
export function describeResource(id: ResourceId): string {
  return id.namespace === '' ? `${id.kind} ${id.name}` : `${id.kind} ${id.namespace}/${id.name}`;
}

export function acceptedCondition(obj: KubeObject): Condition {
  return withGeneration(obj, {
    type: ConditionType.Accepted,
    status: 'True',
    reason: Reason.Accepted,
    message: 'Resource is valid',
  });
}

/** One `Accepted=False` condition listing every field error, so one bad field is one clear message. */
export function invalidCondition(obj: KubeObject, id: ResourceId, errors: FieldError[]): Condition {
  const reason = errors.find((e) => e.reason)?.reason ?? Reason.Invalid;
  const details = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return withGeneration(obj, {
    type: ConditionType.Accepted,
    status: 'False',
    reason,
    message: `${describeResource(id)}: ${details}`,
  });
}

function withGeneration(obj: KubeObject, condition: Condition): Condition {
  return obj.metadata.generation === undefined
    ? condition
    : { ...condition, observedGeneration: obj.metadata.generation };
}

/**
 * Builds the IrItem for a validated (or rejected) object. `extra` carries conditions that do not
 * make the resource invalid (warnings such as a field we parse but cannot program).
 */
export function makeIrItem<K extends IrKind>(
  kind: K,
  obj: KubeObject,
  ctx: TranslateContext,
  outcome: Validation<IrSpecByKind[K]>,
  extra: Condition[] = [],
): IrItem<K> {
  const id = resourceId(obj, ctx);
  const item: IrItem<K> = {
    schemaVersion: IR_SCHEMA_VERSION,
    kind,
    id,
    labels: { ...(obj.metadata.labels ?? {}) },
    spec: outcome.valid ? outcome.result : null,
    conditions: [
      outcome.valid ? acceptedCondition(obj) : invalidCondition(obj, id, outcome.errors),
      ...extra,
    ],
  };
  if (obj.metadata.uid !== undefined) item.uid = obj.metadata.uid;
  if (obj.metadata.resourceVersion !== undefined) item.resourceVersion = obj.metadata.resourceVersion;
  if (obj.metadata.generation !== undefined) item.generation = obj.metadata.generation;
  return item;
}

/** Narrowing helper for code that handles any IR kind. */
export function isKind<K extends IrKind>(item: AnyIrItem, kind: K): item is Extract<AnyIrItem, { kind: K }> {
  return item.kind === kind;
}
