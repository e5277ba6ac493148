import { describe, expect, it } from 'vitest';
import type { GatewayIR, GatewayListenerIR } from '../../../shared/ir/types.ts';
import { attachRoute, selectorMatches } from '../../../shared/xds/attachment.ts';
import { httpListener, parentRef } from './ir-builders.ts';

const GATEWAY_ID = { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra', name: 'gw' };

function routeId(namespace: string) {
  return { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace, name: 'r' };
}

function gatewayWith(...listeners: GatewayListenerIR[]): GatewayIR {
  return { gatewayClassName: 'fleetplane', listeners };
}

function allowing(
  listener: GatewayListenerIR,
  namespaces: GatewayListenerIR['allowedRoutes']['namespaces'],
): GatewayListenerIR {
  return { ...listener, allowedRoutes: { ...listener.allowedRoutes, namespaces } };
}

describe('attachRoute', () => {
  it('attaches to every listener the parentRef does not narrow, with the domains per listener', () => {
    // Prepare
    const gw = gatewayWith(
      allowing(httpListener('a', 80, 'a.example.com'), { from: 'All' }),
      allowing(httpListener('any', 8080), { from: 'All' }),
    );

    // Act
    const attachment = attachRoute(
      routeId('apps'),
      ['a.example.com'],
      parentRef('gw', { namespace: 'infra' }),
      GATEWAY_ID,
      gw,
    );

    // Assess
    expect(attachment).toEqual({
      accepted: true,
      listeners: [
        { index: 0, domains: ['a.example.com'] },
        { index: 1, domains: ['a.example.com'] },
      ],
    });
  });

  it('narrows by sectionName and port', () => {
    // Prepare
    const gw = gatewayWith(
      allowing(httpListener('a', 80), { from: 'All' }),
      allowing(httpListener('b', 8080), { from: 'All' }),
    );

    // Act
    const bySection = attachRoute(
      routeId('apps'),
      [],
      parentRef('gw', { namespace: 'infra', sectionName: 'b' }),
      GATEWAY_ID,
      gw,
    );
    const byPort = attachRoute(
      routeId('apps'),
      [],
      parentRef('gw', { namespace: 'infra', port: 80 }),
      GATEWAY_ID,
      gw,
    );

    // Assess
    expect(bySection).toEqual({ accepted: true, listeners: [{ index: 1, domains: ['*'] }] });
    expect(byPort).toEqual({ accepted: true, listeners: [{ index: 0, domains: ['*'] }] });
  });

  it('reports NoMatchingParent when no listener has the section name or port', () => {
    // Prepare
    const gw = gatewayWith(httpListener('a', 80));

    // Act
    const attachment = attachRoute(
      routeId('infra'),
      [],
      parentRef('gw', { namespace: 'infra', sectionName: 'nope', port: 81 }),
      GATEWAY_ID,
      gw,
    );

    // Assess
    expect(attachment).toEqual({
      accepted: false,
      reason: 'NoMatchingParent',
      message: 'Gateway infra/gw has no listener named nope on port 81',
    });
  });

  it('allows only the Gateway namespace with from: Same', () => {
    // Prepare
    const gw = gatewayWith(httpListener('a', 80));

    // Act
    const same = attachRoute(routeId('infra'), [], parentRef('gw', { namespace: 'infra' }), GATEWAY_ID, gw);
    const other = attachRoute(routeId('apps'), [], parentRef('gw', { namespace: 'infra' }), GATEWAY_ID, gw);

    // Assess
    expect(same.accepted).toBe(true);
    expect(other).toEqual({
      accepted: false,
      reason: 'NotAllowedByListeners',
      message: 'listeners a of Gateway infra/gw do not allow HTTPRoutes from namespace apps',
    });
  });

  it('evaluates a Selector against the namespace name label only', () => {
    // Prepare
    const byName = gatewayWith(
      allowing(httpListener('a', 80), {
        from: 'Selector',
        selector: {
          matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['apps', 'web'] }],
        },
      }),
    );
    const byTeam = gatewayWith(
      allowing(httpListener('a', 80), { from: 'Selector', selector: { matchLabels: { team: 'x' } } }),
    );

    // Act
    const allowed = attachRoute(
      routeId('apps'),
      [],
      parentRef('gw', { namespace: 'infra' }),
      GATEWAY_ID,
      byName,
    );
    const denied = attachRoute(
      routeId('other'),
      [],
      parentRef('gw', { namespace: 'infra' }),
      GATEWAY_ID,
      byName,
    );
    const unknownLabel = attachRoute(
      routeId('apps'),
      [],
      parentRef('gw', { namespace: 'infra' }),
      GATEWAY_ID,
      byTeam,
    );

    // Assess
    expect(allowed.accepted).toBe(true);
    expect(denied.accepted).toBe(false);
    expect(unknownLabel).toMatchObject({ accepted: false, reason: 'NotAllowedByListeners' });
  });

  it('refuses when allowedRoutes.kinds leaves HTTPRoute out', () => {
    // Prepare
    const listener = httpListener('a', 80);
    const gw = gatewayWith({
      ...listener,
      allowedRoutes: {
        ...listener.allowedRoutes,
        kinds: [{ group: 'gateway.networking.k8s.io', kind: 'GRPCRoute' }],
      },
    });

    // Act
    const attachment = attachRoute(
      routeId('infra'),
      [],
      parentRef('gw', { namespace: 'infra' }),
      GATEWAY_ID,
      gw,
    );

    // Assess
    expect(attachment).toMatchObject({ accepted: false, reason: 'NotAllowedByListeners' });
  });

  it('reports NoMatchingListenerHostname when no hostname overlaps', () => {
    // Prepare
    const gw = gatewayWith(httpListener('a', 80, '*.example.com'));

    // Act
    const attachment = attachRoute(
      routeId('infra'),
      ['example.org'],
      parentRef('gw', { namespace: 'infra' }),
      GATEWAY_ID,
      gw,
    );

    // Assess
    expect(attachment).toMatchObject({ accepted: false, reason: 'NoMatchingListenerHostname' });
  });
});

describe('selectorMatches', () => {
  it.each([
    [{}, true],
    [{ matchLabels: { a: '1' } }, true],
    [{ matchLabels: { a: '2' } }, false],
    [{ matchExpressions: [{ key: 'a', operator: 'NotIn' as const, values: ['2'] }] }, true],
    [{ matchExpressions: [{ key: 'b', operator: 'Exists' as const }] }, false],
    [{ matchExpressions: [{ key: 'b', operator: 'DoesNotExist' as const }] }, true],
  ])('%j on {a: "1"} is %s', (selector, expected) => {
    // Act
    const matches = selectorMatches(selector, { a: '1' });

    // Assess
    expect(matches).toBe(expected);
  });
});
