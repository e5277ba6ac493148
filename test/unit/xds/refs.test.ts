import { describe, expect, it } from 'vitest';
import type { AnyIrItem, ObjectRef } from '../../../shared/ir/types.ts';
import { backendTls, checkCertificateRef, IrIndex, resolveBackendRef } from '../../../shared/xds/refs.ts';
import { item, referenceGrant, service, tlsSecret } from './ir-builders.ts';

const ROUTE = { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'apps', name: 'r' };
const GATEWAY = { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra', name: 'gw' };
const FIELD = 'spec.rules[0].backendRefs[0]';

function svcRef(namespace: string, name = 'echo'): ObjectRef {
  return { group: '', kind: 'Service', namespace, name };
}

function resolve(items: AnyIrItem[], ref: ObjectRef, port?: number) {
  return resolveBackendRef(new IrIndex(items), ROUTE, ref, port, FIELD);
}

const ROUTE_TO_SERVICE = [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'apps' }];

describe('resolveBackendRef', () => {
  it('resolves a Service port in the same namespace with its EndpointSlices', () => {
    // Prepare
    const items = [
      service('echo', [8080], { namespace: 'apps' }),
      item(
        'EndpointSlice',
        'echo-1',
        { serviceName: 'echo', addressType: 'IPv4', ports: [], endpoints: [] },
        { namespace: 'apps' },
      ),
      item(
        'EndpointSlice',
        'other-1',
        { serviceName: 'other', addressType: 'IPv4', ports: [], endpoints: [] },
        { namespace: 'apps' },
      ),
    ];

    // Act
    const result = resolve(items, svcRef('apps'), 8080);

    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok || result.target.type !== 'Service') throw new Error('expected a Service');
    expect(result.target.port.port).toBe(8080);
    expect(result.target.slices).toHaveLength(1);
  });

  it('names the port field when the Service has no such port', () => {
    // Act
    const result = resolve([service('echo', [8080], { namespace: 'apps' })], svcRef('apps'), 9090);

    // Assess
    expect(result).toEqual({
      ok: false,
      problem: {
        reason: 'BackendNotFound',
        field: `${FIELD}.port`,
        message: 'Service apps/echo has no port 9090 (ports: 8080)',
      },
    });
  });

  it('reports BackendNotFound for a missing or invalid Service', () => {
    // Act
    const missing = resolve([], svcRef('apps', 'missing'), 80);
    const invalid = resolve([item('Service', 'bad', null, { namespace: 'apps' })], svcRef('apps', 'bad'), 80);

    // Assess
    expect(missing).toEqual({
      ok: false,
      problem: { reason: 'BackendNotFound', field: FIELD, message: 'Service apps/missing not found' },
    });
    expect(invalid).toMatchObject({
      ok: false,
      problem: { reason: 'BackendNotFound', message: 'Service apps/bad is invalid' },
    });
  });

  it('reports InvalidKind for a kind it does not know', () => {
    // Act
    const result = resolve([], { group: 'example.com', kind: 'Bucket', namespace: 'apps', name: 'b' });

    // Assess
    expect(result).toEqual({
      ok: false,
      problem: {
        reason: 'InvalidKind',
        field: FIELD,
        message: 'unsupported backend kind Bucket in group example.com',
      },
    });
  });

  it('refuses a cross-namespace reference without a ReferenceGrant, before checking existence', () => {
    // Act
    const result = resolve([], svcRef('backends', 'does-not-exist'), 80);

    // Assess
    expect(result).toMatchObject({ ok: false, problem: { reason: 'RefNotPermitted', field: FIELD } });
  });

  it('allows a cross-namespace reference that a ReferenceGrant in the target namespace permits', () => {
    // Prepare
    const items = [
      service('echo', [80], { namespace: 'backends' }),
      referenceGrant('allow', 'backends', ROUTE_TO_SERVICE, [{ group: '', kind: 'Service' }]),
    ];

    // Act
    const result = resolve(items, svcRef('backends'), 80);

    // Assess
    expect(result.ok).toBe(true);
  });

  it.each([
    [
      'in the wrong namespace',
      referenceGrant('g', 'apps', ROUTE_TO_SERVICE, [{ group: '', kind: 'Service' }]),
    ],
    [
      'from another namespace',
      referenceGrant(
        'g',
        'backends',
        [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'x' }],
        [{ group: '', kind: 'Service' }],
      ),
    ],
    [
      'from another kind',
      referenceGrant(
        'g',
        'backends',
        [{ group: 'gateway.networking.k8s.io', kind: 'GRPCRoute', namespace: 'apps' }],
        [{ group: '', kind: 'Service' }],
      ),
    ],
    [
      'to another name',
      referenceGrant('g', 'backends', ROUTE_TO_SERVICE, [{ group: '', kind: 'Service', name: 'other' }]),
    ],
    [
      'to another kind',
      referenceGrant('g', 'backends', ROUTE_TO_SERVICE, [
        { group: 'gateway.envoyproxy.io', kind: 'Backend' },
      ]),
    ],
  ])('denies with a ReferenceGrant %s', (_label, grant) => {
    // Prepare
    const items = [service('echo', [80], { namespace: 'backends' }), grant];

    // Act
    const result = resolve(items, svcRef('backends'), 80);

    // Assess
    expect(result).toMatchObject({ ok: false, problem: { reason: 'RefNotPermitted' } });
  });

  it('resolves an AIServiceBackend to its Envoy Gateway Backend and BackendSecurityPolicy', () => {
    // Prepare
    const items = [
      item(
        'AIServiceBackend',
        'openai',
        {
          schema: { name: 'OpenAI' },
          backendRef: {
            group: 'gateway.envoyproxy.io',
            kind: 'Backend',
            namespace: 'apps',
            name: 'openai-eg',
          },
        },
        { namespace: 'apps' },
      ),
      item('Backend', 'openai-eg', { type: 'static', endpoints: [] }, { namespace: 'apps' }),
      item(
        'BackendSecurityPolicy',
        'key',
        {
          targetRefs: [{ group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name: 'openai' }],
          type: 'APIKey',
        },
        { namespace: 'apps' },
      ),
    ];

    // Act
    const result = resolve(items, {
      group: 'aigateway.envoyproxy.io',
      kind: 'AIServiceBackend',
      namespace: 'apps',
      name: 'openai',
    });

    // Assess
    if (!result.ok || result.target.type !== 'AIServiceBackend')
      throw new Error('expected an AIServiceBackend');
    expect(result.target.target.id.name).toBe('openai-eg');
    expect(result.target.policy?.type).toBe('APIKey');
  });

  it('reports an AIServiceBackend whose Backend is missing', () => {
    // Prepare
    const items = [
      item(
        'AIServiceBackend',
        'openai',
        {
          schema: { name: 'OpenAI' },
          backendRef: { group: 'gateway.envoyproxy.io', kind: 'Backend', namespace: 'apps', name: 'gone' },
        },
        { namespace: 'apps' },
      ),
    ];

    // Act
    const result = resolve(items, {
      group: 'aigateway.envoyproxy.io',
      kind: 'AIServiceBackend',
      namespace: 'apps',
      name: 'openai',
    });

    // Assess
    expect(result).toEqual({
      ok: false,
      problem: {
        reason: 'BackendNotFound',
        field: FIELD,
        message: 'AIServiceBackend apps/openai: spec.backendRef: Backend apps/gone not found',
      },
    });
  });
});

describe('backendTls', () => {
  function policy(name: string, sectionName?: string, hostname = `${name}.internal`): AnyIrItem {
    const target: { group: string; kind: string; name: string; sectionName?: string } = {
      group: '',
      kind: 'Service',
      name: 'echo',
    };
    if (sectionName !== undefined) target.sectionName = sectionName;
    return item(
      'BackendTLSPolicy',
      name,
      { targetRefs: [target], validation: { hostname, caCertificateRefs: [], subjectAltNames: [] } },
      { namespace: 'apps' },
    );
  }

  it('prefers a policy naming the port over one for the whole Service, and validates against the hostname', () => {
    // Prepare
    const index = new IrIndex([policy('a-whole'), policy('b-port', 'https')]);
    const echo = { group: '', kind: 'Service', namespace: 'apps', name: 'echo' };

    // Act
    const https = backendTls(index, echo, 'https');
    const http = backendTls(index, echo, 'http');

    // Assess
    expect(https).toEqual({
      sni: 'b-port.internal',
      caCertificateRefs: [],
      subjectAltNames: ['b-port.internal'],
    });
    expect(http?.sni).toBe('a-whole.internal');
  });
});

describe('checkCertificateRef', () => {
  const ref = (namespace: string, name = 'cert') => ({ kind: 'Secret' as const, namespace, name });
  const field = 'spec.listeners[0].tls.certificateRefs[0]';
  const gatewayToSecret = [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra' }];

  it('accepts a TLS Secret in the Gateway namespace', () => {
    // Act
    const problem = checkCertificateRef(
      new IrIndex([tlsSecret('cert', 'infra')]),
      GATEWAY,
      ref('infra'),
      field,
    );

    // Assess
    expect(problem).toBeUndefined();
  });

  it('refuses a Secret in another namespace without a ReferenceGrant', () => {
    // Act
    const problem = checkCertificateRef(
      new IrIndex([tlsSecret('cert', 'certs')]),
      GATEWAY,
      ref('certs'),
      field,
    );

    // Assess
    expect(problem).toEqual({
      reason: 'RefNotPermitted',
      field,
      message: 'Secret certs/cert is in another namespace and no ReferenceGrant in certs allows it',
    });
  });

  it('accepts a Secret in another namespace with a ReferenceGrant', () => {
    // Prepare
    const items = [
      tlsSecret('cert', 'certs'),
      referenceGrant('g', 'certs', gatewayToSecret, [{ group: '', kind: 'Secret', name: 'cert' }]),
    ];

    // Act
    const problem = checkCertificateRef(new IrIndex(items), GATEWAY, ref('certs'), field);

    // Assess
    expect(problem).toBeUndefined();
  });

  it('reports a missing Secret or one without a key pair as InvalidCertificateRef', () => {
    // Prepare
    const opaque = item('Secret', 'opaque', { type: 'Opaque', keys: ['token'] }, { namespace: 'infra' });
    const index = new IrIndex([opaque]);

    // Act
    const missing = checkCertificateRef(index, GATEWAY, ref('infra', 'nope'), field);
    const wrongType = checkCertificateRef(index, GATEWAY, ref('infra', 'opaque'), field);

    // Assess
    expect(missing).toMatchObject({
      reason: 'InvalidCertificateRef',
      message: 'Secret infra/nope not found',
    });
    expect(wrongType?.reason).toBe('InvalidCertificateRef');
    expect(wrongType?.message).toContain('lacks tls.crt and tls.key');
  });

  it('does not judge existence when the input holds no Secret at all', () => {
    // Act
    const problem = checkCertificateRef(new IrIndex([]), GATEWAY, ref('infra'), field);

    // Assess
    expect(problem).toBeUndefined();
  });
});
