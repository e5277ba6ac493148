// HTTPRoute rules → Envoy routes, virtual hosts and RouteConfigurations: matches, filters,
// backend splits, timeouts, and the Gateway API precedence that orders routes inside a virtual host.

import type {
  HeaderMatchIR,
  HeaderModifierIR,
  HTTPRouteFilterIR,
  HTTPRouteRuleIR,
  ListenerProtocol,
  PathMatchIR,
  QueryParamMatchIR,
  ResourceId,
  RouteMatchIR,
} from '../ir/types.ts';
import { Reason } from '../ir/types.ts';
import { cmp, type FieldProblem } from './status.ts';
import { type BuiltCluster, type Json, type JsonObject, type RouteTweaks, TypeUrl } from './types.ts';

/**
 * Weighted share of a backendRef that did not resolve. No cluster carries this name (ours all
 * contain `_`), so Envoy answers `cluster_not_found_response_code`, set to 500 as the Gateway API
 * requires for that share of the traffic.
 */
export const INVALID_BACKEND_CLUSTER = 'invalid-backend';

const DEFAULT_MATCH: RouteMatchIR = {
  path: { type: 'PathPrefix', value: '/' },
  headers: [],
  queryParams: [],
};

const REDIRECT_CODES: Record<number, string> = {
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  307: 'TEMPORARY_REDIRECT',
  308: 'PERMANENT_REDIRECT',
};

const WELL_KNOWN_PORTS: Record<string, number> = { http: 80, https: 443 };

/** One backendRef of a rule after resolution. */
export interface RouteBackend {
  weight: number;
  /** Absent when the reference did not resolve: its share of traffic answers 500. */
  cluster?: BuiltCluster;
  /** backendRef-level filters. */
  filters: HTTPRouteFilterIR[];
  /** `spec.rules[i].backendRefs[j]`. */
  field: string;
}

export interface RuleInput {
  route: ResourceId;
  ruleIndex: number;
  rule: HTTPRouteRuleIR;
  backends: RouteBackend[];
  /** Cluster of each resolved RequestMirror, by index in `rule.filters`. */
  mirrors: Map<number, BuiltCluster>;
}

/** The listener a route is served behind; redirects default to its scheme and port. */
export interface ListenerContext {
  port: number;
  protocol: ListenerProtocol;
}

/** Gateway API match precedence, most significant first. */
export interface Precedence {
  /** Exact 3 > RegularExpression 2 > PathPrefix 1 (where regular expressions go is ours to choose). */
  pathRank: number;
  pathLength: number;
  hasMethod: boolean;
  headers: number;
  queryParams: number;
  /** `namespace/name`: creation time is not in the IR, so the name breaks ties. */
  route: string;
  rule: number;
  match: number;
}

export interface RouteEntry {
  /** Unique per route, rule and match; identical entries reached through two listeners share it. */
  name: string;
  precedence: Precedence;
  route: JsonObject;
  /** Every cluster the entry sends to, mirrors included. */
  clusters: BuiltCluster[];
}

/** Negative when `a` must come first in a virtual host. */
export function comparePrecedence(a: Precedence, b: Precedence): number {
  return (
    b.pathRank - a.pathRank ||
    b.pathLength - a.pathLength ||
    Number(b.hasMethod) - Number(a.hasMethod) ||
    b.headers - a.headers ||
    b.queryParams - a.queryParams ||
    cmp(a.route, b.route) ||
    a.rule - b.rule ||
    a.match - b.match
  );
}

/** One Envoy route per match of the rule (the default match is PathPrefix `/`). */
export function buildRuleRoutes(
  input: RuleInput,
  listener: ListenerContext,
  problems: FieldProblem[],
): RouteEntry[] {
  const matches = input.rule.matches.length > 0 ? input.rule.matches : [DEFAULT_MATCH];
  const routeKey = `${input.route.namespace}/${input.route.name}`;
  return matches.map((match, matchIndex) => {
    const name = `httproute/${routeKey}/rule/${input.ruleIndex}/match/${matchIndex}`;
    const { route, clusters } = buildRoute(name, match, input, listener, problems);
    return { name, precedence: precedenceOf(match, routeKey, input.ruleIndex, matchIndex), route, clusters };
  });
}

function precedenceOf(match: RouteMatchIR, route: string, rule: number, index: number): Precedence {
  const rank = { Exact: 3, RegularExpression: 2, PathPrefix: 1 }[match.path.type];
  const pathLength =
    match.path.type === 'PathPrefix' ? trimTrailingSlashes(match.path.value).length : match.path.value.length;
  return {
    pathRank: rank,
    pathLength,
    hasMethod: match.method !== undefined,
    headers: uniqueByName(match.headers, true).length,
    queryParams: uniqueByName(match.queryParams, false).length,
    route,
    rule,
    match: index,
  };
}

// ---------------------------------------------------------------------------------------------
// Matching

export function routeMatch(match: RouteMatchIR): JsonObject {
  const out: JsonObject = pathMatch(match.path);
  const headers: JsonObject[] = uniqueByName(match.headers, true)
    .map((h) => ({ name: h.name.toLowerCase(), string_match: stringMatch(h) }))
    .sort((a, b) => cmp(String(a.name), String(b.name)));
  if (match.method !== undefined) headers.unshift({ name: ':method', string_match: { exact: match.method } });
  if (headers.length > 0) out.headers = headers;
  const query = uniqueByName(match.queryParams, false)
    .map((q) => ({ name: q.name, string_match: stringMatch(q) }))
    .sort((a, b) => cmp(a.name, b.name));
  if (query.length > 0) out.query_parameters = query;
  return out;
}

function pathMatch(path: PathMatchIR): JsonObject {
  switch (path.type) {
    case 'Exact':
      return { path: path.value };
    case 'RegularExpression':
      return { safe_regex: { regex: path.value } };
    case 'PathPrefix': {
      // Gateway API prefixes match whole path elements (`/foo` matches `/foo/bar`, not `/foobar`),
      // which is `path_separated_prefix`; it rejects a trailing `/`, which the Gateway API ignores.
      const prefix = trimTrailingSlashes(path.value);
      return prefix === '' ? { prefix: '/' } : { path_separated_prefix: prefix };
    }
  }
}

function stringMatch(m: HeaderMatchIR | QueryParamMatchIR): JsonObject {
  return m.type === 'Exact' ? { exact: m.value } : { safe_regex: { regex: m.value } };
}

/** The Gateway API honours only the first match per name (header names case-insensitively). */
function uniqueByName<T extends { name: string }>(list: T[], caseInsensitive: boolean): T[] {
  const seen = new Set<string>();
  return list.filter((m) => {
    const key = caseInsensitive ? m.name.toLowerCase() : m.name;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// One route

interface HeaderOps {
  requestAdd: JsonObject[];
  requestRemove: string[];
  responseAdd: JsonObject[];
  responseRemove: string[];
}

function emptyOps(): HeaderOps {
  return { requestAdd: [], requestRemove: [], responseAdd: [], responseRemove: [] };
}

function buildRoute(
  name: string,
  match: RouteMatchIR,
  input: RuleInput,
  listener: ListenerContext,
  problems: FieldProblem[],
): { route: JsonObject; clusters: BuiltCluster[] } {
  const ruleField = `spec.rules[${input.ruleIndex}]`;
  const ops = emptyOps();
  let redirect: Extract<HTTPRouteFilterIR, { type: 'RequestRedirect' }> | undefined;
  let rewrite: Extract<HTTPRouteFilterIR, { type: 'URLRewrite' }> | undefined;
  const mirrors: BuiltCluster[] = [];
  const mirrorPercents: Array<number | undefined> = [];
  input.rule.filters.forEach((filter, k) => {
    switch (filter.type) {
      case 'RequestHeaderModifier':
        addHeaderOps(ops, filter.requestHeaderModifier, 'request');
        break;
      case 'ResponseHeaderModifier':
        addHeaderOps(ops, filter.responseHeaderModifier, 'response');
        break;
      case 'RequestRedirect':
        redirect ??= filter;
        break;
      case 'URLRewrite':
        rewrite ??= filter;
        break;
      case 'RequestMirror': {
        const cluster = input.mirrors.get(k);
        if (cluster !== undefined) {
          mirrors.push(cluster);
          mirrorPercents.push(filter.requestMirror.percent);
        }
        break;
      }
    }
  });

  const route: JsonObject = { name, match: routeMatch(match) };
  const clusters: BuiltCluster[] = [];
  let typedPerFilterConfig: JsonObject | undefined;
  if (redirect !== undefined) {
    route.redirect = redirectAction(redirect.requestRedirect, match.path, listener, problems, ruleField);
  } else {
    const valid = input.backends.filter((b): b is ResolvedBackend => b.cluster !== undefined && b.weight > 0);
    const invalidWeight = input.backends
      .filter((b) => b.cluster === undefined)
      .reduce((sum, b) => sum + Math.max(0, b.weight), 0);
    if (valid.length === 0) {
      // No backend can take the traffic (none resolved, or every weight is 0): the Gateway API
      // requires a 500 for all requests this rule matches.
      route.direct_response = { status: 500 };
    } else {
      const built = routeAction(valid, invalidWeight, match, rewrite, ops, input, problems);
      const action = built.action;
      typedPerFilterConfig = built.typedPerFilterConfig;
      const timeout = ruleTimeout(input.rule, ruleField, problems);
      if (timeout !== undefined) action.timeout = timeout;
      if (mirrors.length > 0) {
        action.request_mirror_policies = mirrors.map((m, i) => mirrorPolicy(m, mirrorPercents[i]));
      }
      route.route = action;
      for (const b of valid) clusters.push(b.cluster);
      clusters.push(...mirrors);
    }
  }
  if (ops.requestAdd.length > 0) route.request_headers_to_add = ops.requestAdd;
  if (ops.requestRemove.length > 0) route.request_headers_to_remove = ops.requestRemove;
  if (ops.responseAdd.length > 0) route.response_headers_to_add = ops.responseAdd;
  if (ops.responseRemove.length > 0) route.response_headers_to_remove = ops.responseRemove;
  if (typedPerFilterConfig !== undefined) route.typed_per_filter_config = typedPerFilterConfig;
  return { route, clusters };
}

function addHeaderOps(ops: HeaderOps, m: HeaderModifierIR, direction: 'request' | 'response'): void {
  const add = direction === 'request' ? ops.requestAdd : ops.responseAdd;
  const remove = direction === 'request' ? ops.requestRemove : ops.responseRemove;
  add.push(
    ...headerValues(m.set, 'OVERWRITE_IF_EXISTS_OR_ADD'),
    ...headerValues(m.add, 'APPEND_IF_EXISTS_OR_ADD'),
  );
  remove.push(...m.remove);
}

function headerValues(headers: Array<{ name: string; value: string }>, action: string): JsonObject[] {
  return headers.map((h) => ({ header: { key: h.name, value: h.value }, append_action: action }));
}

/** backendRef filters: header modifiers are programmed, anything else is reported and left out. */
function backendFilterOps(backend: RouteBackend, problems: FieldProblem[]): HeaderOps {
  const ops = emptyOps();
  backend.filters.forEach((f, k) => {
    if (f.type === 'RequestHeaderModifier') addHeaderOps(ops, f.requestHeaderModifier, 'request');
    else if (f.type === 'ResponseHeaderModifier') addHeaderOps(ops, f.responseHeaderModifier, 'response');
    else {
      problems.push({
        reason: Reason.UnsupportedValue,
        field: `${backend.field}.filters[${k}]`,
        message: `${f.type} is not supported on a backendRef (only header modifiers are); not applied`,
      });
    }
  });
  return ops;
}

type ResolvedBackend = RouteBackend & { cluster: BuiltCluster };

function routeAction(
  valid: ResolvedBackend[],
  invalidWeight: number,
  match: RouteMatchIR,
  rewrite: Extract<HTTPRouteFilterIR, { type: 'URLRewrite' }> | undefined,
  ops: HeaderOps,
  input: RuleInput,
  problems: FieldProblem[],
): { action: JsonObject; typedPerFilterConfig?: JsonObject } {
  const ruleField = `spec.rules[${input.ruleIndex}]`;
  const action: JsonObject = {};
  let typedPerFilterConfig: JsonObject | undefined;
  const first = valid[0];
  let tweaks: RouteTweaks;
  if (valid.length === 1 && invalidWeight === 0 && first !== undefined) {
    action.cluster = first.cluster.clusterName;
    tweaks = first.cluster.route;
    const backendOps = backendFilterOps(first, problems);
    ops.requestAdd.push(...backendOps.requestAdd);
    ops.requestRemove.push(...backendOps.requestRemove);
    ops.responseAdd.push(...backendOps.responseAdd);
    ops.responseRemove.push(...backendOps.responseRemove);
    // Backend needs go last so they win over the route's own header filters.
    ops.requestAdd.push(...headerValues(tweaks.requestHeadersToAdd ?? [], 'OVERWRITE_IF_EXISTS_OR_ADD'));
    ops.requestRemove.push(...(tweaks.requestHeadersToRemove ?? []));
    typedPerFilterConfig = tweaks.typedPerFilterConfig;
  } else {
    const clusters: Json[] = valid.map((b) => clusterWeight(b, problems));
    if (invalidWeight > 0) {
      clusters.push({ name: INVALID_BACKEND_CLUSTER, weight: invalidWeight });
    }
    action.weighted_clusters = { clusters };
    if (invalidWeight > 0) action.cluster_not_found_response_code = 'INTERNAL_SERVER_ERROR';
    tweaks = sharedTweaks(valid, ruleField, problems);
  }

  const path = pathRewrite(match, rewrite, tweaks, ruleField, problems);
  Object.assign(action, path);

  const filterHost = rewrite?.urlRewrite.hostname;
  if (tweaks.hostRewrite !== undefined) {
    action.host_rewrite_literal = tweaks.hostRewrite;
    if (filterHost !== undefined && filterHost !== tweaks.hostRewrite) {
      problems.push({
        reason: Reason.UnsupportedValue,
        field: `${ruleField}.filters`,
        message: `URLRewrite hostname ${filterHost} not applied: the backend requires host ${tweaks.hostRewrite}`,
      });
    }
  } else if (filterHost !== undefined) {
    action.host_rewrite_literal = filterHost;
  } else if (tweaks.autoHostRewrite === true) {
    action.auto_host_rewrite = true;
  }
  return typedPerFilterConfig === undefined ? { action } : { action, typedPerFilterConfig };
}

/** Per-backend settings a weighted split can carry on its ClusterWeight. */
function clusterWeight(backend: ResolvedBackend, problems: FieldProblem[]): JsonObject {
  const { cluster } = backend;
  const tweaks = cluster.route;
  const ops = backendFilterOps(backend, problems);
  ops.requestAdd.push(...headerValues(tweaks.requestHeadersToAdd ?? [], 'OVERWRITE_IF_EXISTS_OR_ADD'));
  ops.requestRemove.push(...(tweaks.requestHeadersToRemove ?? []));
  const out: JsonObject = { name: cluster.clusterName, weight: backend.weight };
  if (ops.requestAdd.length > 0) out.request_headers_to_add = ops.requestAdd;
  if (ops.requestRemove.length > 0) out.request_headers_to_remove = ops.requestRemove;
  if (ops.responseAdd.length > 0) out.response_headers_to_add = ops.responseAdd;
  if (ops.responseRemove.length > 0) out.response_headers_to_remove = ops.responseRemove;
  if (tweaks.hostRewrite !== undefined) out.host_rewrite_literal = tweaks.hostRewrite;
  if (tweaks.typedPerFilterConfig !== undefined) out.typed_per_filter_config = tweaks.typedPerFilterConfig;
  return out;
}

/**
 * Settings a ClusterWeight cannot carry (path rewrites, auto host rewrite) go on the route when
 * every backend of the split wants the same; otherwise they are reported and left out.
 */
function sharedTweaks(valid: ResolvedBackend[], ruleField: string, problems: FieldProblem[]): RouteTweaks {
  const agreed = <K extends 'pathRewrite' | 'pathPrefix' | 'autoHostRewrite'>(key: K): RouteTweaks[K] => {
    const values = [...new Set(valid.map((b) => b.cluster.route[key]))];
    if (values.length === 1) return values[0];
    problems.push({
      reason: Reason.UnsupportedValue,
      field: `${ruleField}.backendRefs`,
      message: `the backends of this weighted split need different ${key} settings, which Envoy cannot apply per backend; not applied`,
    });
    return undefined;
  };
  const out: RouteTweaks = {};
  const pathRewrite = agreed('pathRewrite');
  if (pathRewrite !== undefined) out.pathRewrite = pathRewrite;
  const pathPrefix = agreed('pathPrefix');
  if (pathPrefix !== undefined) out.pathPrefix = pathPrefix;
  const autoHostRewrite = agreed('autoHostRewrite');
  if (autoHostRewrite !== undefined) out.autoHostRewrite = autoHostRewrite;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Path rewrites

/**
 * The rewrite fields of a route action. Precedence: the backend's full path (`pathRewrite`, an AI
 * provider's endpoint) over the rule's URLRewrite path. The backend's `pathPrefix` goes in front of
 * the URLRewrite result; without a URLRewrite it replaces the prefix a PathPrefix match matched,
 * and goes in front of the path for other matches.
 */
function pathRewrite(
  match: RouteMatchIR,
  rewrite: Extract<HTTPRouteFilterIR, { type: 'URLRewrite' }> | undefined,
  tweaks: RouteTweaks,
  ruleField: string,
  problems: FieldProblem[],
): JsonObject {
  const filterPath = rewrite?.urlRewrite.path;
  if (tweaks.pathRewrite !== undefined) {
    if (filterPath !== undefined) {
      problems.push({
        reason: Reason.UnsupportedValue,
        field: `${ruleField}.filters`,
        message: `URLRewrite path not applied: the backend requires path ${tweaks.pathRewrite}`,
      });
    }
    return fullPathRewrite(tweaks.pathRewrite, '');
  }
  const prepend = tweaks.pathPrefix ?? '';
  if (filterPath?.type === 'ReplaceFullPath') return fullPathRewrite(filterPath.replaceFullPath, prepend);
  if (filterPath?.type === 'ReplacePrefixMatch') {
    const out = replacePrefixMatch(match.path, filterPath.replacePrefixMatch, prepend);
    if (out !== undefined) return out;
    problems.push({
      reason: Reason.UnsupportedValue,
      field: `${ruleField}.filters`,
      message: 'URLRewrite ReplacePrefixMatch needs a PathPrefix or Exact path match; not applied',
    });
  }
  const pre = trimTrailingSlashes(prepend);
  if (pre === '') return {};
  // The schema prefix stands in for the prefix the route matched, so `/anthropic/messages` under a
  // `/anthropic` match reaches the provider as `/v1/messages`; other matches get it in front.
  if (match.path.type === 'PathPrefix' && filterPath === undefined) {
    return replacePrefixMatch(match.path, '', pre) ?? {};
  }
  return { regex_rewrite: { pattern: { regex: '^/' }, substitution: `${escapeSubstitution(pre)}/` } };
}

function fullPathRewrite(path: string, prepend: string): JsonObject {
  const full = `${trimTrailingSlashes(prepend)}${path.startsWith('/') ? path : `/${path}`}`;
  // regex_rewrite works on the path without the query string, so the query survives.
  return { regex_rewrite: { pattern: { regex: '^/.*$' }, substitution: escapeSubstitution(full) } };
}

/**
 * Gateway API ReplacePrefixMatch: the matched prefix is replaced element-wise, so prefix `/foo`
 * replaced by `/` turns `/foo/bar` into `/bar` (not `//bar`) and `/foo` into `/`. `prepend` is put
 * in front of the replacement. Undefined when the match type cannot express it.
 */
export function replacePrefixMatch(
  path: PathMatchIR,
  replacement: string,
  prepend = '',
): JsonObject | undefined {
  const rep = replacement === '' || replacement.startsWith('/') ? replacement : `/${replacement}`;
  const target = trimTrailingSlashes(`${trimTrailingSlashes(prepend)}${rep}`);
  if (path.type === 'Exact') return { prefix_rewrite: target === '' ? '/' : target };
  if (path.type !== 'PathPrefix') return undefined;
  const prefix = trimTrailingSlashes(path.value);
  if (target === '') {
    if (prefix === '') return {};
    // prefix_rewrite "/" would leave `//bar` (envoyproxy/envoy#26055); a regex eats the separator.
    return { regex_rewrite: { pattern: { regex: `^${escapeRegex(prefix)}/*` }, substitution: '/' } };
  }
  // Under a `/` match Envoy swaps only the leading slash, so the replacement must keep one.
  return { prefix_rewrite: prefix === '' ? `${target}/` : target };
}

function trimTrailingSlashes(value: string): string {
  return value.replace(/\/+$/, '');
}

function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** RE2 substitutions treat `\` as the escape for capture groups. */
function escapeSubstitution(value: string): string {
  return value.replaceAll('\\', '\\\\');
}

// ---------------------------------------------------------------------------------------------
// Redirects, mirrors, timeouts

function redirectAction(
  redirect: Extract<HTTPRouteFilterIR, { type: 'RequestRedirect' }>['requestRedirect'],
  path: PathMatchIR,
  listener: ListenerContext,
  problems: FieldProblem[],
  ruleField: string,
): JsonObject {
  const out: JsonObject = {};
  if (redirect.scheme !== undefined) out.scheme_redirect = redirect.scheme;
  if (redirect.hostname !== undefined) out.host_redirect = redirect.hostname;
  // Gateway API: without a port, a new scheme implies its well-known port, otherwise the listener's.
  // The Location carries no port when it is the scheme's default; strip_any_host_port already
  // removed the one the client sent.
  const scheme = redirect.scheme ?? (listener.protocol === 'HTTPS' ? 'https' : 'http');
  const port =
    redirect.port ?? (redirect.scheme !== undefined ? WELL_KNOWN_PORTS[redirect.scheme] : listener.port);
  if (port !== undefined && port !== WELL_KNOWN_PORTS[scheme]) out.port_redirect = port;
  if (redirect.path?.type === 'ReplaceFullPath') {
    out.path_redirect = redirect.path.replaceFullPath;
  } else if (redirect.path?.type === 'ReplacePrefixMatch') {
    const rewrite = replacePrefixMatch(path, redirect.path.replacePrefixMatch);
    if (rewrite !== undefined) Object.assign(out, rewrite);
    else {
      problems.push({
        reason: Reason.UnsupportedValue,
        field: `${ruleField}.filters`,
        message: 'RequestRedirect ReplacePrefixMatch needs a PathPrefix or Exact path match; path kept',
      });
    }
  }
  out.response_code = REDIRECT_CODES[redirect.statusCode] ?? 'FOUND';
  return out;
}

function mirrorPolicy(cluster: BuiltCluster, percent: number | undefined): JsonObject {
  const policy: JsonObject = { cluster: cluster.clusterName };
  if (percent !== undefined && percent < 100) {
    policy.runtime_fraction = { default_value: fractionalPercent(Math.max(0, percent)) };
  }
  return policy;
}

/**
 * A FractionalPercent for a percentage. Its numerator is an integer (uint32): a share such as
 * 1/3 of a Gateway API `fraction` (33.3333%) is expressed in parts per million instead.
 */
export function fractionalPercent(percent: number): JsonObject {
  return Number.isInteger(percent)
    ? { numerator: percent, denominator: 'HUNDRED' }
    : { numerator: Math.round(percent * 10_000), denominator: 'MILLION' };
}

/**
 * The route `timeout`, as Envoy Gateway sets it: `backendRequest` when given (the IR has no
 * retries, so one backend attempt is the whole upstream exchange and the Gateway API requires it
 * to be ≤ `request`), else `request`. Unset leaves Envoy's default of 15s; `0s` disables it.
 */
function ruleTimeout(rule: HTTPRouteRuleIR, ruleField: string, problems: FieldProblem[]): string | undefined {
  const timeouts = rule.timeouts;
  if (timeouts === undefined) return undefined;
  const [field, value] =
    timeouts.backendRequest !== undefined
      ? ['backendRequest', timeouts.backendRequest]
      : ['request', timeouts.request];
  if (value === undefined) return undefined;
  const duration = protoDuration(value);
  if (duration === undefined) {
    problems.push({
      reason: Reason.UnsupportedValue,
      field: `${ruleField}.timeouts.${field}`,
      message: `${value} is not a Gateway API duration (e.g. 10s, 1m30s, 500ms); not applied`,
    });
  }
  return duration;
}

/** Gateway API duration (`1h30m`, `500ms`) → proto3 JSON Duration (`5400s`, `0.500s`). */
export function protoDuration(value: string): string | undefined {
  if (!/^([0-9]{1,5}(h|m|s|ms)){1,4}$/.test(value)) return undefined;
  const unitMs: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/([0-9]+)(ms|h|m|s)/g)) {
    total += Number(amount) * (unitMs[unit ?? 's'] ?? 0);
  }
  const seconds = Math.floor(total / 1000);
  const ms = total % 1000;
  return ms === 0 ? `${seconds}s` : `${seconds}.${String(ms).padStart(3, '0')}s`;
}

// ---------------------------------------------------------------------------------------------
// Virtual hosts and route configurations

/**
 * A RouteConfiguration from the entries served on each domain. Each domain's routes are ordered by
 * precedence; domains with identical route lists share one virtual host (Envoy rejects a domain
 * that appears twice in one RouteConfiguration, so a domain is never split).
 */
export function buildRouteConfiguration(name: string, byDomain: Map<string, RouteEntry[]>): JsonObject {
  const groups = new Map<string, { domains: string[]; routes: RouteEntry[] }>();
  for (const domain of [...byDomain.keys()].sort()) {
    const unique = new Map<string, RouteEntry>();
    for (const entry of byDomain.get(domain) ?? [])
      if (!unique.has(entry.name)) unique.set(entry.name, entry);
    const routes = [...unique.values()].sort((a, b) => comparePrecedence(a.precedence, b.precedence));
    const key = routes.map((r) => r.name).join('\n');
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { domains: [domain], routes });
    else group.domains.push(domain);
  }
  const virtualHosts = [...groups.values()]
    .map((g) => ({ name: g.domains[0] ?? '*', domains: g.domains, routes: g.routes.map((r) => r.route) }))
    .sort((a, b) => cmp(a.name, b.name));
  return {
    '@type': TypeUrl.RouteConfiguration,
    name,
    virtual_hosts: virtualHosts,
    // The 500 share of a partly invalid split names a cluster that does not exist on purpose. RDS
    // never validates cluster names, but a static bootstrap with the routes inlined would.
    validate_clusters: false,
  };
}
