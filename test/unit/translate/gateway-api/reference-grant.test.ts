import { describe, expect, it } from 'vitest';
import { translateReferenceGrant } from '../../../../shared/translate/reference-grant.ts';
import { acceptedSpec, ctx, fixture, manifest, rejection } from './support.ts';

describe('translateReferenceGrant', () => {
  it('translates from and to, sorted, keeping a missing name as "any name"', () => {
    // Prepare
    const obj = fixture('reference-grant');

    // Act
    const item = translateReferenceGrant(obj, ctx);

    // Assess
    expect(acceptedSpec(item)).toEqual({
      from: [
        { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra' },
        { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'web' },
      ],
      to: [
        { group: '', kind: 'Secret' },
        { group: '', kind: 'Service', name: 'api-canary' },
      ],
    });
    expect(item.id).toEqual({
      group: 'gateway.networking.k8s.io',
      kind: 'ReferenceGrant',
      namespace: 'canary',
      name: 'allow-web-routes',
    });
  });

  it('accepts v1alpha2 and v1', () => {
    for (const version of ['v1alpha2', 'v1']) {
      const obj = { ...fixture('reference-grant'), apiVersion: `gateway.networking.k8s.io/${version}` };

      const item = translateReferenceGrant(obj, ctx);

      expect(acceptedSpec(item).from).toHaveLength(2);
    }
  });

  it('rejects missing from and to entries and fields, naming each path', () => {
    const obj = manifest(`
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: g, namespace: canary }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: HTTPRoute }]
  to: []
`);

    const condition = rejection(translateReferenceGrant(obj, ctx));

    expect(condition.reason).toBe('Invalid');
    expect(condition.message).toMatch(/^ReferenceGrant canary\/g: /);
    expect(condition.message).toContain('spec.from[0].namespace: is required');
    expect(condition.message).toContain('spec.to: Too small');
  });

  it('rejects a bad namespace and kind', () => {
    const obj = manifest(`
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: g }
spec:
  from: [{ group: "", kind: "1Route", namespace: Web_NS }]
  to: [{ group: "", kind: Service }]
`);

    const condition = rejection(translateReferenceGrant(obj, ctx));

    expect(condition.message).toContain('spec.from[0].kind: "1Route" is not a kind');
    expect(condition.message).toContain('spec.from[0].namespace: "Web_NS" is not a DNS-1123 label');
  });
});
