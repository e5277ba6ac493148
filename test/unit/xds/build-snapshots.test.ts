import { describe, expect, it } from 'vitest';
import type { AnyIrItem, GatewayListenerIR, ResourceStatus } from '../../../shared/ir/types.ts';
import { buildSnapshots } from '../../../shared/xds/build-snapshots.ts';
import { mergeConditions } from '../../../shared/xds/status.ts';
import type { BuildResult, JsonObject, SnapshotOptions } from '../../../shared/xds/types.ts';
import {
  CONTROLLER,
  endpointSlice,
  gateway,
  gatewayClass,
  httpListener,
  httpRoute,
  item,
  parentRef,
  referenceGrant,
  rule,
  service,
  serviceRef,
  tlsSecret,
} from './ir-builders.ts';

const OPTIONS: SnapshotOptions = { controllerName: CONTROLLER, sds: { type: 'ads' } };

function statusOf(result: BuildResult, kind: string, name: string, namespace = 'default'): ResourceStatus {
  const status = result.statuses.find(
    (s) => s.resource.kind === kind && s.resource.name === name && s.resource.namespace === namespace,
  );
  if (status === undefined) throw new Error(`no status for ${kind} ${namespace}/${name}`);
  return status;
}

function conditionOf(conditions: ResourceStatus['conditions'] | undefined, type: string) {
  return conditions?.find((c) => c.type === type);
}

function routesOf(result: BuildResult, gatewayName = 'gw'): JsonObject[] {
  const snapshot = result.snapshots.find((s) => s.gateway.name === gatewayName);
  if (snapshot === undefined) throw new Error(`no snapshot for ${gatewayName}`);
  return snapshot.resources.routes;
}

function envoyRoutes(routeConfig: JsonObject | undefined): JsonObject[] {
  const hosts = (routeConfig?.virtual_hosts ?? []) as Array<{ routes: JsonObject[] }>;
  return hosts.flatMap((h) => h.routes);
}

const echoBackend = [service('echo', [8080]), endpointSlice('echo', 9000, ['10.0.0.1'])];

describe('ownership', () => {
  it('builds snapshots only for Gateways whose class names our controller', () => {
    // Prepare
    const items = [
      gatewayClass('fleetplane'),
      gatewayClass('other', 'example.com/other-controller'),
      gateway('gw', [httpListener('http', 80)]),
      gateway('theirs', [httpListener('http', 80)], { className: 'other' }),
    ];

    // Act
    const result = buildSnapshots(items, OPTIONS);

    // Assess
    expect(result.snapshots.map((s) => s.gateway.name)).toEqual(['gw']);
    expect(result.notes).toEqual([]);
    expect(conditionOf(statusOf(result, 'Gateway', 'gw').conditions, 'Programmed')?.status).toBe('True');
    expect(statusOf(result, 'Gateway', 'theirs').conditions).toEqual((items[3] as AnyIrItem).conditions);
  });

  it('treats every Gateway as ours when the input holds no GatewayClass, and says so', () => {
    // Prepare
    const items = [
      gateway('a', [httpListener('http', 80)], { className: 'anything' }),
      gateway('b', [httpListener('http', 80)]),
    ];

    // Act
    const result = buildSnapshots(items, OPTIONS);

    // Assess
    expect(result.snapshots.map((s) => s.gateway.name)).toEqual(['a', 'b']);
    expect(result.notes).toEqual([`no GatewayClass in input: every Gateway treated as ours (${CONTROLLER})`]);
    expect(conditionOf(statusOf(result, 'Gateway', 'a').conditions, 'Accepted')?.message).toContain(
      'no GatewayClass in input',
    );
  });

  it('leaves a Gateway whose class is missing unreconciled: Accepted and Programmed Unknown/Pending', () => {
    // Prepare
    const items = [
      gatewayClass('fleetplane'),
      gateway('orphan', [httpListener('http', 80)], { className: 'gone' }),
    ];

    // Act
    const result = buildSnapshots(items, OPTIONS);

    // Assess
    expect(result.snapshots).toEqual([]);
    const conditions = statusOf(result, 'Gateway', 'orphan').conditions;
    expect(conditionOf(conditions, 'Accepted')).toMatchObject({ status: 'Unknown', reason: 'Pending' });
    expect(conditionOf(conditions, 'Accepted')?.message).toContain('GatewayClass gone not found');
    expect(conditionOf(conditions, 'Programmed')).toMatchObject({ status: 'Unknown', reason: 'Pending' });
  });

  it('builds no snapshot for an owned Gateway whose spec is invalid, and its routes attach nowhere', () => {
    // Prepare: without a GatewayClass every Gateway is ours, even one whose class cannot be read.
    const items = [item('Gateway', 'gw', null), httpRoute('r', { rules: [rule([])] })];

    // Act
    const result = buildSnapshots(items, OPTIONS);

    // Assess
    expect(result.snapshots).toEqual([]);
    const conditions = statusOf(result, 'Gateway', 'gw').conditions;
    expect(conditionOf(conditions, 'Accepted')?.status).toBe('False');
    expect(conditionOf(conditions, 'Programmed')).toMatchObject({ status: 'False', reason: 'Invalid' });
    const parent = statusOf(result, 'HTTPRoute', 'r').parents?.[0];
    expect(conditionOf(parent?.conditions, 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'NoMatchingParent',
      message: 'HTTPRoute default/r: spec.parentRefs[0]: Gateway default/gw is invalid',
    });
  });

  it('does not write route parent status for a Gateway of another controller', () => {
    // Prepare
    const items = [
      gatewayClass('other', 'example.com/other-controller'),
      gateway('theirs', [httpListener('http', 80)], { className: 'other' }),
      httpRoute('r', { parentRefs: [parentRef('theirs')], rules: [rule([])] }),
    ];

    // Act
    const result = buildSnapshots(items, OPTIONS);

    // Assess
    expect(statusOf(result, 'HTTPRoute', 'r').parents).toEqual([]);
  });
});

describe('snapshot', () => {
  it('wires listener, route configuration, cluster and endpoints for a Service backend', () => {
    // Prepare
    const items = [
      gatewayClass(),
      gateway('gw', [httpListener('http', 80)]),
      httpRoute('r', { hostnames: ['echo.example.com'], rules: [rule([serviceRef('echo', 8080)])] }),
      ...echoBackend,
    ];

    // Act
    const result = buildSnapshots(items, OPTIONS);

    // Assess
    const resources = result.snapshots[0]?.resources;
    expect(resources?.listeners.map((l) => l.name)).toEqual(['listener_80']);
    expect(resources?.routes.map((r) => r.name)).toEqual(['route_80']);
    expect(resources?.clusters.map((c) => [c.name, c['@type']])).toEqual([
      ['kube_default_echo_8080', 'type.googleapis.com/envoy.config.cluster.v3.Cluster'],
    ]);
    expect(resources?.endpoints.map((e) => [e.cluster_name, e['@type']])).toEqual([
      ['kube_default_echo_8080', 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment'],
    ]);
    expect(resources?.routes[0]?.virtual_hosts).toEqual([
      {
        name: 'echo.example.com',
        domains: ['echo.example.com'],
        routes: [
          {
            name: 'httproute/default/r/rule/0/match/0',
            match: { prefix: '/' },
            route: { cluster: 'kube_default_echo_8080' },
          },
        ],
      },
    ]);
    const parent = statusOf(result, 'HTTPRoute', 'r').parents?.[0];
    expect(parent?.controllerName).toBe(CONTROLLER);
    expect(conditionOf(parent?.conditions, 'Accepted')?.status).toBe('True');
    expect(conditionOf(parent?.conditions, 'ResolvedRefs')?.status).toBe('True');
  });

  it('builds a cluster once when several routes use it', () => {
    // Prepare
    const items = [
      gateway('gw', [httpListener('http', 80)]),
      httpRoute('a', { rules: [rule([serviceRef('echo', 8080)])] }),
      httpRoute('b', { hostnames: ['b.example.com'], rules: [rule([serviceRef('echo', 8080)])] }),
      ...echoBackend,
    ];

    // Act
    const result = buildSnapshots(items, OPTIONS);

    // Assess
    expect(result.snapshots[0]?.resources.clusters).toHaveLength(1);
  });

  it('orders routes of different HTTPRoutes on one host by Gateway API precedence', () => {
    // Prepare
    const prefix = (value: string) => ({
      path: { type: 'PathPrefix' as const, value },
      headers: [],
      queryParams: [],
    });
    const items = [
      gateway('gw', [httpListener('http', 80)]),
      httpRoute('a-catch-all', { rules: [rule([serviceRef('echo', 8080)], { matches: [prefix('/')] })] }),
      httpRoute('z-api', { rules: [rule([serviceRef('echo', 8080)], { matches: [prefix('/api')] })] }),
      ...echoBackend,
    ];

    // Act
    const result = buildSnapshots(items, OPTIONS);

    // Assess
    expect(envoyRoutes(routesOf(result)[0]).map((r) => r.name)).toEqual([
      'httproute/default/z-api/rule/0/match/0',
      'httproute/default/a-catch-all/rule/0/match/0',
    ]);
  });

  it('serves a host only from the most specific listener on a shared port', () => {
    // Prepare
    const items = [
      gateway('gw', [httpListener('any', 80), httpListener('api', 80, 'api.example.com')]),
      httpRoute('catch-all', {
        parentRefs: [parentRef('gw', { sectionName: 'any' })],
        hostnames: ['api.example.com', 'www.example.com'],
        rules: [rule([serviceRef('echo', 8080)])],
      }),
      httpRoute('api', {
        parentRefs: [parentRef('gw', { sectionName: 'api' })],
        rules: [rule([serviceRef('echo', 8080)])],
      }),
      ...echoBackend,
    ];

    // Act
    const result = buildSnapshots(items, OPTIONS);

    // Assess
    const hosts = routesOf(result)[0]?.virtual_hosts as Array<{ domains: string[]; routes: JsonObject[] }>;
    expect(hosts.map((h) => [h.domains, h.routes.map((r) => r.name)])).toEqual([
      [['api.example.com'], ['httproute/default/api/rule/0/match/0']],
      [['www.example.com'], ['httproute/default/catch-all/rule/0/match/0']],
    ]);
  });

  it('is deterministic: shuffled input gives byte-identical output', () => {
    // Prepare
    const items = [
      gatewayClass(),
      gateway('gw', [httpListener('http', 80), httpListener('alt', 8080, '*.example.com')]),
      httpRoute('b', {
        hostnames: ['x.example.com', 'a.example.com'],
        rules: [rule([serviceRef('echo', 8080)])],
      }),
      httpRoute('a', { rules: [rule([serviceRef('echo', 8080), serviceRef('missing', 80)])] }),
      ...echoBackend,
    ];

    // Act
    const forward = JSON.stringify(buildSnapshots(items, OPTIONS));
    const backward = JSON.stringify(buildSnapshots([...items].reverse(), OPTIONS));

    // Assess
    expect(backward).toBe(forward);
  });

  it('reports a ProtocolConflict on the Gateway and keeps the first listener', () => {
    // Prepare
    const https: GatewayListenerIR = {
      ...httpListener('tls', 80),
      protocol: 'HTTPS',
      tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', namespace: 'default', name: 'cert' }] },
    };
    const items = [gateway('gw', [httpListener('http', 80), https])];

    // Act
    const result = buildSnapshots(items, OPTIONS);

    // Assess
    expect(result.snapshots[0]?.resources.listeners).toHaveLength(1);
    const conditions = statusOf(result, 'Gateway', 'gw').conditions;
    expect(conditionOf(conditions, 'Accepted')).toMatchObject({
      status: 'True',
      reason: 'ListenersNotValid',
    });
    expect(conditionOf(conditions, 'Conflicted')).toMatchObject({
      status: 'True',
      reason: 'ProtocolConflict',
    });
    expect(conditionOf(conditions, 'Conflicted')?.message).toContain(
      'Gateway default/gw: spec.listeners[name=tls]:',
    );
  });
});

describe('references and status', () => {
  it('answers 500 for a rule whose only backend is missing and names the field in the status', () => {
    // Prepare
    const items = [
      gateway('gw', [httpListener('http', 80)]),
      httpRoute('r', { rules: [rule([serviceRef('missing', 80)])] }),
    ];

    // Act
    const result = buildSnapshots(items, OPTIONS);

    // Assess
    expect(envoyRoutes(routesOf(result)[0])[0]?.direct_response).toEqual({ status: 500 });
    expect(result.snapshots[0]?.resources.clusters).toEqual([]);
    const parent = statusOf(result, 'HTTPRoute', 'r').parents?.[0];
    expect(conditionOf(parent?.conditions, 'Accepted')?.status).toBe('True');
    expect(conditionOf(parent?.conditions, 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'BackendNotFound',
      message: 'HTTPRoute default/r: spec.rules[0].backendRefs[0]: Service default/missing not found',
    });
  });

  it('reports InvalidKind for an unknown backend kind', () => {
    // Prepare
    const items = [
      gateway('gw', [httpListener('http', 80)]),
      httpRoute('r', {
        rules: [
          rule([
            {
              ref: { group: 'example.com', kind: 'Bucket', namespace: 'default', name: 'b' },
              weight: 1,
              filters: [],
            },
          ]),
        ],
      }),
    ];

    // Act
    const result = buildSnapshots(items, OPTIONS);

    // Assess
    const parent = statusOf(result, 'HTTPRoute', 'r').parents?.[0];
    expect(conditionOf(parent?.conditions, 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'InvalidKind',
    });
  });

  it('honours a ReferenceGrant for a Service in another namespace and refuses without one', () => {
    // Prepare
    const base = [
      gateway('gw', [httpListener('http', 80)]),
      httpRoute('r', { rules: [rule([serviceRef('echo', 8080, { namespace: 'backends' })])] }),
      service('echo', [8080], { namespace: 'backends' }),
    ];
    const grant = referenceGrant(
      'allow-routes',
      'backends',
      [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'default' }],
      [{ group: '', kind: 'Service' }],
    );

    // Act
    const denied = buildSnapshots(base, OPTIONS);
    const allowed = buildSnapshots([...base, grant], OPTIONS);

    // Assess
    const deniedParent = statusOf(denied, 'HTTPRoute', 'r').parents?.[0];
    expect(conditionOf(deniedParent?.conditions, 'ResolvedRefs')?.reason).toBe('RefNotPermitted');
    expect(envoyRoutes(routesOf(denied)[0])[0]?.direct_response).toEqual({ status: 500 });
    const allowedParent = statusOf(allowed, 'HTTPRoute', 'r').parents?.[0];
    expect(conditionOf(allowedParent?.conditions, 'ResolvedRefs')?.status).toBe('True');
    expect(envoyRoutes(routesOf(allowed)[0])[0]?.route).toEqual({ cluster: 'kube_backends_echo_8080' });
  });

  it('refuses a certificateRef into another namespace without a ReferenceGrant', () => {
    // Prepare
    const https: GatewayListenerIR = {
      ...httpListener('https', 443, 'secure.example.com'),
      protocol: 'HTTPS',
      tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', namespace: 'certs', name: 'cert' }] },
    };
    const base = [gateway('gw', [httpListener('http', 80), https]), tlsSecret('cert', 'certs')];
    const grant = referenceGrant(
      'allow-gateway',
      'certs',
      [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'default' }],
      [{ group: '', kind: 'Secret', name: 'cert' }],
    );

    // Act
    const denied = buildSnapshots(base, OPTIONS);
    const allowed = buildSnapshots([...base, grant], OPTIONS);

    // Assess
    expect(denied.snapshots[0]?.resources.listeners.map((l) => l.name)).toEqual(['listener_80']);
    const deniedConditions = statusOf(denied, 'Gateway', 'gw').conditions;
    expect(conditionOf(deniedConditions, 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'RefNotPermitted',
    });
    expect(conditionOf(deniedConditions, 'ResolvedRefs')?.message).toContain(
      'spec.listeners[name=https].tls.certificateRefs[0]',
    );
    expect(allowed.snapshots[0]?.resources.listeners.map((l) => l.name)).toEqual([
      'listener_443',
      'listener_80',
    ]);
    expect(allowed.snapshots[0]?.resources.routes.map((r) => r.name)).toEqual([
      'route_443_https',
      'route_80',
    ]);
    expect(conditionOf(statusOf(allowed, 'Gateway', 'gw').conditions, 'ResolvedRefs')).toBeUndefined();
  });

  it('reports NoMatchingParent for a parentRef to a Gateway that does not exist', () => {
    // Prepare
    const items = [gatewayClass(), httpRoute('r', { parentRefs: [parentRef('nowhere')], rules: [rule([])] })];

    // Act
    const result = buildSnapshots(items, OPTIONS);

    // Assess
    const parent = statusOf(result, 'HTTPRoute', 'r').parents?.[0];
    expect(conditionOf(parent?.conditions, 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'NoMatchingParent',
      message: 'HTTPRoute default/r: spec.parentRefs[0]: Gateway default/nowhere not found',
    });
  });

  it('reports NotAllowedByListeners for a route from a namespace the listener does not allow', () => {
    // Prepare
    const items = [
      gateway('gw', [httpListener('http', 80)]),
      httpRoute('r', { parentRefs: [parentRef('gw')], rules: [rule([])] }, { namespace: 'apps' }),
    ];

    // Act
    const result = buildSnapshots(items, OPTIONS);

    // Assess
    const parent = statusOf(result, 'HTTPRoute', 'r', 'apps').parents?.[0];
    expect(conditionOf(parent?.conditions, 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'NotAllowedByListeners',
    });
    expect(envoyRoutes(routesOf(result)[0])).toEqual([]);
  });

  it('adds the unsupported features of an AIServiceBackend to its status', () => {
    // Prepare
    const aisb = item(
      'AIServiceBackend',
      'bedrock',
      {
        schema: { name: 'AWSBedrock' },
        backendRef: {
          group: 'gateway.envoyproxy.io',
          kind: 'Backend',
          namespace: 'default',
          name: 'missing',
        },
        bodyMutation: { set: [{ path: 'model', value: 'x' }], remove: [] },
      },
      { group: 'aigateway.envoyproxy.io' },
    );

    // Act
    const result = buildSnapshots([aisb], OPTIONS);

    // Assess
    const conditions = statusOf(result, 'AIServiceBackend', 'bedrock').conditions;
    expect(conditionOf(conditions, 'PartiallyInvalid')?.message).toContain('spec.bodyMutation');
    expect(conditionOf(conditions, 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'BackendNotFound',
    });
    expect(conditionOf(conditions, 'Accepted')?.status).toBe('True');
  });

  it('reports AI Backend providers that one cluster cannot serve alike', () => {
    // Prepare
    const provider = {
      provider: 'openai' as const,
      host: 'api.openai.com',
      port: 443,
      path: '/v1/chat/completions',
      settings: {},
    };
    const secretAuth = {
      mode: 'secret' as const,
      secretRef: { kind: 'Secret' as const, namespace: 'default', name: 'key', key: 'Authorization' },
      header: 'Authorization',
      prefix: 'Bearer ',
    };
    const backend = item(
      'Backend',
      'pool',
      {
        type: 'ai',
        priorities: [[{ ...provider, auth: secretAuth }], [{ ...provider, auth: { mode: 'passthrough' } }]],
      },
      { group: 'gateway.kgateway.dev' },
    );

    // Act
    const result = buildSnapshots([backend], OPTIONS);

    // Assess
    const conditions = statusOf(result, 'Backend', 'pool').conditions;
    expect(conditionOf(conditions, 'Accepted')?.status).toBe('True');
    expect(conditionOf(conditions, 'PartiallyInvalid')).toMatchObject({
      status: 'True',
      reason: 'UnsupportedValue',
      message:
        "Backend default/pool: spec.ai: providers use different auth; only the first provider's auth is applied",
    });
  });

  it('returns one status per input item, sorted by kind, namespace and name', () => {
    // Prepare
    const items = [
      service('b', [80]),
      service('a', [80], { namespace: 'z' }),
      gateway('gw', [httpListener('http', 80)]),
      service('a', [80]),
    ];

    // Act
    const result = buildSnapshots(items, OPTIONS);

    // Assess
    expect(
      result.statuses.map((s) => `${s.resource.kind} ${s.resource.namespace}/${s.resource.name}`),
    ).toEqual(['Gateway default/gw', 'Service default/a', 'Service default/b', 'Service z/a']);
  });
});

describe('mergeConditions', () => {
  it('lets computed conditions replace own ones unless the own one is False, and appends new types', () => {
    // Prepare
    const own = [
      { type: 'Accepted', status: 'True' as const, reason: 'Accepted', message: 'valid' },
      { type: 'ResolvedRefs', status: 'False' as const, reason: 'Invalid', message: 'bad' },
    ];
    const computed = [
      { type: 'ResolvedRefs', status: 'True' as const, reason: 'ResolvedRefs', message: 'ok' },
      { type: 'Programmed', status: 'True' as const, reason: 'Programmed', message: 'ok' },
      { type: 'Accepted', status: 'True' as const, reason: 'ListenersNotValid', message: 'partly' },
    ];

    // Act
    const merged = mergeConditions(own, computed);

    // Assess
    expect(merged.map((c) => [c.type, c.reason])).toEqual([
      ['Accepted', 'ListenersNotValid'],
      ['ResolvedRefs', 'Invalid'],
      ['Programmed', 'Programmed'],
    ]);
  });
});
