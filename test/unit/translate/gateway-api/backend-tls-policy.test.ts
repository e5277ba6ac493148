import { describe, expect, it } from 'vitest';
import { translateBackendTLSPolicy } from '../../../../shared/translate/backend-tls-policy.ts';
import { acceptedSpec, ctx, fixture, manifest, rejection } from './support.ts';

function policy(spec: string, apiVersion = 'gateway.networking.k8s.io/v1') {
  return manifest(`
apiVersion: ${apiVersion}
kind: BackendTLSPolicy
metadata: { name: p, namespace: web }
spec:
${spec}
`);
}

const TARGET = '  targetRefs: [{ group: "", kind: Service, name: api }]';

describe('translateBackendTLSPolicy', () => {
  it('translates targets, CA references in the policy namespace and SANs as strings', () => {
    // Prepare
    const obj = fixture('backend-tls-policy');

    // Act
    const item = translateBackendTLSPolicy(obj, ctx);

    // Assess
    expect(acceptedSpec(item)).toEqual({
      targetRefs: [
        { group: '', kind: 'Service', name: 'api', sectionName: 'grpc' },
        { group: '', kind: 'Service', name: 'api', sectionName: 'https' },
      ],
      validation: {
        hostname: 'api.internal.example.com',
        caCertificateRefs: [{ kind: 'ConfigMap', namespace: 'web', name: 'internal-ca' }],
        subjectAltNames: ['api.internal.example.com', 'spiffe://cluster.local/ns/web/sa/api'],
      },
    });
  });

  it('accepts the system trust store instead of CA references (v1alpha3)', () => {
    const obj = policy(
      `${TARGET}\n  validation: { hostname: api.example.com, wellKnownCACertificates: System }`,
      'gateway.networking.k8s.io/v1alpha3',
    );

    const spec = acceptedSpec(translateBackendTLSPolicy(obj, ctx));

    expect(spec.validation).toEqual({
      hostname: 'api.example.com',
      caCertificateRefs: [],
      wellKnownCACertificates: 'System',
      subjectAltNames: [],
    });
  });

  it('rejects a policy with neither CA references nor the system trust store', () => {
    const obj = policy(`${TARGET}\n  validation: { hostname: api.example.com }`);

    const condition = rejection(translateBackendTLSPolicy(obj, ctx));

    expect(condition.message).toBe(
      'BackendTLSPolicy web/p: spec.validation: one of caCertificateRefs or wellKnownCACertificates (System) is required',
    );
  });

  it('rejects a policy with both CA references and the system trust store', () => {
    const obj = policy(`${TARGET}
  validation:
    hostname: api.example.com
    wellKnownCACertificates: System
    caCertificateRefs: [{ group: "", kind: ConfigMap, name: ca }]`);

    const condition = rejection(translateBackendTLSPolicy(obj, ctx));

    expect(condition.message).toContain(
      'spec.validation: set either caCertificateRefs or wellKnownCACertificates, not both',
    );
  });

  it('rejects a missing or wildcard hostname', () => {
    const missing = policy(`${TARGET}\n  validation: { wellKnownCACertificates: System }`);
    const wildcard = policy(
      `${TARGET}\n  validation: { hostname: "*.example.com", wellKnownCACertificates: System }`,
    );

    const missingCondition = rejection(translateBackendTLSPolicy(missing, ctx));
    const wildcardCondition = rejection(translateBackendTLSPolicy(wildcard, ctx));

    expect(missingCondition.message).toContain('spec.validation.hostname: is required');
    expect(wildcardCondition.message).toContain(
      'spec.validation.hostname: "*.example.com" is not a valid hostname',
    );
  });

  it('rejects a CA reference of an unsupported kind with InvalidKind', () => {
    const obj = policy(`${TARGET}
  validation:
    hostname: api.example.com
    caCertificateRefs: [{ group: cert-manager.io, kind: Certificate, name: ca }]`);

    const condition = rejection(translateBackendTLSPolicy(obj, ctx));

    expect(condition.reason).toBe('InvalidKind');
    expect(condition.message).toContain(
      'spec.validation.caCertificateRefs[0]: cert-manager.io Certificate is not supported',
    );
  });

  it('rejects SANs whose type and value disagree', () => {
    const obj = policy(`${TARGET}
  validation:
    hostname: api.example.com
    wellKnownCACertificates: System
    subjectAltNames: [{ type: Hostname, uri: "spiffe://a/b" }, { type: URI, uri: "not-a-uri" }]`);

    const condition = rejection(translateBackendTLSPolicy(obj, ctx));

    expect(condition.message).toContain(
      'spec.validation.subjectAltNames[0].hostname: is required when type is Hostname',
    );
    expect(condition.message).toContain(
      'spec.validation.subjectAltNames[1].uri: "not-a-uri" is not an absolute URI',
    );
  });

  it('rejects two references to one target unless each names a distinct section', () => {
    const obj = policy(`  targetRefs:
    - { group: "", kind: Service, name: api }
    - { group: "", kind: Service, name: api, sectionName: https }
    - { group: "", kind: Service, name: api, sectionName: https }
  validation: { hostname: api.example.com, wellKnownCACertificates: System }`);

    const condition = rejection(translateBackendTLSPolicy(obj, ctx));

    expect(condition.message).toContain(
      'spec.targetRefs[0].sectionName: is required because spec.targetRefs[0] refers to the same target',
    );
    expect(condition.message).toContain(
      'spec.targetRefs[2].sectionName: "https" is already targeted by spec.targetRefs[1]',
    );
  });

  it('rejects a missing targetRefs list', () => {
    const obj = policy('  validation: { hostname: api.example.com, wellKnownCACertificates: System }');

    const condition = rejection(translateBackendTLSPolicy(obj, ctx));

    expect(condition.message).toBe('BackendTLSPolicy web/p: spec.targetRefs: is required');
  });
});
