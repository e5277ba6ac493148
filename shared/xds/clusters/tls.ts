// TLS origination: the `envoy.transport_sockets.tls` UpstreamTlsContext shared by every backend kind,
// plus the cluster-level auto-SNI switches that live in HttpProtocolOptions instead.
//
// Envoy pitfalls this module exists for:
// - No validation context means no verification at all: Envoy does not fall back to a system trust
//   store. "System" trust is therefore an explicit `trusted_ca` file.
// - A trusted CA alone only checks the chain, not the name: without SAN matchers (or auto SAN
//   validation) any certificate from a trusted CA is accepted. We pin the SNI name, or have Envoy
//   check the name it sent.
// - `auto_sni` (HttpProtocolOptions) takes the SNI from the request's Host *before*
//   `auto_host_rewrite` runs, so it sends the client's Host to a DNS backend. For those we use the
//   transport socket's `auto_host_sni`, which takes the endpoint's own hostname.

import type { UpstreamTlsIR } from '../../ir/types.ts';
import { sdsSecretConfig } from '../sds.ts';
import type { JsonObject, SdsMode } from '../types.ts';
import { ExtensionName, ExtensionType, typedExtension } from './extensions.ts';

/**
 * The CA bundle used for `wellKnownCACertificates: System` and as the default trust. Envoy 1.40 has
 * no working "use the OS store" switch: `validation_context.system_root_certs` loads fine but on
 * Linux verifies nothing (a self-signed upstream is accepted), so the file is named. This is the
 * Debian/Ubuntu path, present in the official envoyproxy/envoy and distroless images; Envoy refuses
 * to load a config naming a missing file.
 */
export const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export interface UpstreamTlsOptions {
  /**
   * The cluster's endpoints are DNS names and the route rewrites Host to them (static, AI and
   * AIServiceBackend clusters). Without an explicit SNI, SNI and SAN checks then follow each
   * endpoint's hostname (`auto_host_sni`) rather than the request's Host.
   * @default false
   */
  hostSni?: boolean;
}

type SniSource = 'explicit' | 'endpoint' | 'request' | 'none';

function sniSource(tls: UpstreamTlsIR, options: UpstreamTlsOptions): SniSource {
  if (tls.sni) return 'explicit';
  if (options.hostSni) return 'endpoint';
  if (tls.autoSni) return 'request';
  return 'none';
}

/** SAN names to pin: the explicit list, else the SNI name (Gateway API: the hostname must match). */
function pinnedNames(tls: UpstreamTlsIR): string[] {
  if (tls.subjectAltNames.length > 0) return [...new Set(tls.subjectAltNames)].sort();
  return tls.sni ? [tls.sni] : [];
}

/** True when the name check has to come from Envoy's automatic SAN validation. */
function needsAutoSanValidation(tls: UpstreamTlsIR, options: UpstreamTlsOptions): boolean {
  const source = sniSource(tls, options);
  return (
    !tls.insecureSkipVerify &&
    pinnedNames(tls).length === 0 &&
    (source === 'endpoint' || source === 'request')
  );
}

export function sanMatcher(name: string): JsonObject {
  return { san_type: name.includes('://') ? 'URI' : 'DNS', matcher: { exact: name } };
}

function commonTlsContext(tls: UpstreamTlsIR, sds: SdsMode): JsonObject {
  if (tls.insecureSkipVerify) return {};
  const matchers = pinnedNames(tls).map(sanMatcher);
  const names: JsonObject = matchers.length > 0 ? { match_typed_subject_alt_names: matchers } : {};
  // Envoy takes a single SDS validation context; a second CA reference would need a bundle served
  // under its own name. The producer sorts the refs, so the first one is stable.
  const caRef = tls.caCertificateRefs[0];
  if (caRef) {
    return {
      combined_validation_context: {
        default_validation_context: names,
        validation_context_sds_secret_config: sdsSecretConfig(caRef, sds),
      },
    };
  }
  return { validation_context: { trusted_ca: { filename: SYSTEM_CA_BUNDLE }, ...names } };
}

/** `transport_socket` for a cluster that originates TLS: `envoy.transport_sockets.tls`. */
export function upstreamTlsTransportSocket(
  tls: UpstreamTlsIR,
  sds: SdsMode,
  options: UpstreamTlsOptions = {},
): JsonObject {
  const context: JsonObject = { common_tls_context: commonTlsContext(tls, sds) };
  const source = sniSource(tls, options);
  if (source === 'explicit' && tls.sni) context.sni = tls.sni;
  if (source === 'endpoint') {
    context.auto_host_sni = true;
    if (needsAutoSanValidation(tls, options)) context.auto_sni_san_validation = true;
  }
  return typedExtension(ExtensionName.TlsTransportSocket, ExtensionType.UpstreamTlsContext, context);
}

/**
 * `upstream_http_protocol_options` for SNI taken from the request's Host (dynamic forward proxy,
 * `autoSni` on IP backends), or undefined when the transport socket alone decides the SNI.
 */
export function autoSniProtocolOptions(
  tls: UpstreamTlsIR,
  options: UpstreamTlsOptions = {},
): JsonObject | undefined {
  if (sniSource(tls, options) !== 'request') return undefined;
  return needsAutoSanValidation(tls, options)
    ? { auto_sni: true, auto_san_validation: true }
    : { auto_sni: true };
}

/** Trust the system bundle and check names automatically: what public providers need. */
export function systemTrust(fields: Partial<UpstreamTlsIR> = {}): UpstreamTlsIR {
  return { caCertificateRefs: [], subjectAltNames: [], wellKnownCACertificates: 'System', ...fields };
}
