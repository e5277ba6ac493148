// The per-resource translation step: Kubernetes objects → IR items, one per object, dispatched by
// API group and kind. Objects of kinds we do not translate get a status that says so, and a
// translator that throws (a bug) costs only its own object.

import {
  type AnyIrItem,
  type Condition,
  ConditionType,
  type IrKind,
  Reason,
  type ResourceId,
  type ResourceStatus,
} from '../ir/types.ts';
import { translateAIServiceBackend } from './ai-service-backend.ts';
import { translateBackendSecurityPolicy } from './backend-security-policy.ts';
import { translateBackendTLSPolicy } from './backend-tls-policy.ts';
import { describeResource, type KubeObject, resourceId, type TranslateContext } from './common.ts';
import { translateEndpointSlice } from './endpoint-slice.ts';
import { translateEnvoyGatewayBackend } from './envoy-gateway-backend.ts';
import { translateGateway } from './gateway.ts';
import { translateGatewayClass } from './gateway-class.ts';
import { translateHTTPRoute } from './http-route.ts';
import { translateKgatewayBackend } from './kgateway-backend.ts';
import { translateReferenceGrant } from './reference-grant.ts';
import { translateSecret } from './secret.ts';
import { translateService } from './service.ts';

type AnyTranslator = (obj: KubeObject, ctx: TranslateContext) => AnyIrItem;

const GATEWAY_API = 'gateway.networking.k8s.io';
const AI_GATEWAY = 'aigateway.envoyproxy.io';

/** `<group>/<Kind>` → translator. The group decides between the two `Backend` APIs. */
const TRANSLATORS: ReadonlyMap<string, AnyTranslator> = new Map<string, AnyTranslator>([
  [`${GATEWAY_API}/GatewayClass`, translateGatewayClass],
  [`${GATEWAY_API}/Gateway`, translateGateway],
  [`${GATEWAY_API}/HTTPRoute`, translateHTTPRoute],
  [`${GATEWAY_API}/ReferenceGrant`, translateReferenceGrant],
  [`${GATEWAY_API}/BackendTLSPolicy`, translateBackendTLSPolicy],
  ['/Service', translateService],
  ['discovery.k8s.io/EndpointSlice', translateEndpointSlice],
  ['/Secret', translateSecret],
  ['gateway.kgateway.dev/Backend', translateKgatewayBackend],
  ['gateway.envoyproxy.io/Backend', translateEnvoyGatewayBackend],
  [`${AI_GATEWAY}/AIServiceBackend`, translateAIServiceBackend],
  [`${AI_GATEWAY}/BackendSecurityPolicy`, translateBackendSecurityPolicy],
]);

/** Kinds read only so that references to them resolve; they produce no IR of their own. */
const REFERENCE_ONLY = new Set(['/ConfigMap', '/Namespace']);

export const SUPPORTED_KINDS: readonly string[] = [...TRANSLATORS.keys()].sort();

export interface Sourced {
  object: KubeObject;
  source: string;
}

export interface TranslateAllResult {
  items: AnyIrItem[];
  /** Statuses of objects that produced no IR item (unsupported or reference-only kinds, duplicates). */
  statuses: ResourceStatus[];
}

export function groupKindOf(obj: Pick<KubeObject, 'apiVersion' | 'kind'>): string {
  const slash = obj.apiVersion.indexOf('/');
  return `${slash === -1 ? '' : obj.apiVersion.slice(0, slash)}/${obj.kind}`;
}

/** Translates one object; undefined when its kind is not one we translate. */
export function translateObject(obj: KubeObject, ctx: TranslateContext): AnyIrItem | undefined {
  const translator = TRANSLATORS.get(groupKindOf(obj));
  return translator?.(obj, ctx);
}

export function isTranslatedKind(kind: string): kind is IrKind {
  return [...TRANSLATORS.keys()].some((k) => k.endsWith(`/${kind}`));
}

/** Translates every object; later definitions of the same resource replace earlier ones (with a note). */
export function translateAll(input: Sourced[], ctx: TranslateContext): TranslateAllResult {
  const byKey = new Map<string, { item: AnyIrItem; source: string }>();
  const statuses: ResourceStatus[] = [];
  for (const { object, source } of input) {
    const id = resourceId(object, ctx);
    const groupKind = groupKindOf(object);
    if (REFERENCE_ONLY.has(groupKind)) {
      statuses.push({
        resource: id,
        conditions: [condition('True', Reason.Accepted, `${describeResource(id)}: read for references only`)],
      });
      continue;
    }
    if (!TRANSLATORS.has(groupKind)) {
      statuses.push({
        resource: id,
        conditions: [
          condition(
            'False',
            Reason.InvalidKind,
            `${describeResource(id)} (${source}): apiVersion/kind ${object.apiVersion} ${object.kind} is not supported; supported: ${SUPPORTED_KINDS.join(', ')}`,
          ),
        ],
      });
      continue;
    }
    let item: AnyIrItem;
    try {
      item = translateObject(object, ctx) as AnyIrItem;
    } catch (err) {
      // A throw here is a bug in a translator; it must not take the other resources down with it.
      statuses.push({
        resource: id,
        conditions: [
          condition(
            'False',
            'TranslationError',
            `${describeResource(id)} (${source}): internal error while translating: ${(err as Error).message}`,
          ),
        ],
      });
      continue;
    }
    const key = idKey(item.id);
    const previous = byKey.get(key);
    if (previous) {
      item = {
        ...item,
        conditions: [
          ...item.conditions,
          condition(
            'True',
            'Duplicate',
            `${describeResource(item.id)}: defined in ${previous.source} and again in ${source}; the later definition is used`,
          ),
        ],
      } as AnyIrItem;
    }
    byKey.set(key, { item, source });
  }
  const items = [...byKey.values()].map((v) => v.item).sort((a, b) => compareIds(a.id, b.id));
  statuses.sort((a, b) => compareIds(a.resource, b.resource));
  return { items, statuses };
}

function condition(status: 'True' | 'False', reason: string, message: string): Condition {
  return { type: ConditionType.Accepted, status, reason, message };
}

export function idKey(id: ResourceId): string {
  return `${id.group}/${id.kind}/${id.namespace}/${id.name}`;
}

export function compareIds(a: ResourceId, b: ResourceId): number {
  return cmp(a.kind, b.kind) || cmp(a.group, b.group) || cmp(a.namespace, b.namespace) || cmp(a.name, b.name);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
