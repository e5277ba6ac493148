import { describe, expect, it } from 'vitest';
import { translateGateway } from '../../../../shared/translate/gateway.ts';
import { acceptedSpec, conditionOf, ctx, fixture, manifest, rejection } from './support.ts';

/** A Gateway named `gw` in `default` with the given listeners (YAML flow or block list). */
function gateway(listeners: string) {
  return manifest(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: default }
spec:
  gatewayClassName: fleetplane
  listeners:
${listeners}
`);
}

describe('translateGateway', () => {
  it('translates every listener and applies the Gateway API defaults', () => {
    // Prepare
    const obj = fixture('gateway');

    // Act
    const item = translateGateway(obj, ctx);

    // Assess
    const spec = acceptedSpec(item);
    expect(item.conditions).toHaveLength(1);
    expect(spec.gatewayClassName).toBe('fleetplane');
    expect(spec.listeners).toEqual([
      {
        name: 'http',
        port: 80,
        protocol: 'HTTP',
        allowedRoutes: {
          namespaces: { from: 'Same' },
          kinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }],
        },
      },
      {
        name: 'https',
        port: 443,
        protocol: 'HTTPS',
        hostname: '*.example.com',
        tls: {
          mode: 'Terminate',
          certificateRefs: [
            { kind: 'Secret', namespace: 'infra', name: 'wildcard-cert' },
            { kind: 'Secret', namespace: 'certs', name: 'shared-cert' },
          ],
        },
        allowedRoutes: {
          namespaces: {
            from: 'Selector',
            selector: {
              matchLabels: { env: 'prod', 'gateway-access': 'true' },
              matchExpressions: [{ key: 'tier', operator: 'In', values: ['api', 'web'] }],
            },
          },
          kinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }],
        },
      },
      {
        name: 'api',
        port: 443,
        protocol: 'HTTPS',
        hostname: 'api.example.com',
        tls: {
          mode: 'Terminate',
          certificateRefs: [{ kind: 'Secret', namespace: 'infra', name: 'api-cert' }],
        },
        allowedRoutes: {
          namespaces: { from: 'All' },
          kinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }],
        },
      },
    ]);
    expect(item.labels).toEqual({ team: 'platform' });
  });

  it('gives byte-identical output for the same input', () => {
    const first = JSON.stringify(translateGateway(fixture('gateway'), ctx));

    const second = JSON.stringify(translateGateway(fixture('gateway'), ctx));

    expect(second).toBe(first);
  });

  it('rejects a missing gatewayClassName and an empty listener list in one condition', () => {
    const obj = manifest(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: default }
spec: { listeners: [] }
`);

    const condition = rejection(translateGateway(obj, ctx));

    expect(condition.reason).toBe('Invalid');
    expect(condition.message).toMatch(/^Gateway default\/gw: /);
    expect(condition.message).toContain('spec.gatewayClassName: is required');
    expect(condition.message).toContain('spec.listeners: at least one listener is required');
  });

  it('rejects ports out of range and ports of the wrong type', () => {
    const obj = gateway(`
    - { name: zero, port: 0, protocol: HTTP }
    - { name: big, port: 70000, protocol: HTTP }
    - { name: text, port: "80", protocol: HTTP }
`);

    const condition = rejection(translateGateway(obj, ctx));

    expect(condition.message).toContain('spec.listeners[0].port: must be between 1 and 65535');
    expect(condition.message).toContain('spec.listeners[1].port: must be between 1 and 65535');
    expect(condition.message).toContain(
      'spec.listeners[2].port: Invalid input: expected number, received string',
    );
  });

  it.each([
    ['Example.com', 'upper case'],
    ['*', 'a bare wildcard'],
    ['foo.*.example.com', 'a wildcard that is not the first label'],
    ['10.0.0.1', 'an IP address'],
    ['-bad.example.com', 'a label starting with a hyphen'],
  ])('rejects the listener hostname %j (%s)', (hostname) => {
    const obj = gateway(`    - { name: http, port: 80, protocol: HTTP, hostname: "${hostname}" }`);

    const condition = rejection(translateGateway(obj, ctx));

    expect(condition.message).toContain(`spec.listeners[0].hostname: ${JSON.stringify(hostname)}`);
  });

  it('rejects duplicate listener names, naming the first use', () => {
    const obj = gateway(`
    - { name: web, port: 80, protocol: HTTP }
    - { name: web, port: 8080, protocol: HTTP }
`);

    const condition = rejection(translateGateway(obj, ctx));

    expect(condition.reason).toBe('Invalid');
    expect(condition.message).toBe(
      'Gateway default/gw: spec.listeners[1].name: "web" is already the name of spec.listeners[0]; listener names must be unique',
    );
  });

  it('rejects two listeners with the same port, protocol and hostname as a conflict', () => {
    const obj = gateway(`
    - { name: a, port: 80, protocol: HTTP, hostname: shop.example.com }
    - { name: b, port: 80, protocol: http, hostname: shop.example.com }
    - { name: c, port: 80, protocol: HTTP, hostname: blog.example.com }
`);

    const condition = rejection(translateGateway(obj, ctx));

    expect(condition.message).toContain(
      'spec.listeners[1]: conflicts with spec.listeners[0]: both use port 80, protocol HTTP and hostname "shop.example.com"',
    );
    expect(condition.message).not.toContain('spec.listeners[2]');
  });

  it('treats two listeners without hostname on one port as a conflict', () => {
    const obj = gateway(`
    - { name: a, port: 80, protocol: HTTP }
    - { name: b, port: 80, protocol: HTTP }
`);

    const condition = rejection(translateGateway(obj, ctx));

    expect(condition.message).toContain('spec.listeners[1]: conflicts with spec.listeners[0]');
    expect(condition.message).toContain('no hostname');
  });

  it('drops a listener with an unsupported protocol and keeps the others, reporting UnsupportedValue', () => {
    const obj = gateway(`
    - { name: http, port: 80, protocol: HTTP }
    - { name: tcp, port: 5432, protocol: TCP }
    - name: tls
      port: 8443
      protocol: TLS
      tls: { mode: Passthrough }
`);

    const item = translateGateway(obj, ctx);

    const spec = acceptedSpec(item);
    expect(spec.listeners.map((l) => l.name)).toEqual(['http']);
    const partial = conditionOf(item, 'PartiallyInvalid');
    expect(partial).toMatchObject({ status: 'True', reason: 'UnsupportedValue' });
    expect(partial.message).toMatch(/^Gateway default\/gw: /);
    expect(partial.message).toContain('spec.listeners[1].protocol: protocol "TCP" is not supported');
    expect(partial.message).toContain('spec.listeners[2].protocol: protocol "TLS" is not supported');
    expect(partial.message).toContain('listener "tcp" is not programmed');
  });

  it('rejects the Gateway when no listener is left', () => {
    const obj = gateway('    - { name: udp, port: 53, protocol: UDP }');

    const condition = rejection(translateGateway(obj, ctx));

    expect(condition.reason).toBe('UnsupportedValue');
    expect(condition.message).toContain('spec.listeners[0].protocol: protocol "UDP" is not supported');
    expect(condition.message).toContain('spec.listeners: no listener can be programmed');
  });

  it('rejects HTTPS without tls, and HTTPS without certificateRefs', () => {
    const obj = gateway(`
    - { name: a, port: 443, protocol: HTTPS, hostname: a.example.com }
    - { name: b, port: 443, protocol: HTTPS, hostname: b.example.com, tls: { mode: Terminate } }
`);

    const condition = rejection(translateGateway(obj, ctx));

    expect(condition.message).toContain('spec.listeners[0].tls: is required for protocol HTTPS');
    expect(condition.message).toContain('spec.listeners[1].tls.certificateRefs: at least one certificateRef');
  });

  it('rejects TLS passthrough on an HTTPS listener with UnsupportedValue', () => {
    const obj = gateway(`
    - name: https
      port: 443
      protocol: HTTPS
      tls: { mode: Passthrough, certificateRefs: [{ name: cert }] }
`);

    const condition = rejection(translateGateway(obj, ctx));

    expect(condition.reason).toBe('UnsupportedValue');
    expect(condition.message).toContain('spec.listeners[0].tls.mode: Passthrough is not supported');
  });

  it('rejects tls on an HTTP listener', () => {
    const obj = gateway(
      '    - { name: http, port: 80, protocol: HTTP, tls: { certificateRefs: [{ name: cert }] } }',
    );

    const condition = rejection(translateGateway(obj, ctx));

    expect(condition.message).toContain('spec.listeners[0].tls: must not be set for protocol HTTP');
  });

  it('drops a listener whose certificate is not a core Secret', () => {
    const obj = gateway(`
    - { name: http, port: 80, protocol: HTTP }
    - name: https
      port: 443
      protocol: HTTPS
      tls: { certificateRefs: [{ group: cert-manager.io, kind: Certificate, name: cert }] }
`);

    const item = translateGateway(obj, ctx);

    expect(acceptedSpec(item).listeners.map((l) => l.name)).toEqual(['http']);
    const partial = conditionOf(item, 'PartiallyInvalid');
    expect(partial.reason).toBe('InvalidCertificateRef');
    expect(partial.message).toContain(
      'spec.listeners[1].tls.certificateRefs[0]: cert-manager.io Certificate is not supported',
    );
  });

  it('requires a selector when routes are selected by namespace label', () => {
    const obj = gateway(`
    - { name: http, port: 80, protocol: HTTP, allowedRoutes: { namespaces: { from: Selector } } }
`);

    const condition = rejection(translateGateway(obj, ctx));

    expect(condition.message).toContain(
      'spec.listeners[0].allowedRoutes.namespaces.selector: is required when from is Selector',
    );
  });

  it('ignores unsupported route kinds and drops a listener that allows none', () => {
    const obj = gateway(`
    - name: mixed
      port: 80
      protocol: HTTP
      allowedRoutes: { kinds: [{ kind: GRPCRoute }, { kind: HTTPRoute }] }
    - name: grpc-only
      port: 8080
      protocol: HTTP
      allowedRoutes: { kinds: [{ kind: GRPCRoute }] }
`);

    const item = translateGateway(obj, ctx);

    const spec = acceptedSpec(item);
    expect(spec.listeners.map((l) => [l.name, l.allowedRoutes.kinds])).toEqual([
      ['mixed', [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }]],
    ]);
    const partial = conditionOf(item, 'PartiallyInvalid');
    expect(partial.reason).toBe('InvalidRouteKinds');
    expect(partial.message).toContain(
      'spec.listeners[0].allowedRoutes.kinds[0]: route kind gateway.networking.k8s.io/GRPCRoute is not supported',
    );
    expect(partial.message).toContain(
      'spec.listeners[1].allowedRoutes.kinds: allows no supported route kind',
    );
  });

  it('drops HTTP and HTTPS listeners that share a port and keeps the rest', () => {
    const obj = gateway(`
    - { name: plain, port: 8443, protocol: HTTP, hostname: a.example.com }
    - { name: secure, port: 8443, protocol: HTTPS, hostname: b.example.com, tls: { certificateRefs: [{ name: c }] } }
    - { name: http, port: 80, protocol: HTTP }
`);

    const item = translateGateway(obj, ctx);

    expect(acceptedSpec(item).listeners.map((l) => l.name)).toEqual(['http']);
    const partial = conditionOf(item, 'PartiallyInvalid');
    expect(partial.reason).toBe('ProtocolConflict');
    expect(partial.message).toContain(
      'spec.listeners[0].protocol: port 8443 is shared by HTTP and HTTPS listeners',
    );
    expect(partial.message).toContain('spec.listeners[1].protocol');
  });

  it('treats an explicit null like an absent field', () => {
    const obj = gateway(
      '    - { name: http, port: 80, protocol: HTTP, hostname: null, allowedRoutes: null }',
    );

    const spec = acceptedSpec(translateGateway(obj, ctx));

    expect(spec.listeners[0]).toEqual({
      name: 'http',
      port: 80,
      protocol: 'HTTP',
      allowedRoutes: {
        namespaces: { from: 'Same' },
        kinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }],
      },
    });
  });

  it('rejects a missing spec', () => {
    const obj = manifest(
      '{ apiVersion: gateway.networking.k8s.io/v1, kind: Gateway, metadata: { name: gw } }',
    );

    const condition = rejection(translateGateway(obj, ctx));

    expect(condition.message).toBe('Gateway default/gw: spec: is required');
  });
});
