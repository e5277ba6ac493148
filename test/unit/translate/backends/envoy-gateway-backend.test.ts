// Envoy Gateway Backend → BackendIR: endpoints of each address type, fallback priority, app
// protocols, TLS and DynamicResolver, and the rejections Envoy Gateway itself makes.

import { describe, expect, it } from 'vitest';
import { translateEnvoyGatewayBackend } from '../../../../shared/translate/envoy-gateway-backend.ts';
import { accepted, ctx, expectProblem, fixture, patch, rejected } from './fixtures.ts';

const FILE = 'envoy-gateway-backend.yaml';

function translate(name: string, changes: Record<string, unknown> = {}) {
  return translateEnvoyGatewayBackend(patch(fixture(FILE, name), changes), ctx);
}

describe('Envoy Gateway Backend: accepted', () => {
  it('translates FQDN endpoints, h2c and system-trust TLS with SNI', () => {
    const item = translate('api-fqdn');

    expect(item.id).toEqual({
      group: 'gateway.envoyproxy.io',
      kind: 'Backend',
      namespace: 'default',
      name: 'api-fqdn',
    });
    expect(item.conditions[0]?.observedGeneration).toBe(2);
    expect(accepted(item)).toEqual({
      type: 'static',
      endpoints: [
        { address: { kind: 'fqdn', hostname: 'primary.api.example.com', port: 443 }, priority: 0 },
        { address: { kind: 'fqdn', hostname: 'secondary.api.example.com', port: 443 }, priority: 0 },
      ],
      protocol: 'h2c',
      tls: {
        sni: 'api.example.com',
        caCertificateRefs: [],
        wellKnownCACertificates: 'System',
        subjectAltNames: [],
        insecureSkipVerify: false,
      },
    });
  });

  it('mixes IP and unix endpoints and gives a fallback Backend priority 1', () => {
    const spec = accepted(translate('local-fallback'));

    expect(spec).toEqual({
      type: 'static',
      endpoints: [
        { address: { kind: 'ip', address: '192.168.1.20', port: 8080 }, priority: 1 },
        { address: { kind: 'ip', address: '2001:db8::10', port: 8080 }, priority: 1 },
        { address: { kind: 'unix', path: '/var/run/backend.sock' }, priority: 1 },
      ],
      protocol: 'ws',
    });
  });

  it.each([
    ['gateway.envoyproxy.io/wss', 'wss'],
    [undefined, 'http1'],
  ])('maps appProtocols [%s] to %s', (appProtocol, protocol) => {
    const spec = accepted(
      translate('local-fallback', { 'spec.appProtocols': appProtocol && [appProtocol, appProtocol] }),
    );

    expect(spec).toMatchObject({ protocol });
  });

  it('gives a Backend without fallback priority 0', () => {
    const spec = accepted(translate('local-fallback', { 'spec.fallback': false }));

    expect(spec.type === 'static' && spec.endpoints.map((e) => e.priority)).toEqual([0, 0, 0]);
  });

  it('translates a DynamicResolver with sorted CA references in its own namespace and auto SNI', () => {
    const spec = accepted(translate('dynamic'));

    expect(spec).toEqual({
      type: 'dynamicResolver',
      tls: {
        autoSni: true,
        caCertificateRefs: [
          { kind: 'ConfigMap', namespace: 'egress', name: 'corp-ca' },
          { kind: 'Secret', namespace: 'egress', name: 'internal-ca' },
        ],
        subjectAltNames: [],
        insecureSkipVerify: false,
      },
    });
  });

  it('translates a DynamicResolver without TLS', () => {
    expect(accepted(translate('dynamic', { 'spec.tls': undefined }))).toEqual({ type: 'dynamicResolver' });
  });

  it('treats null fields as absent, as the API server does', () => {
    const spec = accepted(translate('local-fallback', { 'spec.appProtocols': null, 'spec.fallback': null }));

    expect(spec).toMatchObject({ protocol: 'http1' });
    expect(spec.type === 'static' && spec.endpoints.map((e) => e.priority)).toEqual([0, 0, 0]);
  });

  it('accepts insecureSkipVerify without a trust anchor', () => {
    const spec = accepted(translate('insecure'));

    expect(spec).toMatchObject({
      tls: { caCertificateRefs: [], subjectAltNames: [], insecureSkipVerify: true },
    });
  });
});

describe('Envoy Gateway Backend: rejected', () => {
  it('rejects FQDN endpoints mixed with IP endpoints with UnsupportedAddressType', () => {
    const condition = rejected(translate('mixed'));

    expectProblem(condition, {
      resource: 'Backend default/mixed',
      field: 'spec.endpoints',
      reason: 'UnsupportedAddressType',
      text: 'fqdn endpoints cannot be mixed with other address types (endpoints[0] is fqdn, endpoints[1] is ip)',
    });
  });

  it('rejects FQDN endpoints mixed with unix endpoints', () => {
    const condition = rejected(
      translate('mixed', { 'spec.endpoints[1]': { unix: { path: '/run/x.sock' } } }),
    );

    expectProblem(condition, {
      resource: 'Backend default/mixed',
      field: 'spec.endpoints',
      reason: 'UnsupportedAddressType',
      text: 'endpoints[1] is unix',
    });
  });

  it.each([
    [
      'spec.endpoints[0]',
      { fqdn: { hostname: 'a.example.com', port: 1 }, ip: { address: '10.0.0.1', port: 1 } },
      'found fqdn and ip',
    ],
    ['spec.endpoints[0]', { zone: 'a' }, 'exactly one of fqdn, ip or unix must be set; none is'],
    ['spec.endpoints[0].fqdn.hostname', 'localhost', 'at least 2 labels'],
    ['spec.endpoints[0].fqdn.hostname', 'API.example.com', 'is not a valid DNS name'],
    ['spec.endpoints[0].fqdn.hostname', '10.0.0.1', 'is an IP address; use ip instead'],
    ['spec.endpoints[0].fqdn.port', 0, 'must be a port number between 1 and 65535'],
    ['spec.endpoints[0].fqdn.port', 65536, 'must be a port number between 1 and 65535'],
    ['spec.endpoints[0].fqdn.port', undefined, 'required'],
    ['spec.endpoints', [], 'at least one endpoint is required'],
    ['spec.endpoints', undefined, 'at least one endpoint is required'],
    ['spec.type', 'Static', 'must be one of Endpoints, DynamicResolver'],
    ['spec.appProtocols[0]', 'h2c', 'must be one of gateway.envoyproxy.io/h2c'],
    ['spec.tls.wellKnownCACertificates', 'Mozilla', 'must be one of System'],
    ['spec.tls.sni', '10.0.0.1', 'SNI must be a hostname, not an IP address'],
    ['spec.fallback', 'true', 'must be true or false'],
  ])('rejects %s = %j', (field, value, text) => {
    const condition = rejected(translate('api-fqdn', { [field]: value }));

    expectProblem(condition, { resource: 'Backend default/api-fqdn', field, text });
  });

  it.each([
    ['spec.endpoints[0].ip.address', '10.0.0.256', 'is not an IPv4 or IPv6 address'],
    ['spec.endpoints[0].ip.address', '010.0.0.1', 'is not an IPv4 or IPv6 address'],
    ['spec.endpoints[0].ip.address', 'fe80::1%eth0', 'is not an IPv4 or IPv6 address'],
    ['spec.endpoints[0].ip.address', '127.0.0.1', 'loopback range'],
    ['spec.endpoints[0].ip.address', '::1', 'loopback range'],
    ['spec.endpoints[0].ip.address', '::ffff:127.0.0.2', 'loopback range'],
    ['spec.endpoints[1].unix.path', 'run/backend.sock', 'must be an absolute path'],
    ['spec.endpoints[1].unix.path', `/${'s'.repeat(108)}`, 'must not exceed 108 bytes'],
  ])('rejects %s = %j', (field, value, text) => {
    const condition = rejected(translate('local-fallback', { [field]: value }));

    expectProblem(condition, { resource: 'Backend default/local-fallback', field, text });
  });

  it('rejects more than one application protocol with UnsupportedValue', () => {
    const condition = rejected(
      translate('local-fallback', {
        'spec.appProtocols': ['gateway.envoyproxy.io/ws', 'gateway.envoyproxy.io/h2c'],
      }),
    );

    expectProblem(condition, {
      resource: 'Backend default/local-fallback',
      field: 'spec.appProtocols',
      reason: 'UnsupportedValue',
      text: 'got gateway.envoyproxy.io/h2c, gateway.envoyproxy.io/ws',
    });
  });

  it('rejects endpoints, appProtocols or fallback on a DynamicResolver', () => {
    const withEndpoints = rejected(
      translate('dynamic', { 'spec.endpoints': [{ fqdn: { hostname: 'a.example.com', port: 443 } }] }),
    );
    const withFallback = rejected(translate('dynamic', { 'spec.fallback': true }));

    expectProblem(withEndpoints, {
      resource: 'Backend egress/dynamic',
      field: 'spec.endpoints',
      text: 'must be empty when type is DynamicResolver',
    });
    expectProblem(withFallback, {
      resource: 'Backend egress/dynamic',
      field: 'spec.fallback',
      reason: 'UnsupportedValue',
    });
  });

  it.each([
    [
      { wellKnownCACertificates: 'System', caCertificateRefs: [{ kind: 'ConfigMap', name: 'ca' }] },
      'spec.tls',
      'not both',
    ],
    [{ sni: 'api.example.com' }, 'spec.tls', 'set caCertificateRefs or wellKnownCACertificates: System'],
    [
      { insecureSkipVerify: true, wellKnownCACertificates: 'System' },
      'spec.tls.insecureSkipVerify',
      'must not be true',
    ],
  ])('rejects tls %j', (tls, field, text) => {
    const condition = rejected(translate('api-fqdn', { 'spec.tls': tls }));

    expectProblem(condition, { resource: 'Backend default/api-fqdn', field, text });
  });

  it.each([
    [{ group: '', kind: 'Service', name: 'ca' }, 'Service is not supported'],
    [{ group: 'example.com', kind: 'Secret', name: 'ca' }, 'example.com/Secret is not supported'],
  ])('rejects CA reference %j with InvalidKind', (ref, text) => {
    const condition = rejected(translate('dynamic', { 'spec.tls.caCertificateRefs[0]': ref }));

    expectProblem(condition, {
      resource: 'Backend egress/dynamic',
      field: 'spec.tls.caCertificateRefs[0]',
      reason: 'InvalidKind',
      text,
    });
  });

  it('rejects a CA reference without kind', () => {
    const condition = rejected(translate('dynamic', { 'spec.tls.caCertificateRefs[1].kind': undefined }));

    expectProblem(condition, {
      resource: 'Backend egress/dynamic',
      field: 'spec.tls.caCertificateRefs[1].kind',
      text: 'required',
    });
  });

  it('rejects an unknown API version', () => {
    const condition = rejected(translate('api-fqdn', { apiVersion: 'gateway.envoyproxy.io/v1' }));

    expectProblem(condition, {
      resource: 'Backend default/api-fqdn',
      field: 'apiVersion',
      reason: 'UnsupportedValue',
    });
  });

  it('rejects more than 64 endpoints', () => {
    const endpoints = Array.from({ length: 65 }, (_, i) => ({ ip: { address: `10.0.${i}.1`, port: 80 } }));
    const condition = rejected(translate('local-fallback', { 'spec.endpoints': endpoints }));

    expectProblem(condition, {
      resource: 'Backend default/local-fallback',
      field: 'spec.endpoints',
      text: 'at most 64',
    });
  });
});
