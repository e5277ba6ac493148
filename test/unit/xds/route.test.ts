import { describe, expect, it } from 'vitest';
import type {
  HTTPRouteFilterIR,
  HTTPRouteRuleIR,
  PathMatchIR,
  RouteMatchIR,
} from '../../../shared/ir/types.ts';
import {
  buildRouteConfiguration,
  buildRuleRoutes,
  comparePrecedence,
  INVALID_BACKEND_CLUSTER,
  type ListenerContext,
  protoDuration,
  type RouteBackend,
  type RouteEntry,
  replacePrefixMatch,
  routeMatch,
} from '../../../shared/xds/route.ts';
import type { FieldProblem } from '../../../shared/xds/status.ts';
import type { BuiltCluster, JsonObject, RouteTweaks } from '../../../shared/xds/types.ts';

const HTTP_80: ListenerContext = { port: 80, protocol: 'HTTP' };
const ROUTE_ID = { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'default', name: 'r' };

function cluster(name: string, route: RouteTweaks = {}): BuiltCluster {
  return { clusterName: name, clusters: [], endpoints: [], route, listenerHttpFilters: [] };
}

function backend(c: BuiltCluster | undefined, weight = 1, filters: HTTPRouteFilterIR[] = []): RouteBackend {
  const b: RouteBackend = { weight, filters, field: 'spec.rules[0].backendRefs[0]' };
  if (c !== undefined) b.cluster = c;
  return b;
}

function match(path: PathMatchIR, extra: Partial<RouteMatchIR> = {}): RouteMatchIR {
  return { path, headers: [], queryParams: [], ...extra };
}

function build(
  rule: Partial<HTTPRouteRuleIR>,
  backends: RouteBackend[],
  options: { listener?: ListenerContext; mirrors?: Map<number, BuiltCluster>; name?: string } = {},
): { routes: JsonObject[]; entries: RouteEntry[]; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const entries = buildRuleRoutes(
    {
      route: { ...ROUTE_ID, name: options.name ?? 'r' },
      ruleIndex: 0,
      rule: { matches: [], filters: [], backendRefs: [], ...rule },
      backends,
      mirrors: options.mirrors ?? new Map(),
    },
    options.listener ?? HTTP_80,
    problems,
  );
  return { routes: entries.map((e) => e.route), entries, problems };
}

function only(routes: JsonObject[]): JsonObject {
  expect(routes).toHaveLength(1);
  return routes[0] as JsonObject;
}

describe('route matches', () => {
  it('maps Exact, PathPrefix and RegularExpression paths', () => {
    // Act
    const exact = routeMatch(match({ type: 'Exact', value: '/a' }));
    const root = routeMatch(match({ type: 'PathPrefix', value: '/' }));
    const prefix = routeMatch(match({ type: 'PathPrefix', value: '/foo/' }));
    const regex = routeMatch(match({ type: 'RegularExpression', value: '/v[0-9]+/.*' }));

    // Assess
    expect(exact).toEqual({ path: '/a' });
    expect(root).toEqual({ prefix: '/' });
    expect(prefix).toEqual({ path_separated_prefix: '/foo' });
    expect(regex).toEqual({ safe_regex: { regex: '/v[0-9]+/.*' } });
  });

  it('maps headers, query parameters and method, keeping the first match per name', () => {
    // Prepare
    const m = match(
      { type: 'PathPrefix', value: '/' },
      {
        method: 'POST',
        headers: [
          { type: 'Exact', name: 'X-B', value: 'b' },
          { type: 'RegularExpression', name: 'x-a', value: 'a.*' },
          { type: 'Exact', name: 'x-b', value: 'ignored' },
        ],
        queryParams: [{ type: 'Exact', name: 'q', value: '1' }],
      },
    );

    // Act
    const out = routeMatch(m);

    // Assess
    expect(out).toEqual({
      prefix: '/',
      headers: [
        { name: ':method', string_match: { exact: 'POST' } },
        { name: 'x-a', string_match: { safe_regex: { regex: 'a.*' } } },
        { name: 'x-b', string_match: { exact: 'b' } },
      ],
      query_parameters: [{ name: 'q', string_match: { exact: '1' } }],
    });
  });
});

describe('precedence', () => {
  function entries(specs: Array<{ name: string; match: RouteMatchIR }>): string[] {
    const all = specs.flatMap(
      (s) => build({ matches: [s.match] }, [backend(cluster('c'))], { name: s.name }).entries,
    );
    const byDomain = new Map([['*', all]]);
    const config = buildRouteConfiguration('route_80', byDomain) as {
      virtual_hosts: Array<{ routes: JsonObject[] }>;
    };
    return (config.virtual_hosts[0]?.routes ?? []).map((r) => String(r.name));
  }

  it('orders exact > regex > longer prefix > method > headers > query params > route name', () => {
    // Prepare
    const specs = [
      { name: 'a-root', match: match({ type: 'PathPrefix', value: '/' }) },
      {
        name: 'b-query',
        match: match(
          { type: 'PathPrefix', value: '/' },
          { queryParams: [{ type: 'Exact', name: 'q', value: '1' }] },
        ),
      },
      {
        name: 'c-headers2',
        match: match(
          { type: 'PathPrefix', value: '/' },
          {
            headers: [
              { type: 'Exact', name: 'a', value: '1' },
              { type: 'Exact', name: 'b', value: '1' },
            ],
          },
        ),
      },
      {
        name: 'd-header1',
        match: match(
          { type: 'PathPrefix', value: '/' },
          { headers: [{ type: 'Exact', name: 'a', value: '1' }] },
        ),
      },
      { name: 'e-method', match: match({ type: 'PathPrefix', value: '/' }, { method: 'GET' }) },
      { name: 'f-short', match: match({ type: 'PathPrefix', value: '/api' }) },
      { name: 'g-long', match: match({ type: 'PathPrefix', value: '/api/v1' }) },
      { name: 'h-regex', match: match({ type: 'RegularExpression', value: '/.*' }) },
      { name: 'i-exact', match: match({ type: 'Exact', value: '/x' }) },
      { name: 'a-root-twin', match: match({ type: 'PathPrefix', value: '/' }) },
    ];

    // Act
    const order = entries(specs);

    // Assess
    expect(order).toEqual([
      'httproute/default/i-exact/rule/0/match/0',
      'httproute/default/h-regex/rule/0/match/0',
      'httproute/default/g-long/rule/0/match/0',
      'httproute/default/f-short/rule/0/match/0',
      'httproute/default/e-method/rule/0/match/0',
      'httproute/default/c-headers2/rule/0/match/0',
      'httproute/default/d-header1/rule/0/match/0',
      'httproute/default/b-query/rule/0/match/0',
      'httproute/default/a-root/rule/0/match/0',
      'httproute/default/a-root-twin/rule/0/match/0',
    ]);
  });

  it('breaks full ties by rule then match order within one route', () => {
    // Prepare
    const base = {
      pathRank: 1,
      pathLength: 0,
      hasMethod: false,
      headers: 0,
      queryParams: 0,
      route: 'default/r',
    };

    // Act
    const byRule = comparePrecedence({ ...base, rule: 0, match: 1 }, { ...base, rule: 1, match: 0 });
    const byMatch = comparePrecedence({ ...base, rule: 1, match: 1 }, { ...base, rule: 1, match: 0 });

    // Assess
    expect(byRule).toBeLessThan(0);
    expect(byMatch).toBeGreaterThan(0);
  });
});

describe('virtual hosts', () => {
  it('gives every domain one virtual host and merges domains with identical routes', () => {
    // Prepare
    const a = build({}, [backend(cluster('a'))], { name: 'a' }).entries;
    const b = build({}, [backend(cluster('b'))], { name: 'b' }).entries;
    const byDomain = new Map([
      ['x.example.com', [...a]],
      ['y.example.com', [...a, ...a]],
      ['*', [...a, ...b]],
    ]);

    // Act
    const config = buildRouteConfiguration('route_80', byDomain);

    // Assess
    const hosts = config.virtual_hosts as Array<{ name: string; domains: string[]; routes: JsonObject[] }>;
    expect(hosts.map((h) => [h.name, h.domains, h.routes.length])).toEqual([
      ['*', ['*'], 2],
      ['x.example.com', ['x.example.com', 'y.example.com'], 1],
    ]);
    expect(config.validate_clusters).toBe(false);
  });
});

describe('backends', () => {
  it('sends a single backend to its cluster and applies its route tweaks', () => {
    // Prepare
    const c = cluster('backend_default_ai', {
      hostRewrite: 'api.openai.com',
      pathRewrite: '/v1/chat/completions',
      requestHeadersToAdd: [{ name: 'x-backend', value: 'ai' }],
      requestHeadersToRemove: ['x-drop'],
      typedPerFilterConfig: { 'envoy.filters.http.x': { '@type': 'type.googleapis.com/x' } },
    });

    // Act
    const route = only(build({}, [backend(c)]).routes);

    // Assess
    expect(route.route).toEqual({
      cluster: 'backend_default_ai',
      regex_rewrite: { pattern: { regex: '^/.*$' }, substitution: '/v1/chat/completions' },
      host_rewrite_literal: 'api.openai.com',
    });
    expect(route.request_headers_to_add).toEqual([
      { header: { key: 'x-backend', value: 'ai' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
    ]);
    expect(route.request_headers_to_remove).toEqual(['x-drop']);
    expect(route.typed_per_filter_config).toEqual({
      'envoy.filters.http.x': { '@type': 'type.googleapis.com/x' },
    });
  });

  it('sets auto_host_rewrite for a backend that asks for it', () => {
    // Act
    const route = only(build({}, [backend(cluster('c', { autoHostRewrite: true }))]).routes);

    // Assess
    expect(route.route).toEqual({ cluster: 'c', auto_host_rewrite: true });
  });

  it('lets the backend path prefix replace the prefix a PathPrefix match matched', () => {
    // Prepare
    const c = cluster('c', { pathPrefix: '/v1/' });

    // Act
    const scoped = only(
      build({ matches: [match({ type: 'PathPrefix', value: '/anthropic' })] }, [backend(c)]).routes,
    );
    const root = only(build({}, [backend(c)]).routes);

    // Assess
    expect(scoped.route).toEqual({ cluster: 'c', prefix_rewrite: '/v1' });
    expect(root.route).toEqual({ cluster: 'c', prefix_rewrite: '/v1/' });
  });

  it('puts the backend path prefix in front of an exact or regex path and of a URLRewrite result', () => {
    // Prepare
    const c = cluster('c', { pathPrefix: '/v1' });
    const rewrite: HTTPRouteFilterIR = {
      type: 'URLRewrite',
      urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: '/messages' } },
    };

    // Act
    const exact = only(build({ matches: [match({ type: 'Exact', value: '/chat' })] }, [backend(c)]).routes);
    const full = only(build({ filters: [rewrite] }, [backend(c)]).routes);

    // Assess
    expect(exact.route).toEqual({
      cluster: 'c',
      regex_rewrite: { pattern: { regex: '^/' }, substitution: '/v1/' },
    });
    expect(full.route).toEqual({
      cluster: 'c',
      regex_rewrite: { pattern: { regex: '^/.*$' }, substitution: '/v1/messages' },
    });
  });

  it('splits weighted backends with per-backend headers and host on each ClusterWeight', () => {
    // Prepare
    const headerFilter: HTTPRouteFilterIR = {
      type: 'RequestHeaderModifier',
      requestHeaderModifier: { set: [{ name: 'x-canary', value: 'yes' }], add: [], remove: [] },
    };
    const backends = [
      backend(cluster('a', { hostRewrite: 'a.internal', autoHostRewrite: true })),
      backend(cluster('b', { autoHostRewrite: true }), 3, [headerFilter]),
      backend(cluster('zero'), 0),
    ];

    // Act
    const { routes, problems } = build({}, backends);

    // Assess
    expect(only(routes).route).toEqual({
      weighted_clusters: {
        clusters: [
          { name: 'a', weight: 1, host_rewrite_literal: 'a.internal' },
          {
            name: 'b',
            weight: 3,
            request_headers_to_add: [
              { header: { key: 'x-canary', value: 'yes' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
            ],
          },
        ],
      },
      auto_host_rewrite: true,
    });
    expect(problems).toEqual([]);
  });

  it('reports path tweaks a weighted split cannot apply per backend', () => {
    // Prepare
    const backends = [
      backend(cluster('a', { pathRewrite: '/a' })),
      backend(cluster('b', { pathRewrite: '/b' })),
    ];

    // Act
    const { routes, problems } = build({}, backends);

    // Assess
    expect((only(routes).route as JsonObject).regex_rewrite).toBeUndefined();
    expect(problems).toEqual([
      expect.objectContaining({ reason: 'UnsupportedValue', field: 'spec.rules[0].backendRefs' }),
    ]);
    expect(problems[0]?.message).toContain('pathRewrite');
  });

  it('keeps the share of an unresolved backend as a 500 through a cluster that does not exist', () => {
    // Act
    const route = only(build({}, [backend(cluster('good'), 3), backend(undefined, 1)]).routes);

    // Assess
    expect(route.route).toEqual({
      weighted_clusters: {
        clusters: [
          { name: 'good', weight: 3 },
          { name: INVALID_BACKEND_CLUSTER, weight: 1 },
        ],
      },
      cluster_not_found_response_code: 'INTERNAL_SERVER_ERROR',
    });
  });

  it.each([
    ['every backendRef unresolved', [backend(undefined)]],
    ['every weight 0', [backend(cluster('a'), 0), backend(cluster('b'), 0)]],
    ['no backendRefs at all', []],
  ])('answers 500 when %s', (_label, backends) => {
    // Act
    const { routes, entries } = build({}, backends);

    // Assess
    expect(only(routes).direct_response).toEqual({ status: 500 });
    expect(only(routes).route).toBeUndefined();
    expect(entries[0]?.clusters).toEqual([]);
  });
});

describe('filters', () => {
  it('maps request and response header modifiers to add/remove with the Gateway API append semantics', () => {
    // Prepare
    const filters: HTTPRouteFilterIR[] = [
      {
        type: 'RequestHeaderModifier',
        requestHeaderModifier: {
          set: [{ name: 'x-set', value: '1' }],
          add: [{ name: 'x-add', value: '2' }],
          remove: ['x-remove'],
        },
      },
      {
        type: 'ResponseHeaderModifier',
        responseHeaderModifier: { set: [{ name: 'x-resp', value: '3' }], add: [], remove: ['server'] },
      },
    ];

    // Act
    const route = only(build({ filters }, [backend(cluster('c'))]).routes);

    // Assess
    expect(route.request_headers_to_add).toEqual([
      { header: { key: 'x-set', value: '1' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
      { header: { key: 'x-add', value: '2' }, append_action: 'APPEND_IF_EXISTS_OR_ADD' },
    ]);
    expect(route.request_headers_to_remove).toEqual(['x-remove']);
    expect(route.response_headers_to_add).toEqual([
      { header: { key: 'x-resp', value: '3' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
    ]);
    expect(route.response_headers_to_remove).toEqual(['server']);
  });

  it('maps RequestRedirect to a redirect action and leaves the backends out', () => {
    // Prepare
    const filters: HTTPRouteFilterIR[] = [
      {
        type: 'RequestRedirect',
        requestRedirect: { scheme: 'https', hostname: 'secure.example.com', statusCode: 301 },
      },
    ];

    // Act
    const { routes, entries } = build({ filters }, [backend(cluster('c'))]);

    // Assess
    expect(only(routes).redirect).toEqual({
      scheme_redirect: 'https',
      host_redirect: 'secure.example.com',
      response_code: 'MOVED_PERMANENTLY',
    });
    expect(only(routes).route).toBeUndefined();
    expect(entries[0]?.clusters).toEqual([]);
  });

  it.each([
    [{ statusCode: 302 }, { port: 8080, protocol: 'HTTP' }, { port_redirect: 8080, response_code: 'FOUND' }],
    [{ statusCode: 303, port: 8443 }, HTTP_80, { port_redirect: 8443, response_code: 'SEE_OTHER' }],
    [
      { statusCode: 307, scheme: 'http' },
      { port: 8443, protocol: 'HTTPS' },
      { scheme_redirect: 'http', response_code: 'TEMPORARY_REDIRECT' },
    ],
    [{ statusCode: 308 }, { port: 443, protocol: 'HTTPS' }, { response_code: 'PERMANENT_REDIRECT' }],
  ] as const)(
    'derives the redirect port as the Gateway API asks (%j on %j)',
    (redirect, listener, expected) => {
      // Prepare
      const filters: HTTPRouteFilterIR[] = [{ type: 'RequestRedirect', requestRedirect: { ...redirect } }];

      // Act
      const route = only(build({ filters }, [], { listener: { ...listener } }).routes);

      // Assess
      expect(route.redirect).toEqual(expected);
    },
  );

  it('maps redirect paths: ReplaceFullPath to path_redirect, ReplacePrefixMatch to prefix_rewrite', () => {
    // Prepare
    const full: HTTPRouteFilterIR[] = [
      {
        type: 'RequestRedirect',
        requestRedirect: { statusCode: 302, path: { type: 'ReplaceFullPath', replaceFullPath: '/new' } },
      },
    ];
    const prefix: HTTPRouteFilterIR[] = [
      {
        type: 'RequestRedirect',
        requestRedirect: { statusCode: 302, path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } },
      },
    ];
    const matches = [match({ type: 'PathPrefix', value: '/v1' })];

    // Act
    const fullRoute = only(build({ filters: full, matches }, []).routes);
    const prefixRoute = only(build({ filters: prefix, matches }, []).routes);

    // Assess
    expect((fullRoute.redirect as JsonObject).path_redirect).toBe('/new');
    expect((prefixRoute.redirect as JsonObject).prefix_rewrite).toBe('/v2');
  });

  it('maps URLRewrite hostname and full path', () => {
    // Prepare
    const filters: HTTPRouteFilterIR[] = [
      {
        type: 'URLRewrite',
        urlRewrite: {
          hostname: 'internal.local',
          path: { type: 'ReplaceFullPath', replaceFullPath: '/fixed' },
        },
      },
    ];

    // Act
    const route = only(build({ filters }, [backend(cluster('c'))]).routes);

    // Assess
    expect(route.route).toEqual({
      cluster: 'c',
      regex_rewrite: { pattern: { regex: '^/.*$' }, substitution: '/fixed' },
      host_rewrite_literal: 'internal.local',
    });
  });

  it('lets a backend host requirement win over URLRewrite and says so', () => {
    // Prepare
    const filters: HTTPRouteFilterIR[] = [{ type: 'URLRewrite', urlRewrite: { hostname: 'mine.local' } }];

    // Act
    const { routes, problems } = build({ filters }, [backend(cluster('c', { hostRewrite: 'lambda.aws' }))]);

    // Assess
    expect((only(routes).route as JsonObject).host_rewrite_literal).toBe('lambda.aws');
    expect(problems[0]?.message).toContain('URLRewrite hostname mine.local not applied');
  });

  it('maps RequestMirror to request_mirror_policies with a runtime fraction for percent', () => {
    // Prepare
    const backendRef = {
      ref: { group: '', kind: 'Service', namespace: 'default', name: 'shadow' },
      port: 80,
      weight: 1,
      filters: [],
    };
    const mirrorFilter = (percent?: number): HTTPRouteFilterIR => ({
      type: 'RequestMirror',
      requestMirror: percent === undefined ? { backendRef } : { backendRef, percent },
    });
    const filters = [mirrorFilter(25), mirrorFilter()];
    const mirrors = new Map([
      [0, cluster('shadow')],
      [1, cluster('shadow2')],
    ]);

    // Act
    const { routes, entries } = build({ filters }, [backend(cluster('c'))], { mirrors });

    // Assess
    expect((only(routes).route as JsonObject).request_mirror_policies).toEqual([
      { cluster: 'shadow', runtime_fraction: { default_value: { numerator: 25, denominator: 'HUNDRED' } } },
      { cluster: 'shadow2' },
    ]);
    expect(entries[0]?.clusters.map((c) => c.clusterName)).toEqual(['c', 'shadow', 'shadow2']);
  });

  it('expresses a fractional mirror percent in parts per million, as FractionalPercent needs an integer', () => {
    // Prepare
    const backendRef = {
      ref: { group: '', kind: 'Service', namespace: 'default', name: 'shadow' },
      port: 80,
      weight: 1,
      filters: [],
    };
    const filters: HTTPRouteFilterIR[] = [
      { type: 'RequestMirror', requestMirror: { backendRef, percent: 33.3333 } },
    ];
    const mirrors = new Map([[0, cluster('shadow')]]);

    // Act
    const { routes } = build({ filters }, [backend(cluster('c'))], { mirrors });

    // Assess
    expect((only(routes).route as JsonObject).request_mirror_policies).toEqual([
      {
        cluster: 'shadow',
        runtime_fraction: { default_value: { numerator: 333_333, denominator: 'MILLION' } },
      },
    ]);
  });

  it('reports backendRef filters other than header modifiers', () => {
    // Prepare
    const redirect: HTTPRouteFilterIR = { type: 'RequestRedirect', requestRedirect: { statusCode: 302 } };

    // Act
    const { problems } = build({}, [backend(cluster('c'), 1, [redirect])]);

    // Assess
    expect(problems).toEqual([
      {
        reason: 'UnsupportedValue',
        field: 'spec.rules[0].backendRefs[0].filters[0]',
        message: 'RequestRedirect is not supported on a backendRef (only header modifiers are); not applied',
      },
    ]);
  });
});

describe('ReplacePrefixMatch', () => {
  // The table of the Gateway API HTTPPathModifier documentation, checked against what Envoy does
  // with each output (prefix_rewrite swaps the matched path_separated_prefix).
  function apply(rewrite: JsonObject | undefined, matchPrefix: string, path: string): string {
    if (rewrite === undefined) throw new Error('no rewrite');
    const prefix = matchPrefix.replace(/\/+$/, '');
    if (typeof rewrite.prefix_rewrite === 'string') {
      const matched = prefix === '' ? '/' : prefix;
      return rewrite.prefix_rewrite + path.slice(matched.length);
    }
    const rr = rewrite.regex_rewrite as { pattern: { regex: string }; substitution: string } | undefined;
    if (rr !== undefined) return path.replace(new RegExp(rr.pattern.regex), rr.substitution);
    return path;
  }

  it.each([
    ['/foo/bar', '/foo', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo', '/xyz/', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz/', '/xyz/bar'],
    ['/foo', '/foo', '/xyz', '/xyz'],
    ['/foo/', '/foo', '/xyz', '/xyz/'],
    ['/foo/bar', '/foo', '', '/bar'],
    ['/foo/', '/foo', '', '/'],
    ['/foo', '/foo', '', '/'],
    ['/foo/', '/foo', '/', '/'],
    ['/foo', '/foo', '/', '/'],
    ['/foo/bar', '/foo', '/', '/bar'],
    ['/foo/bar', '/', '/xyz', '/xyz/foo/bar'],
  ])('%s with prefix %s replaced by "%s" becomes %s', (path, prefix, replacement, expected) => {
    // Act
    const rewrite = replacePrefixMatch({ type: 'PathPrefix', value: prefix }, replacement);

    // Assess
    expect(apply(rewrite, prefix, path)).toBe(expected);
  });

  it('uses a regex for a "/" replacement so /foo/bar does not become //bar', () => {
    // Act
    const rewrite = replacePrefixMatch({ type: 'PathPrefix', value: '/foo' }, '/');

    // Assess
    expect(rewrite).toEqual({ regex_rewrite: { pattern: { regex: '^/foo/*' }, substitution: '/' } });
  });

  it('escapes regex metacharacters of the matched prefix', () => {
    // Act
    const rewrite = replacePrefixMatch({ type: 'PathPrefix', value: '/v1.0' }, '');

    // Assess
    expect(rewrite).toEqual({ regex_rewrite: { pattern: { regex: '^/v1\\.0/*' }, substitution: '/' } });
  });

  it('puts a backend path prefix in front of the replacement', () => {
    // Act
    const rewrite = replacePrefixMatch({ type: 'PathPrefix', value: '/api' }, '/', '/openai');

    // Assess
    expect(rewrite).toEqual({ prefix_rewrite: '/openai' });
  });

  it('cannot express a prefix replacement for a regular expression match', () => {
    // Act
    const rewrite = replacePrefixMatch({ type: 'RegularExpression', value: '/a.*' }, '/b');

    // Assess
    expect(rewrite).toBeUndefined();
  });
});

describe('timeouts', () => {
  it.each([
    ['10s', '10s'],
    ['1h30m', '5400s'],
    ['500ms', '0.500s'],
    ['1s250ms', '1.250s'],
    ['0s', '0s'],
    ['10', undefined],
    ['1d', undefined],
  ])('converts Gateway API duration %s to %s', (value, expected) => {
    // Act
    const out = protoDuration(value);

    // Assess
    expect(out).toBe(expected);
  });

  it('uses backendRequest as the route timeout when set, as Envoy Gateway does', () => {
    // Act
    const both = only(
      build({ timeouts: { request: '30s', backendRequest: '10s' } }, [backend(cluster('c'))]).routes,
    );
    const request = only(build({ timeouts: { request: '30s' } }, [backend(cluster('c'))]).routes);
    const none = only(build({}, [backend(cluster('c'))]).routes);

    // Assess
    expect((both.route as JsonObject).timeout).toBe('10s');
    expect((request.route as JsonObject).timeout).toBe('30s');
    expect((none.route as JsonObject).timeout).toBeUndefined();
  });

  it('reports a duration it cannot read', () => {
    // Act
    const { routes, problems } = build({ timeouts: { request: 'soon' } }, [backend(cluster('c'))]);

    // Assess
    expect((only(routes).route as JsonObject).timeout).toBeUndefined();
    expect(problems[0]?.field).toBe('spec.rules[0].timeouts.request');
  });
});
