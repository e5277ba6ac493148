import { describe, expect, it } from 'vitest';
import type { UpstreamTlsIR } from '../../../../shared/ir/types.ts';
import {
  autoSniProtocolOptions,
  SYSTEM_CA_BUNDLE,
  sanMatcher,
  upstreamTlsTransportSocket,
} from '../../../../shared/xds/clusters/tls.ts';
import type { JsonObject } from '../../../../shared/xds/types.ts';

const ADS = { type: 'ads' } as const;
const UPSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

function tls(fields: Partial<UpstreamTlsIR> = {}): UpstreamTlsIR {
  return { caCertificateRefs: [], subjectAltNames: [], ...fields };
}

function context(socket: JsonObject): JsonObject {
  return socket.typed_config as JsonObject;
}

describe('upstreamTlsTransportSocket', () => {
  it('is envoy.transport_sockets.tls with an UpstreamTlsContext', () => {
    // Act
    const socket = upstreamTlsTransportSocket(tls({ sni: 'api.example.com' }), ADS);

    // Assess
    expect(socket.name).toBe('envoy.transport_sockets.tls');
    expect(context(socket)['@type']).toBe(UPSTREAM_TLS);
    expect(context(socket).sni).toBe('api.example.com');
  });

  it('trusts the system bundle by default and pins the SNI name as a SAN', () => {
    // Act
    const socket = upstreamTlsTransportSocket(
      tls({ sni: 'api.example.com', wellKnownCACertificates: 'System' }),
      ADS,
    );

    // Assess
    expect(context(socket).common_tls_context).toEqual({
      validation_context: {
        trusted_ca: { filename: SYSTEM_CA_BUNDLE },
        match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'api.example.com' } }],
      },
    });
  });

  it('validates CA refs through SDS and keeps the SAN matchers in the default context', () => {
    // Prepare
    const caRef = { kind: 'ConfigMap' as const, namespace: 'default', name: 'ca' };

    // Act
    const socket = upstreamTlsTransportSocket(
      tls({
        sni: 'b.internal',
        caCertificateRefs: [caRef],
        subjectAltNames: ['spiffe://td/ns/a/sa/b', 'b.internal'],
      }),
      { type: 'path', dir: '/etc/envoy/sds' },
    );

    // Assess
    expect(context(socket).common_tls_context).toEqual({
      combined_validation_context: {
        default_validation_context: {
          match_typed_subject_alt_names: [
            { san_type: 'DNS', matcher: { exact: 'b.internal' } },
            { san_type: 'URI', matcher: { exact: 'spiffe://td/ns/a/sa/b' } },
          ],
        },
        validation_context_sds_secret_config: {
          name: 'configmap/default/ca',
          sds_config: {
            path_config_source: { path: '/etc/envoy/sds/configmap.default.ca.yaml' },
            resource_api_version: 'V3',
          },
        },
      },
    });
  });

  it('drops all validation for insecureSkipVerify but keeps the SNI', () => {
    // Act
    const socket = upstreamTlsTransportSocket(
      tls({ sni: 'x.example', insecureSkipVerify: true, subjectAltNames: ['x.example'] }),
      ADS,
    );

    // Assess
    expect(context(socket).common_tls_context).toEqual({});
    expect(context(socket).sni).toBe('x.example');
  });

  it('takes SNI and SAN validation from the endpoint hostname for DNS clusters without SNI', () => {
    // Act
    const socket = upstreamTlsTransportSocket(tls({ autoSni: true }), ADS, { hostSni: true });

    // Assess
    expect(context(socket)).toMatchObject({ auto_host_sni: true, auto_sni_san_validation: true });
    expect(context(socket)).not.toHaveProperty('sni');
  });

  it('does not ask for automatic SAN validation when SANs are pinned or validation is off', () => {
    // Act
    const pinned = upstreamTlsTransportSocket(tls({ subjectAltNames: ['a.example'] }), ADS, {
      hostSni: true,
    });
    const insecure = upstreamTlsTransportSocket(tls({ insecureSkipVerify: true }), ADS, { hostSni: true });

    // Assess
    expect(context(pinned)).not.toHaveProperty('auto_sni_san_validation');
    expect(context(insecure)).not.toHaveProperty('auto_sni_san_validation');
    expect(context(insecure).auto_host_sni).toBe(true);
  });
});

describe('autoSniProtocolOptions', () => {
  it('turns on auto_sni and auto_san_validation for autoSni without endpoint hostnames', () => {
    expect(autoSniProtocolOptions(tls({ autoSni: true }))).toEqual({
      auto_sni: true,
      auto_san_validation: true,
    });
  });

  it('leaves SAN validation to Envoy only when it validates at all', () => {
    expect(autoSniProtocolOptions(tls({ autoSni: true, insecureSkipVerify: true }))).toEqual({
      auto_sni: true,
    });
  });

  it('is undefined when the transport socket decides the SNI', () => {
    expect(autoSniProtocolOptions(tls({ sni: 'a.example', autoSni: true }))).toBeUndefined();
    expect(autoSniProtocolOptions(tls({ autoSni: true }), { hostSni: true })).toBeUndefined();
    expect(autoSniProtocolOptions(tls())).toBeUndefined();
  });
});

describe('sanMatcher', () => {
  it('uses URI for names with a scheme and DNS otherwise', () => {
    expect(sanMatcher('spiffe://td/x').san_type).toBe('URI');
    expect(sanMatcher('*.example.com').san_type).toBe('DNS');
  });
});
