// Envoy AI Gateway `AIServiceBackend` (aigateway.envoyproxy.io v1alpha1/v1beta1) → IR: the API
// schema the backend speaks, the Envoy Gateway Backend it sends to, and the header and body
// mutations applied on the way. Body mutations are kept as given: whether they can be programmed
// is for the snapshot builder to say, since Envoy has no built-in JSON body mutation.

import { type AIServiceBackendIR, Reason, type ResourceId } from '../ir/types.ts';
import {
  AI_GATEWAY_VERSIONS,
  type AIServiceBackendSpec,
  AIServiceBackendSpecSchema,
  type BackendObjectReference,
  type BodyMutation,
  type HeaderMutation,
} from '../resources/ai-service-backend.ts';
import { byKeys, checkHeaderName } from '../resources/envoy-gateway-backend.ts';
import {
  type FieldError,
  type KubeObject,
  makeIrItem,
  type ResourceTranslator,
  resourceId,
  type Validation,
  validateSpec,
} from './common.ts';

export const translateAIServiceBackend: ResourceTranslator<'AIServiceBackend'> = (obj, ctx) => {
  const id = resourceId(obj, ctx);
  return makeIrItem('AIServiceBackend', obj, ctx, translate(obj, id));
};

type Fail = (field: string, message: string, reason?: string) => undefined;

const EG_GROUP = 'gateway.envoyproxy.io';

/**
 * Headers that carry credentials. Setting one here would put the key into the IR and every
 * snapshot; credentials belong in a BackendSecurityPolicy, which references a Secret.
 */
const CREDENTIAL_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'api-key',
  'x-api-key',
  'x-goog-api-key',
]);

function translate(obj: KubeObject, id: ResourceId): Validation<AIServiceBackendIR> {
  const errors: FieldError[] = [];
  const fail: Fail = (field, message, reason) => {
    errors.push(reason === undefined ? { field, message } : { field, message, reason });
    return undefined;
  };
  const version = obj.apiVersion.slice(obj.apiVersion.indexOf('/') + 1);
  const parsed = validateSpec(
    obj,
    { group: 'aigateway.envoyproxy.io', versions: AI_GATEWAY_VERSIONS },
    AIServiceBackendSpecSchema,
  );
  if (!parsed.valid) return parsed;
  const spec = parsed.result;

  if (spec.responseBodyMutation !== undefined) {
    fail('spec.responseBodyMutation', 'is not supported by fleetplane', Reason.UnsupportedValue);
  }
  if (spec.backendSecurityPolicyRef !== undefined) {
    fail(
      'spec.backendSecurityPolicyRef',
      'is deprecated and not supported; attach the policy with BackendSecurityPolicy spec.targetRefs instead',
      Reason.UnsupportedValue,
    );
  }
  const schema = apiSchema(spec.schema, version, fail);
  const backendRef = reference(spec.backendRef, id, fail);
  const headerMutation = spec.headerMutation && headers(spec.headerMutation, fail);
  const bodyMutation = spec.bodyMutation && body(spec.bodyMutation, fail);
  if (errors.length > 0 || backendRef === undefined) return { valid: false, errors };
  return {
    valid: true,
    result: {
      schema,
      backendRef,
      ...(headerMutation === undefined ? {} : { headerMutation }),
      ...(bodyMutation === undefined ? {} : { bodyMutation }),
    },
  };
}

function apiSchema(
  s: AIServiceBackendSpec['schema'],
  version: string,
  fail: Fail,
): AIServiceBackendIR['schema'] {
  let prefix = s.prefix;
  // v1alpha1 documents `version` on an OpenAI schema as the prefix, for backward compatibility.
  if (version === 'v1alpha1' && s.name === 'OpenAI' && prefix === undefined && s.version !== undefined) {
    prefix = s.version;
  }
  if (prefix !== undefined) {
    if (/[\s?#]/.test(prefix)) {
      fail('spec.schema.prefix', `"${prefix}" must be a plain path such as /v1beta/openai`);
    }
    // With or without a leading slash means the same; store one spelling. An empty prefix (no
    // prefix at all) stays distinct from an absent one, which means the schema's default.
    const trimmed = prefix.replace(/^\/+|\/+$/g, '');
    prefix = trimmed === '' ? '' : `/${trimmed}`;
  }
  return {
    name: s.name,
    ...(s.version === undefined ? {} : { version: s.version }),
    ...(prefix === undefined ? {} : { prefix }),
  };
}

function reference(ref: BackendObjectReference, id: ResourceId, fail: Fail) {
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'Service';
  if (group !== EG_GROUP || kind !== 'Backend') {
    const what = group === '' ? `${kind} ${ref.name}` : `${group}/${kind} ${ref.name}`;
    const namespace = ref.namespace ?? id.namespace;
    const hint =
      group === '' && kind === 'Service'
        ? `; to reach a Service, create a Backend with an fqdn endpoint ${ref.name}.${namespace}.svc.cluster.local ` +
          'and reference that'
        : '';
    return fail(
      'spec.backendRef',
      `AIServiceBackend must reference an Envoy Gateway Backend (group ${EG_GROUP}, kind Backend), ` +
        `not ${what}${hint}`,
      Reason.InvalidKind,
    );
  }
  return { group, kind, namespace: ref.namespace ?? id.namespace, name: ref.name };
}

function headers(m: HeaderMutation, fail: Fail): NonNullable<AIServiceBackendIR['headerMutation']> {
  const set = m.set ?? [];
  const remove = m.remove ?? [];
  const setNames = new Map<string, number>();
  set.forEach((h, i) => {
    const field = `spec.headerMutation.set[${i}].name`;
    const problem = checkHeaderName(h.name);
    const lower = h.name.toLowerCase();
    if (problem) fail(field, problem);
    else if (CREDENTIAL_HEADERS.has(lower)) {
      fail(
        field,
        `${h.name} carries a credential, which would be copied into every snapshot; use a BackendSecurityPolicy`,
      );
    } else if (setNames.has(lower)) {
      fail(field, `${h.name} is already set by spec.headerMutation.set[${setNames.get(lower)}]`);
    }
    setNames.set(lower, i);
  });
  remove.forEach((name, i) => {
    const field = `spec.headerMutation.remove[${i}]`;
    const problem = checkHeaderName(name);
    if (problem) fail(field, problem);
    else if (setNames.has(name.toLowerCase())) fail(field, `${name} is both set and removed`);
  });
  return {
    // Header names are case-insensitive; one spelling keeps the IR (and its hash) stable.
    set: set.map((h) => ({ name: h.name.toLowerCase(), value: h.value })).sort(byKeys((h) => h.name)),
    remove: unique(remove.map((n) => n.toLowerCase())),
  };
}

function body(m: BodyMutation, fail: Fail): NonNullable<AIServiceBackendIR['bodyMutation']> {
  const set = m.set ?? [];
  const remove = m.remove ?? [];
  const paths = new Map<string, number>();
  set.forEach((f, i) => {
    try {
      JSON.parse(f.value);
    } catch {
      fail(
        `spec.bodyMutation.set[${i}].value`,
        `must be JSON text: "\\"gpt-4o\\"" for a string, 0.2 for a number (got ${JSON.stringify(f.value)})`,
      );
    }
    const first = paths.get(f.path);
    if (first !== undefined) {
      fail(`spec.bodyMutation.set[${i}].path`, `${f.path} is already set by spec.bodyMutation.set[${first}]`);
    }
    paths.set(f.path, i);
  });
  remove.forEach((path, i) => {
    if (paths.has(path)) fail(`spec.bodyMutation.remove[${i}]`, `${path} is both set and removed`);
  });
  return {
    set: set.map((f) => ({ path: f.path, value: f.value })).sort(byKeys((f) => f.path)),
    remove: unique(remove),
  };
}

function unique(values: string[]): string[] {
  return [...new Set(values)].sort();
}
