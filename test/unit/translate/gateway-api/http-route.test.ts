import { describe, expect, it } from 'vitest';
import { translateHTTPRoute } from '../../../../shared/translate/http-route.ts';
import { acceptedSpec, conditionOf, ctx, fixture, manifest, rejection } from './support.ts';

/** An HTTPRoute `default/x` with the given rules (a YAML block list indented by four spaces). */
function route(rules: string, extra = '') {
  return manifest(`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: x, namespace: default }
spec:
  parentRefs: [{ name: gw }]
${extra}
  rules:
${rules}
`);
}

/** A route with one rule made of the given YAML body, indented by six spaces. */
function ruleRoute(body: string) {
  return route(`    - backendRefs: [{ name: svc, port: 80 }]\n${body}`);
}

describe('translateHTTPRoute', () => {
  describe('valid routes', () => {
    it('translates the fixture with every default applied', () => {
      // Prepare
      const obj = fixture('http-route');

      // Act
      const item = translateHTTPRoute(obj, ctx);

      // Assess
      const spec = acceptedSpec(item);
      expect(item.conditions).toHaveLength(1);
      expect(spec.parentRefs).toEqual([
        {
          group: 'gateway.networking.k8s.io',
          kind: 'Gateway',
          namespace: 'infra',
          name: 'edge',
          sectionName: 'https',
        },
        {
          group: 'gateway.networking.k8s.io',
          kind: 'Gateway',
          namespace: 'infra',
          name: 'edge',
          sectionName: 'http',
        },
      ]);
      expect(spec.hostnames).toEqual(['*.shop.example.com', 'shop.example.com']);
      expect(spec.rules).toHaveLength(4);
      const [api, redirect, regex, fallback] = spec.rules;
      expect(api?.name).toBe('api');
      expect(api?.matches).toEqual([
        {
          path: { type: 'PathPrefix', value: '/api' },
          headers: [
            { type: 'Exact', name: 'X-Version', value: 'v2' },
            { type: 'RegularExpression', name: 'X-Canary', value: '^(?i)yes|true$' },
          ],
          queryParams: [{ type: 'Exact', name: 'debug', value: '1' }],
          method: 'GET',
        },
      ]);
      expect(api?.filters).toEqual([
        {
          type: 'RequestHeaderModifier',
          requestHeaderModifier: {
            set: [{ name: 'X-Forwarded-Shop', value: '1' }],
            add: [{ name: 'X-Trace', value: 'on' }],
            remove: ['X-Internal'],
          },
        },
        {
          type: 'URLRewrite',
          urlRewrite: {
            hostname: 'api.internal',
            path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' },
          },
        },
        {
          type: 'RequestMirror',
          requestMirror: {
            backendRef: {
              ref: { group: '', kind: 'Service', namespace: 'web', name: 'shadow' },
              port: 8080,
              weight: 1,
              filters: [],
            },
            percent: 25,
          },
        },
      ]);
      expect(api?.backendRefs).toEqual([
        {
          ref: { group: '', kind: 'Service', namespace: 'web', name: 'api' },
          port: 8080,
          weight: 90,
          filters: [],
        },
        {
          ref: { group: '', kind: 'Service', namespace: 'canary', name: 'api-canary' },
          port: 8080,
          weight: 10,
          filters: [
            {
              type: 'ResponseHeaderModifier',
              responseHeaderModifier: { set: [{ name: 'X-Canary', value: 'true' }], add: [], remove: [] },
            },
          ],
        },
        {
          ref: { group: 'gateway.kgateway.dev', kind: 'Backend', namespace: 'web', name: 'lambda' },
          weight: 1,
          filters: [],
        },
      ]);
      expect(api?.timeouts).toEqual({ request: '10s', backendRequest: '1s500ms' });
      expect(redirect?.filters).toEqual([
        {
          type: 'RequestRedirect',
          requestRedirect: {
            scheme: 'https',
            hostname: 'shop.example.com',
            path: { type: 'ReplaceFullPath', replaceFullPath: '/new' },
            statusCode: 302,
          },
        },
      ]);
      expect(regex?.matches[0]?.path).toEqual({
        type: 'RegularExpression',
        value: '^/items/(?P<id>[0-9]+)$',
      });
      expect(fallback?.matches).toEqual([
        { path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] },
      ]);
    });

    it('gives a route without rules one default rule matching every path', () => {
      const obj = manifest(`
apiVersion: gateway.networking.k8s.io/v1beta1
kind: HTTPRoute
metadata: { name: x }
spec: {}
`);

      const spec = acceptedSpec(translateHTTPRoute(obj, ctx));

      expect(spec).toEqual({
        parentRefs: [],
        hostnames: [],
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] }],
            filters: [],
            backendRefs: [],
          },
        ],
      });
    });

    it('defaults a path match without type or value to PathPrefix "/"', () => {
      const obj = ruleRoute('      matches: [{ path: {} }, { method: POST }]');

      const spec = acceptedSpec(translateHTTPRoute(obj, ctx));

      expect(spec.rules[0]?.matches.map((m) => m.path)).toEqual([
        { type: 'PathPrefix', value: '/' },
        { type: 'PathPrefix', value: '/' },
      ]);
      expect(spec.rules[0]?.matches[1]?.method).toBe('POST');
    });

    it('accepts a request timeout of 0s (disabled) with any backendRequest timeout', () => {
      const obj = ruleRoute('      timeouts: { request: 0s, backendRequest: 1h }');

      const spec = acceptedSpec(translateHTTPRoute(obj, ctx));

      expect(spec.rules[0]?.timeouts).toEqual({ request: '0s', backendRequest: '1h' });
    });

    it('keeps the first of two header matches whose names differ only in case', () => {
      const obj = ruleRoute(`      matches:
        - headers: [{ name: X-Env, value: prod }, { name: x-env, value: dev }]`);

      const spec = acceptedSpec(translateHTTPRoute(obj, ctx));

      expect(spec.rules[0]?.matches[0]?.headers).toEqual([{ type: 'Exact', name: 'X-Env', value: 'prod' }]);
    });

    it('turns a mirror fraction into a percentage with parts-per-million precision', () => {
      const obj = ruleRoute(`      filters:
        - type: RequestMirror
          requestMirror: { backendRef: { name: shadow, port: 80 }, fraction: { numerator: 1, denominator: 3 } }`);

      const spec = acceptedSpec(translateHTTPRoute(obj, ctx));

      expect(spec.rules[0]?.filters[0]).toMatchObject({ requestMirror: { percent: 33.3333 } });
    });

    it('turns a mirror without percent or fraction into a full mirror', () => {
      const obj = ruleRoute(`      filters:
        - type: RequestMirror
          requestMirror: { backendRef: { name: shadow, port: 80 } }`);

      const spec = acceptedSpec(translateHTTPRoute(obj, ctx));

      expect(spec.rules[0]?.filters[0]).toMatchObject({ requestMirror: { percent: 100 } });
    });
  });

  describe('invalid routes', () => {
    it('names the route and the full field path of a missing backend name', () => {
      const obj = route('    - backendRefs: [{ port: 80 }]');

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.reason).toBe('Invalid');
      expect(condition.message).toBe('HTTPRoute default/x: spec.rules[0].backendRefs[0].name: is required');
    });

    it('rejects wrong types and lists every field error in one condition', () => {
      const obj = route(`    - backendRefs: [{ name: svc, port: 80, weight: "1" }]
      matches: { path: /a }`);

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.message).toContain(
        'spec.rules[0].backendRefs[0].weight: Invalid input: expected number',
      );
      expect(condition.message).toContain('spec.rules[0].matches: Invalid input: expected array');
    });

    it('rejects a backend weight above 1000000 and a port of 0', () => {
      const obj = route('    - backendRefs: [{ name: svc, port: 0, weight: 1000001 }]');

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.message).toContain('spec.rules[0].backendRefs[0].port: must be between 1 and 65535');
      expect(condition.message).toContain('spec.rules[0].backendRefs[0].weight: Too big');
    });

    it('requires a port on a Service backendRef, but not on other kinds', () => {
      const obj = route(`    - backendRefs:
        - { name: lambda, group: gateway.kgateway.dev, kind: Backend }
        - { name: svc }`);

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.message).toBe(
        'HTTPRoute default/x: spec.rules[0].backendRefs[1].port: is required when referencing a Service (Service default/svc)',
      );
    });

    it('requires a port on a Service mirror backend', () => {
      const obj = ruleRoute(`      filters:
        - type: RequestMirror
          requestMirror: { backendRef: { name: shadow } }`);

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.message).toContain(
        'spec.rules[0].filters[0].requestMirror.backendRef.port: is required',
      );
    });

    it.each(['Shop.example.com', '1.2.3.4', 'shop..example.com', '*.*.example.com'])(
      'rejects the hostname %j',
      (hostname) => {
        const obj = route(
          '    - backendRefs: [{ name: svc, port: 80 }]',
          `  hostnames: ["ok.example.com", "${hostname}"]`,
        );

        const condition = rejection(translateHTTPRoute(obj, ctx));

        expect(condition.message).toContain(`spec.hostnames[1]: ${JSON.stringify(hostname)}`);
      },
    );

    it.each([
      ['Exact', 'api', "must start with '/'"],
      ['PathPrefix', '/a//b', "must not contain '//'"],
      ['PathPrefix', '/a/../b', "must not contain the segment '..'"],
      ['Exact', '/a%2Fb', 'encoded'],
      ['PathPrefix', '/a#b', "must not contain '#'"],
      ['Exact', '/a b', 'URL path characters'],
    ])('rejects the %s path %j', (type, value, problem) => {
      const obj = ruleRoute(`      matches: [{ path: { type: ${type}, value: "${value}" } }]`);

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.message).toContain(`spec.rules[0].matches[0].path.value: ${JSON.stringify(value)} `);
      expect(condition.message).toContain(problem);
    });

    it.each([
      [
        'path',
        '      matches: [{ path: { type: RegularExpression, value: "/(a" } }]',
        'matches[0].path.value',
      ],
      [
        'lookahead',
        '      matches: [{ path: { type: RegularExpression, value: "/(?=a)" } }]',
        'matches[0].path.value',
      ],
      [
        'header backreference',
        '      matches: [{ headers: [{ type: RegularExpression, name: a, value: "(x)\\\\1" }] }]',
        'matches[0].headers[0].value',
      ],
      [
        'query parameter',
        '      matches: [{ queryParams: [{ type: RegularExpression, name: q, value: "[z-a]" }] }]',
        'matches[0].queryParams[0].value',
      ],
    ])('rejects a bad %s regular expression', (_what, body, field) => {
      const obj = ruleRoute(body);

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.reason).toBe('Invalid');
      expect(condition.message).toContain(`spec.rules[0].${field}: `);
      expect(condition.message).toMatch(/regular expression|not supported by RE2/);
    });

    it('rejects an invalid method with UnsupportedValue', () => {
      const obj = ruleRoute('      matches: [{ method: FETCH }]');

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.reason).toBe('UnsupportedValue');
      expect(condition.message).toContain(
        'spec.rules[0].matches[0].method: "FETCH" is not supported; use one of GET',
      );
    });

    it('rejects unknown match types with UnsupportedValue', () => {
      const obj = ruleRoute(`      matches:
        - path: { type: Glob, value: /a }
          headers: [{ type: Prefix, name: a, value: b }]`);

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.reason).toBe('UnsupportedValue');
      expect(condition.message).toContain('spec.rules[0].matches[0].path.type: "Glob" is not supported');
      expect(condition.message).toContain(
        'spec.rules[0].matches[0].headers[0].type: "Prefix" is not supported',
      );
    });

    it('rejects an invalid header name', () => {
      const obj = ruleRoute('      matches: [{ headers: [{ name: "bad header", value: x }] }]');

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.message).toContain(
        'spec.rules[0].matches[0].headers[0].name: "bad header" is not a valid HTTP header name',
      );
    });

    it.each([200, 304, 399])('rejects redirect status %i with UnsupportedValue', (statusCode) => {
      const obj = route(
        `    - filters: [{ type: RequestRedirect, requestRedirect: { statusCode: ${statusCode} } }]`,
      );

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.reason).toBe('UnsupportedValue');
      expect(condition.message).toContain(
        `spec.rules[0].filters[0].requestRedirect.statusCode: ${statusCode} is not supported; use one of 301, 302, 303, 307, 308`,
      );
    });

    it('defaults the redirect status to 302 and accepts 301', () => {
      const obj = route(`    - filters: [{ type: RequestRedirect, requestRedirect: { port: 8443 } }]
    - filters: [{ type: RequestRedirect, requestRedirect: { statusCode: 301 } }]`);

      const spec = acceptedSpec(translateHTTPRoute(obj, ctx));

      expect(spec.rules.map((r) => r.filters[0])).toEqual([
        { type: 'RequestRedirect', requestRedirect: { port: 8443, statusCode: 302 } },
        { type: 'RequestRedirect', requestRedirect: { statusCode: 301 } },
      ]);
    });

    it('rejects an unknown redirect scheme', () => {
      const obj = route('    - filters: [{ type: RequestRedirect, requestRedirect: { scheme: ftp } }]');

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.message).toContain(
        'spec.rules[0].filters[0].requestRedirect.scheme: "ftp" is not supported',
      );
    });

    it.each([
      [
        'an Exact match',
        '      matches: [{ path: { type: Exact, value: /a } }]',
        'its match is of type Exact',
      ],
      [
        'a RegularExpression match',
        '      matches: [{ path: { type: RegularExpression, value: "/a.*" } }]',
        'of type RegularExpression',
      ],
      [
        'two matches',
        '      matches: [{ path: { value: /a } }, { path: { value: /b } }]',
        'it has 2 matches',
      ],
    ])('rejects ReplacePrefixMatch with %s', (_what, matches, found) => {
      const obj = ruleRoute(`${matches}
      filters:
        - type: URLRewrite
          urlRewrite: { path: { type: ReplacePrefixMatch, replacePrefixMatch: /b } }`);

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.message).toContain(
        'HTTPRoute default/x: spec.rules[0].filters[0].urlRewrite.path.type: ReplacePrefixMatch needs the rule to have exactly one match, of type PathPrefix',
      );
      expect(condition.message).toContain(found);
    });

    it('checks ReplacePrefixMatch in redirects and in backendRef filters too', () => {
      const obj = route(`    - matches: [{ path: { type: Exact, value: /a } }]
      filters: [{ type: RequestRedirect, requestRedirect: { path: { type: ReplacePrefixMatch, replacePrefixMatch: /b } } }]
    - matches: [{ path: { type: Exact, value: /c } }]
      backendRefs:
        - name: svc
          port: 80
          filters: [{ type: URLRewrite, urlRewrite: { path: { type: ReplacePrefixMatch, replacePrefixMatch: /d } } }]`);

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.message).toContain(
        'spec.rules[0].filters[0].requestRedirect.path.type: ReplacePrefixMatch needs',
      );
      expect(condition.message).toContain(
        'spec.rules[1].backendRefs[0].filters[0].urlRewrite.path.type: ReplacePrefixMatch needs',
      );
    });

    it('rejects a path modifier whose type and value disagree', () => {
      const obj = ruleRoute(`      filters:
        - type: URLRewrite
          urlRewrite: { path: { type: ReplaceFullPath, replacePrefixMatch: /b } }`);

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.message).toContain(
        'spec.rules[0].filters[0].urlRewrite.path.replaceFullPath: is required when type is ReplaceFullPath',
      );
      expect(condition.message).toContain(
        'spec.rules[0].filters[0].urlRewrite.path.replacePrefixMatch: must not be set when type is ReplaceFullPath',
      );
    });

    it('rejects a filter whose type and config block disagree', () => {
      const obj = ruleRoute(`      filters:
        - type: RequestHeaderModifier
          responseHeaderModifier: { remove: [a] }`);

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.message).toContain(
        'spec.rules[0].filters[0].requestHeaderModifier: is required when type is RequestHeaderModifier',
      );
      expect(condition.message).toContain(
        'spec.rules[0].filters[0].responseHeaderModifier: must not be set when type is RequestHeaderModifier',
      );
    });

    it('rejects an unknown filter type with UnsupportedValue', () => {
      const obj = ruleRoute('      filters: [{ type: RateLimit }]');

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.reason).toBe('UnsupportedValue');
      expect(condition.message).toContain('spec.rules[0].filters[0].type: "RateLimit" is not supported');
    });

    it('rejects a repeated header modifier and a redirect combined with a rewrite', () => {
      const obj = route(`    - filters:
        - { type: RequestHeaderModifier, requestHeaderModifier: { remove: [a] } }
        - { type: RequestHeaderModifier, requestHeaderModifier: { remove: [b] } }
        - { type: URLRewrite, urlRewrite: { hostname: a.example.com } }
        - { type: RequestRedirect, requestRedirect: { hostname: b.example.com } }`);

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.message).toContain(
        'spec.rules[0].filters[1].type: RequestHeaderModifier is already used by spec.rules[0].filters[0]',
      );
      expect(condition.message).toContain(
        'spec.rules[0].filters[3].type: RequestRedirect cannot be combined with the URLRewrite filter at spec.rules[0].filters[2]',
      );
    });

    it('rejects a header modified by two actions, comparing names case-insensitively', () => {
      const obj = ruleRoute(`      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: { set: [{ name: X-A, value: "1" }], remove: [x-a] }`);

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.message).toContain(
        'spec.rules[0].filters[0].requestHeaderModifier.remove[0]: "x-a" is already modified by spec.rules[0].filters[0].requestHeaderModifier.set[0].name',
      );
    });

    it('rejects a redirect used together with backendRefs', () => {
      const obj = ruleRoute('      filters: [{ type: RequestRedirect, requestRedirect: { scheme: https } }]');

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.message).toContain(
        'spec.rules[0].filters[0]: a RequestRedirect filter must not be used together with backendRefs',
      );
    });

    it('rejects a mirror with both percent and fraction, and a fraction above 1', () => {
      const obj = ruleRoute(`      filters:
        - type: RequestMirror
          requestMirror: { backendRef: { name: a, port: 80 }, percent: 10, fraction: { numerator: 5, denominator: 4 } }`);

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.message).toContain(
        'spec.rules[0].filters[0].requestMirror: set either percent or fraction, not both',
      );
      expect(condition.message).toContain(
        'spec.rules[0].filters[0].requestMirror.fraction.numerator: 5 is greater than the denominator 4',
      );
    });

    it.each(['10', '1.5s', '1d', '-1s', '100000s', '1h1m1s1ms1h'])('rejects the duration %j', (value) => {
      const obj = ruleRoute(`      timeouts: { request: "${value}" }`);

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.message).toContain(
        `spec.rules[0].timeouts.request: ${JSON.stringify(value)} is not a Gateway API duration`,
      );
    });

    it('rejects a backendRequest timeout longer than the request timeout', () => {
      const obj = ruleRoute('      timeouts: { request: 1m, backendRequest: 60s1ms }');

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.message).toContain(
        'spec.rules[0].timeouts.backendRequest: "60s1ms" is longer than the request timeout "1m"',
      );
    });

    it('rejects duplicate rule names and duplicate parent references', () => {
      const obj = manifest(`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: x, namespace: default }
spec:
  parentRefs: [{ name: gw }, { name: gw, namespace: default }]
  rules: [{ name: a }, { name: a }]
`);

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.message).toContain('spec.parentRefs[1]: duplicates spec.parentRefs[0]');
      expect(condition.message).toContain('spec.rules[1].name: "a" is already the name of spec.rules[0]');
    });

    it('rejects a parent referenced once with and once without a sectionName', () => {
      const obj = manifest(`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: x, namespace: default }
spec:
  parentRefs: [{ name: gw }, { name: gw, sectionName: https }]
`);

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.message).toContain(
        'spec.parentRefs[1]: refers to the same parent as spec.parentRefs[0]; when a parent is referenced more than once',
      );
    });

    it('rejects an unknown API version', () => {
      const obj = { ...route('    - {}'), apiVersion: 'gateway.networking.k8s.io/v1alpha1' };

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.reason).toBe('UnsupportedValue');
      expect(condition.message).toContain(
        'apiVersion: "gateway.networking.k8s.io/v1alpha1" is not supported',
      );
    });
  });

  describe('filters we cannot program', () => {
    it('drops the rule with an ExtensionRef filter and keeps the other rules', () => {
      const obj = route(`    - matches: [{ path: { value: /admin } }]
      filters:
        - type: ExtensionRef
          extensionRef: { group: auth.example.com, kind: OIDC, name: sso }
      backendRefs: [{ name: admin, port: 80 }]
    - backendRefs: [{ name: web, port: 80 }]`);

      const item = translateHTTPRoute(obj, ctx);

      const spec = acceptedSpec(item);
      expect(spec.rules).toHaveLength(1);
      expect(spec.rules[0]?.backendRefs[0]?.ref.name).toBe('web');
      const partial = conditionOf(item, 'PartiallyInvalid');
      expect(partial.status).toBe('True');
      expect(partial.reason).toBe('UnsupportedValue');
      expect(partial.message).toBe(
        'HTTPRoute default/x: spec.rules[0].filters[0].type: ExtensionRef filters (auth.example.com/OIDC sso) are not supported; rule spec.rules[0] is not programmed',
      );
    });

    it('never forwards traffic around the filter: no rule keeps the ExtensionRef backend', () => {
      const obj =
        route(`    - filters: [{ type: ExtensionRef, extensionRef: { group: a.io, kind: F, name: f } }]
      backendRefs: [{ name: admin, port: 80 }]
    - backendRefs:
        - name: web
          port: 80
          filters: [{ type: CORS, cors: { allowOrigins: ["https://a.example.com"] } }]
    - backendRefs: [{ name: ok, port: 80 }]`);

      const item = translateHTTPRoute(obj, ctx);

      const spec = acceptedSpec(item);
      expect(JSON.stringify(spec)).not.toContain('admin');
      expect(spec.rules.map((r) => r.backendRefs[0]?.ref.name)).toEqual(['ok']);
      expect(conditionOf(item, 'PartiallyInvalid').message).toContain(
        'spec.rules[1].backendRefs[0].filters[0].type: CORS filters are not supported',
      );
    });

    it('rejects the route when every rule is dropped', () => {
      const obj =
        route(`    - filters: [{ type: ExtensionRef, extensionRef: { group: a.io, kind: F, name: f } }]
      backendRefs: [{ name: admin, port: 80 }]`);

      const condition = rejection(translateHTTPRoute(obj, ctx));

      expect(condition.reason).toBe('UnsupportedValue');
      expect(condition.message).toContain('spec.rules[0].filters[0].type: ExtensionRef filters');
    });
  });
});
