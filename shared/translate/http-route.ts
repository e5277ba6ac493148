// HTTPRoute → IR: parent references, hostnames and rules with every Gateway API default applied
// (the PathPrefix "/" match, match types, backend group/kind/namespace/weight, redirect status).
//
// Problems the API server or the Gateway API treat as an invalid route (schema, CEL rules, unknown
// enum values) make the route invalid. Filters that are valid Gateway API but that we cannot
// program (ExtensionRef, CORS, ExternalAuth) drop their rule instead, as the Gateway API allows
// for invalid rules, and are listed in a `PartiallyInvalid` condition. Skipping only the filter
// is not an option: Gateway API requires that traffic never bypasses a filter that cannot be
// applied, and such filters are often authentication.

import type {
  BackendRefIR,
  HeaderMatchIR,
  HeaderModifierIR,
  HTTPRouteFilterIR,
  HTTPRouteRuleIR,
  ParentRefIR,
  PathMatchIR,
  QueryParamMatchIR,
  RouteMatchIR,
} from '../ir/types.ts';
import { Reason } from '../ir/types.ts';
import { durationMillis, regexProblem } from '../resources/common.ts';
import {
  type BackendObjectReferenceInput,
  type FilterInput,
  GATEWAY_API_GROUP,
  GATEWAY_API_VERSIONS,
  GatewayApiCondition,
  type HTTPRouteRuleInput,
  httpRouteSpec,
  type ParentReferenceInput,
} from '../resources/gateway-api.ts';
import {
  type FieldError,
  invalidCondition,
  makeIrItem,
  type ResourceTranslator,
  resourceId,
  validateSpec,
} from './common.ts';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
const MATCH_TYPES = ['Exact', 'RegularExpression'] as const;
const PATH_TYPES = ['Exact', 'PathPrefix', 'RegularExpression'] as const;
const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$/;

/** The config block each filter type needs; the type and its block must agree. */
const FILTER_BLOCKS = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  RequestRedirect: 'requestRedirect',
  URLRewrite: 'urlRewrite',
  RequestMirror: 'requestMirror',
  ExtensionRef: 'extensionRef',
  CORS: 'cors',
  ExternalAuth: 'externalAuth',
} as const satisfies Record<string, keyof FilterInput>;

type FilterType = keyof typeof FILTER_BLOCKS;

type UnsupportedFilterType = 'ExtensionRef' | 'CORS' | 'ExternalAuth';

/** Valid Gateway API filter types we cannot program. */
const UNSUPPORTED_FILTERS: ReadonlySet<FilterType> = new Set<UnsupportedFilterType>([
  'ExtensionRef',
  'CORS',
  'ExternalAuth',
]);

function isUnsupportedFilter(type: FilterType): type is UnsupportedFilterType {
  return UNSUPPORTED_FILTERS.has(type);
}

/** Filter types that may appear at most once per list. */
const SINGLE_FILTERS = new Set<FilterType>([
  'RequestHeaderModifier',
  'ResponseHeaderModifier',
  'RequestRedirect',
  'URLRewrite',
  'CORS',
]);

/** What a part of a route produced: errors invalidate the route, unsupported drops the rule. */
interface Problems {
  errors: FieldError[];
  unsupported: FieldError[];
}

export const translateHTTPRoute: ResourceTranslator<'HTTPRoute'> = (obj, ctx) => {
  const parsed = validateSpec(
    obj,
    { group: GATEWAY_API_GROUP, versions: GATEWAY_API_VERSIONS.HTTPRoute },
    httpRouteSpec,
  );
  if (!parsed.valid) return makeIrItem('HTTPRoute', obj, ctx, parsed);

  const id = resourceId(obj, ctx);
  const spec = parsed.result;
  const errors: FieldError[] = [];
  const parentRefs = translateParentRefs(spec.parentRefs ?? [], id.namespace, errors);
  const hostnames = [...new Set(spec.hostnames ?? [])].sort();

  const inputs: HTTPRouteRuleInput[] = spec.rules && spec.rules.length > 0 ? spec.rules : [{}];
  errors.push(...ruleNameErrors(inputs));
  const dropped: FieldError[] = [];
  const rules: HTTPRouteRuleIR[] = [];
  inputs.forEach((input, index) => {
    const problems: Problems = { errors: [], unsupported: [] };
    const rule = translateRule(input, `spec.rules[${index}]`, id.namespace, problems);
    errors.push(...problems.errors);
    if (problems.unsupported.length > 0) {
      dropped.push(
        ...problems.unsupported.map((p) => ({
          ...p,
          message: `${p.message}; rule spec.rules[${index}] is not programmed`,
        })),
      );
    } else rules.push(rule);
  });
  if (errors.length > 0) return makeIrItem('HTTPRoute', obj, ctx, { valid: false, errors });
  if (rules.length === 0) return makeIrItem('HTTPRoute', obj, ctx, { valid: false, errors: dropped });
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
  return makeIrItem('HTTPRoute', obj, ctx, { valid: true, result: { parentRefs, hostnames, rules } }, extra);
};

function translateParentRefs(
  refs: ParentReferenceInput[],
  routeNamespace: string,
  errors: FieldError[],
): ParentRefIR[] {
  const out: ParentRefIR[] = [];
  const seen = new Map<string, number>();
  const presence = new Map<string, { index: number; section: boolean; port: boolean }>();
  refs.forEach((ref, index) => {
    const parent: ParentRefIR = {
      group: ref.group ?? GATEWAY_API_GROUP,
      kind: ref.kind ?? 'Gateway',
      namespace: ref.namespace ?? routeNamespace,
      name: ref.name,
    };
    if (ref.sectionName !== undefined) parent.sectionName = ref.sectionName;
    if (ref.port !== undefined) parent.port = ref.port;
    const target = `${parent.group}/${parent.kind}/${parent.namespace}/${parent.name}`;
    const full = `${target}#${parent.sectionName ?? ''}:${parent.port ?? ''}`;
    const first = seen.get(full);
    const shape = presence.get(target);
    if (first !== undefined)
      errors.push({
        field: `spec.parentRefs[${index}]`,
        message: `duplicates spec.parentRefs[${first}]; references to the same parent need distinct sectionName or port`,
      });
    else if (
      shape &&
      (shape.section !== (parent.sectionName !== undefined) || shape.port !== (parent.port !== undefined))
    )
      errors.push({
        field: `spec.parentRefs[${index}]`,
        message: `refers to the same parent as spec.parentRefs[${shape.index}]; when a parent is referenced more than once, every reference must set the same fields (sectionName, port)`,
      });
    seen.set(full, seen.get(full) ?? index);
    if (!shape)
      presence.set(target, {
        index,
        section: parent.sectionName !== undefined,
        port: parent.port !== undefined,
      });
    out.push(parent);
  });
  return out;
}

function ruleNameErrors(rules: HTTPRouteRuleInput[]): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Map<string, number>();
  rules.forEach((rule, index) => {
    if (rule.name === undefined) return;
    const first = seen.get(rule.name);
    if (first === undefined) seen.set(rule.name, index);
    else
      errors.push({
        field: `spec.rules[${index}].name`,
        message: `${JSON.stringify(rule.name)} is already the name of spec.rules[${first}]; rule names must be unique`,
      });
  });
  return errors;
}

function translateRule(
  input: HTTPRouteRuleInput,
  path: string,
  ns: string,
  problems: Problems,
): HTTPRouteRuleIR {
  const matches =
    input.matches && input.matches.length > 0
      ? input.matches.map((m, i) => translateMatch(m, `${path}.matches[${i}]`, problems))
      : [defaultMatch()];
  const filters = translateFilters(input.filters ?? [], `${path}.filters`, ns, matches, problems);
  const backendRefs = (input.backendRefs ?? []).map((ref, i) => {
    const refPath = `${path}.backendRefs[${i}]`;
    const backend = translateBackendRef(ref, refPath, ns, problems);
    backend.weight = ref.weight ?? 1;
    backend.filters = translateFilters(ref.filters ?? [], `${refPath}.filters`, ns, matches, problems);
    return backend;
  });
  if (backendRefs.length > 0) {
    const redirect = (input.filters ?? []).findIndex((f) => f.type === 'RequestRedirect');
    if (redirect !== -1)
      problems.errors.push({
        field: `${path}.filters[${redirect}]`,
        message: 'a RequestRedirect filter must not be used together with backendRefs; remove one of them',
      });
  }

  const rule: HTTPRouteRuleIR = {
    ...(input.name !== undefined ? { name: input.name } : {}),
    matches,
    filters,
    backendRefs,
  };
  const timeouts = input.timeouts;
  if (timeouts && (timeouts.request !== undefined || timeouts.backendRequest !== undefined)) {
    const { request, backendRequest } = timeouts;
    if (
      request !== undefined &&
      backendRequest !== undefined &&
      durationMillis(request) !== 0 &&
      durationMillis(backendRequest) > durationMillis(request)
    )
      problems.errors.push({
        field: `${path}.timeouts.backendRequest`,
        message: `${JSON.stringify(backendRequest)} is longer than the request timeout ${JSON.stringify(request)}; backendRequest must not exceed request`,
      });
    rule.timeouts = {};
    if (request !== undefined) rule.timeouts.request = request;
    if (backendRequest !== undefined) rule.timeouts.backendRequest = backendRequest;
  }
  return rule;
}

function defaultMatch(): RouteMatchIR {
  return { path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] };
}

type MatchInput = NonNullable<HTTPRouteRuleInput['matches']>[number];

function translateMatch(input: MatchInput, path: string, problems: Problems): RouteMatchIR {
  const pathType = input.path?.type ?? 'PathPrefix';
  const pathValue = input.path?.value ?? '/';
  let pathMatch: PathMatchIR = { type: 'PathPrefix', value: pathValue };
  if (!isOneOf(pathType, PATH_TYPES)) {
    problems.errors.push(unsupportedEnum(`${path}.path.type`, pathType, PATH_TYPES));
  } else {
    pathMatch = { type: pathType, value: pathValue };
    const problem =
      pathType === 'RegularExpression' ? regexProblem(pathValue) : pathValueProblem(pathValue, pathType);
    if (problem) problems.errors.push({ field: `${path}.path.value`, message: problem });
  }

  const headers: HeaderMatchIR[] = [];
  const seenHeaders = new Set<string>();
  (input.headers ?? []).forEach((h, i) => {
    const type = valueMatchType(h.type, `${path}.headers[${i}]`, h.value, problems);
    // Gateway API: of equivalent (case-insensitive) header names only the first entry counts.
    const key = h.name.toLowerCase();
    if (seenHeaders.has(key)) return;
    seenHeaders.add(key);
    headers.push({ type, name: h.name, value: h.value });
  });

  const queryParams: QueryParamMatchIR[] = [];
  const seenParams = new Set<string>();
  (input.queryParams ?? []).forEach((q, i) => {
    const type = valueMatchType(q.type, `${path}.queryParams[${i}]`, q.value, problems);
    if (seenParams.has(q.name)) return;
    seenParams.add(q.name);
    queryParams.push({ type, name: q.name, value: q.value });
  });

  const match: RouteMatchIR = { path: pathMatch, headers, queryParams };
  if (input.method !== undefined) {
    if (METHODS.has(input.method)) match.method = input.method;
    else problems.errors.push(unsupportedEnum(`${path}.method`, input.method, [...METHODS]));
  }
  return match;
}

function valueMatchType(
  type: string | undefined,
  path: string,
  value: string,
  problems: Problems,
): HeaderMatchIR['type'] {
  const resolved = type ?? 'Exact';
  if (!isOneOf(resolved, MATCH_TYPES)) {
    problems.errors.push(unsupportedEnum(`${path}.type`, resolved, MATCH_TYPES));
    return 'Exact';
  }
  if (resolved === 'RegularExpression') {
    const problem = regexProblem(value);
    if (problem) problems.errors.push({ field: `${path}.value`, message: problem });
  }
  return resolved;
}

/** The CRD's rules for Exact and PathPrefix values. */
function pathValueProblem(value: string, type: string): string | undefined {
  const bad = (what: string) => `${JSON.stringify(value)} ${what} (required for ${type} paths)`;
  if (!value.startsWith('/')) return bad("must start with '/'");
  if (value.includes('//')) return bad("must not contain '//'");
  if (value.includes('/./') || value.endsWith('/.')) return bad("must not contain the segment '.'");
  if (value.includes('/../') || value.endsWith('/..')) return bad("must not contain the segment '..'");
  if (/%2f/i.test(value)) return bad("must not contain an encoded '/' (%2F)");
  if (value.includes('#')) return bad("must not contain '#'");
  if (!PATH_CHARS.test(value)) return bad('must contain only URL path characters or %-escapes');
  return undefined;
}

function translateFilters(
  inputs: FilterInput[],
  path: string,
  ns: string,
  matches: RouteMatchIR[],
  problems: Problems,
): HTTPRouteFilterIR[] {
  const out: HTTPRouteFilterIR[] = [];
  const seen = new Map<string, number>();
  inputs.forEach((f, i) => {
    const fp = `${path}[${i}]`;
    if (!isOneOf(f.type, Object.keys(FILTER_BLOCKS) as FilterType[])) {
      problems.errors.push(unsupportedEnum(`${fp}.type`, f.type, Object.keys(FILTER_BLOCKS)));
      return;
    }
    const type = f.type;
    if (!blocksAgree(f, type, fp, problems)) return;

    const first = seen.get(type);
    if (first !== undefined && SINGLE_FILTERS.has(type))
      problems.errors.push({
        field: `${fp}.type`,
        message: `${type} is already used by ${path}[${first}]; it may appear only once`,
      });
    if (!seen.has(type)) seen.set(type, i);
    const other =
      type === 'RequestRedirect' ? 'URLRewrite' : type === 'URLRewrite' ? 'RequestRedirect' : undefined;
    const otherIndex = other ? seen.get(other) : undefined;
    if (other && otherIndex !== undefined && otherIndex < i)
      problems.errors.push({
        field: `${fp}.type`,
        message: `${type} cannot be combined with the ${other} filter at ${path}[${otherIndex}]`,
      });

    if (isUnsupportedFilter(type)) {
      const ref = f.extensionRef
        ? ` (${f.extensionRef.group}/${f.extensionRef.kind} ${f.extensionRef.name})`
        : '';
      problems.unsupported.push({
        field: `${fp}.type`,
        message: `${type} filters${ref} are not supported`,
        reason: Reason.UnsupportedValue,
      });
      return;
    }
    const filter = translateFilter(f, type, fp, ns, matches, problems);
    if (filter) out.push(filter);
  });
  return out;
}

/** The filter's type and its config block must agree: its own block set, no other block. */
function blocksAgree(f: FilterInput, type: FilterType, fp: string, problems: Problems): boolean {
  let ok = true;
  for (const [otherType, block] of Object.entries(FILTER_BLOCKS)) {
    const present = f[block] !== undefined;
    if (otherType === type && !present) {
      problems.errors.push({ field: `${fp}.${block}`, message: `is required when type is ${type}` });
      ok = false;
    } else if (otherType !== type && present) {
      problems.errors.push({ field: `${fp}.${block}`, message: `must not be set when type is ${type}` });
      ok = false;
    }
  }
  return ok;
}

function translateFilter(
  f: FilterInput,
  type: Exclude<FilterType, UnsupportedFilterType>,
  fp: string,
  ns: string,
  matches: RouteMatchIR[],
  problems: Problems,
): HTTPRouteFilterIR | undefined {
  switch (type) {
    case 'RequestHeaderModifier':
      return {
        type,
        requestHeaderModifier: headerModifier(
          f.requestHeaderModifier ?? {},
          `${fp}.requestHeaderModifier`,
          problems,
        ),
      };
    case 'ResponseHeaderModifier':
      return {
        type,
        responseHeaderModifier: headerModifier(
          f.responseHeaderModifier ?? {},
          `${fp}.responseHeaderModifier`,
          problems,
        ),
      };
    case 'RequestRedirect': {
      const input = f.requestRedirect ?? {};
      const bp = `${fp}.requestRedirect`;
      const statusCode = input.statusCode ?? 302;
      if (!REDIRECT_CODES.has(statusCode))
        problems.errors.push(unsupportedEnum(`${bp}.statusCode`, statusCode, [...REDIRECT_CODES]));
      const scheme = input.scheme;
      if (scheme !== undefined && scheme !== 'http' && scheme !== 'https')
        problems.errors.push(unsupportedEnum(`${bp}.scheme`, scheme, ['http', 'https']));
      const modifier = input.path ? pathModifier(input.path, `${bp}.path`, matches, problems) : undefined;
      return {
        type,
        requestRedirect: {
          ...(scheme === 'http' || scheme === 'https' ? { scheme } : {}),
          ...(input.hostname !== undefined ? { hostname: input.hostname } : {}),
          ...(modifier ? { path: modifier } : {}),
          ...(input.port !== undefined ? { port: input.port } : {}),
          statusCode: statusCode as 301 | 302 | 303 | 307 | 308,
        },
      };
    }
    case 'URLRewrite': {
      const input = f.urlRewrite ?? {};
      const rewrite: Extract<HTTPRouteFilterIR, { type: 'URLRewrite' }>['urlRewrite'] = {};
      if (input.hostname !== undefined) rewrite.hostname = input.hostname;
      if (input.path) {
        const modifier = pathModifier(input.path, `${fp}.urlRewrite.path`, matches, problems);
        if (modifier) rewrite.path = modifier;
      }
      return { type, urlRewrite: rewrite };
    }
    case 'RequestMirror': {
      const input = f.requestMirror;
      if (!input) return undefined;
      const mp = `${fp}.requestMirror`;
      let percent = input.percent ?? 100;
      if (input.percent !== undefined && input.fraction !== undefined)
        problems.errors.push({ field: mp, message: 'set either percent or fraction, not both' });
      if (input.fraction) {
        const denominator = input.fraction.denominator ?? 100;
        if (input.fraction.numerator > denominator)
          problems.errors.push({
            field: `${mp}.fraction.numerator`,
            message: `${input.fraction.numerator} is greater than the denominator ${denominator}`,
          });
        // Four decimals are parts per million, the finest share Envoy's FractionalPercent expresses.
        percent = Math.round((input.fraction.numerator * 1_000_000) / denominator) / 10_000;
      }
      const backendRef = translateBackendRef(input.backendRef, `${mp}.backendRef`, ns, problems);
      return { type, requestMirror: { backendRef, percent } };
    }
  }
}

function headerModifier(
  input: NonNullable<FilterInput['requestHeaderModifier']>,
  path: string,
  problems: Problems,
): HeaderModifierIR {
  // Gateway API: one action per header name, compared case-insensitively.
  const seen = new Map<string, string>();
  const claim = (name: string, field: string) => {
    const key = name.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined)
      problems.errors.push({
        field,
        message: `${JSON.stringify(name)} is already modified by ${first}; a header name may appear in only one action`,
      });
    else seen.set(key, field);
  };
  const set = (input.set ?? []).map((h, i) => {
    claim(h.name, `${path}.set[${i}].name`);
    return { name: h.name, value: h.value };
  });
  const add = (input.add ?? []).map((h, i) => {
    claim(h.name, `${path}.add[${i}].name`);
    return { name: h.name, value: h.value };
  });
  const remove = (input.remove ?? []).map((name, i) => {
    claim(name, `${path}.remove[${i}]`);
    return name;
  });
  return { set, add, remove };
}

type PathModifierIR = NonNullable<Extract<HTTPRouteFilterIR, { type: 'URLRewrite' }>['urlRewrite']['path']>;

function pathModifier(
  input: { type: string; replaceFullPath?: string | undefined; replacePrefixMatch?: string | undefined },
  path: string,
  matches: RouteMatchIR[],
  problems: Problems,
): PathModifierIR | undefined {
  const types = ['ReplaceFullPath', 'ReplacePrefixMatch'] as const;
  if (!isOneOf(input.type, types)) {
    problems.errors.push(unsupportedEnum(`${path}.type`, input.type, types));
    return undefined;
  }
  const own = input.type === 'ReplaceFullPath' ? 'replaceFullPath' : 'replacePrefixMatch';
  const other = own === 'replaceFullPath' ? 'replacePrefixMatch' : 'replaceFullPath';
  let ok = true;
  if (input[own] === undefined) {
    problems.errors.push({ field: `${path}.${own}`, message: `is required when type is ${input.type}` });
    ok = false;
  }
  if (input[other] !== undefined) {
    problems.errors.push({
      field: `${path}.${other}`,
      message: `must not be set when type is ${input.type}`,
    });
    ok = false;
  }
  if (input.type === 'ReplacePrefixMatch') {
    const only = matches.length === 1 ? matches[0] : undefined;
    if (only?.path.type !== 'PathPrefix') {
      const found =
        matches.length === 1 ? `its match is of type ${only?.path.type}` : `it has ${matches.length} matches`;
      problems.errors.push({
        field: `${path}.type`,
        message: `ReplacePrefixMatch needs the rule to have exactly one match, of type PathPrefix, but ${found}; use ReplaceFullPath or a single PathPrefix match`,
      });
      ok = false;
    }
  }
  if (!ok) return undefined;
  return input.type === 'ReplaceFullPath'
    ? { type: 'ReplaceFullPath', replaceFullPath: input.replaceFullPath ?? '' }
    : { type: 'ReplacePrefixMatch', replacePrefixMatch: input.replacePrefixMatch ?? '' };
}

function translateBackendRef(
  ref: BackendObjectReferenceInput,
  path: string,
  ns: string,
  problems: Problems,
): BackendRefIR {
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'Service';
  if (group === '' && kind === 'Service' && ref.port === undefined)
    problems.errors.push({
      field: `${path}.port`,
      message: `is required when referencing a Service (Service ${ref.namespace ?? ns}/${ref.name})`,
    });
  return {
    ref: { group, kind, namespace: ref.namespace ?? ns, name: ref.name },
    ...(ref.port !== undefined ? { port: ref.port } : {}),
    weight: 1,
    filters: [],
  };
}

function unsupportedEnum(
  field: string,
  value: string | number,
  allowed: ReadonlyArray<string | number>,
): FieldError {
  return {
    field,
    message: `${JSON.stringify(value)} is not supported; use one of ${allowed.join(', ')}`,
    reason: Reason.UnsupportedValue,
  };
}

function isOneOf<T extends string>(value: string, allowed: readonly T[]): value is T {
  return (allowed as readonly string[]).includes(value);
}
