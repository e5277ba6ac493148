// Envoy Gateway `Backend` (gateway.envoyproxy.io/v1alpha1) → BackendIR: FQDN, IP and unix-socket
// endpoints (or a DynamicResolver), application protocol, fallback priority and TLS. Validation
// follows Envoy Gateway's own: CRD rules plus its translator's checks on hostnames and addresses.

import {
  type BackendEndpointIR,
  type BackendIR,
  type EndpointAddressIR,
  Reason,
  type ResourceId,
  type SecretRef,
  type UpstreamProtocolIR,
  type UpstreamTlsIR,
} from '../ir/types.ts';
import { dropNulls } from '../resources/common.ts';
import {
  byKeys,
  checkDnsName,
  EG_MAX_ENDPOINTS,
  type EgBackendSpec,
  EgBackendSpecSchema,
  type EgBackendTls,
  type EgEndpoint,
  isLoopback,
  parseIpAddress,
  UNIX_PATH_MAX,
} from '../resources/envoy-gateway-backend.ts';
import {
  apiVersionFailure,
  type FieldError,
  makeIrItem,
  type ResourceTranslator,
  resourceId,
  type Validation,
  validateSchema,
} from './common.ts';
import { compareEndpoints } from './kgateway-backend.ts';

export const translateEnvoyGatewayBackend: ResourceTranslator<'Backend'> = (obj, ctx) => {
  const outcome: Validation<BackendIR> =
    apiVersionFailure(obj.apiVersion, 'gateway.envoyproxy.io', ['v1alpha1']) ??
    translateSpec(dropNulls(obj.spec), resourceId(obj, ctx));
  return makeIrItem('Backend', obj, ctx, outcome);
};

type Fail = (field: string, message: string, reason?: string) => undefined;

function translateSpec(spec: unknown, id: ResourceId): Validation<BackendIR> {
  const parsed = validateSchema(EgBackendSpecSchema, spec, 'spec');
  if (!parsed.valid) return parsed;
  const errors: FieldError[] = [];
  const fail: Fail = (field, message, reason) => {
    errors.push(reason === undefined ? { field, message } : { field, message, reason });
    return undefined;
  };
  const ir = backend(parsed.result, id, fail);
  return ir === undefined || errors.length > 0 ? { valid: false, errors } : { valid: true, result: ir };
}

const PROTOCOL: Record<string, UpstreamProtocolIR> = {
  'gateway.envoyproxy.io/h2c': 'h2c',
  'gateway.envoyproxy.io/ws': 'ws',
  'gateway.envoyproxy.io/wss': 'wss',
};

function backend(spec: EgBackendSpec, id: ResourceId, fail: Fail): BackendIR | undefined {
  const tls =
    spec.tls === undefined ? undefined : backendTls(spec.tls, spec.type === 'DynamicResolver', id, fail);
  const endpoints = spec.endpoints ?? [];

  if (spec.type === 'DynamicResolver') {
    if (endpoints.length > 0) {
      fail(
        'spec.endpoints',
        'must be empty when type is DynamicResolver: the upstream comes from the request Host',
      );
    }
    // The IR keeps neither for a DynamicResolver; rejecting beats silently dropping them.
    if (spec.appProtocols !== undefined && spec.appProtocols.length > 0) {
      fail('spec.appProtocols', 'is not supported with type DynamicResolver', Reason.UnsupportedValue);
    }
    if (spec.fallback)
      fail('spec.fallback', 'is not supported with type DynamicResolver', Reason.UnsupportedValue);
    return { type: 'dynamicResolver', ...(tls === undefined ? {} : { tls }) };
  }

  if (endpoints.length === 0) {
    return fail('spec.endpoints', 'at least one endpoint is required when type is Endpoints (the default)');
  }
  if (endpoints.length > EG_MAX_ENDPOINTS) {
    return fail(
      'spec.endpoints',
      `at most ${EG_MAX_ENDPOINTS} endpoints are allowed (got ${endpoints.length})`,
    );
  }
  const priority = spec.fallback ? 1 : 0;
  const out: BackendEndpointIR[] = [];
  endpoints.forEach((ep, i) => {
    const address = endpointAddress(ep, `spec.endpoints[${i}]`, fail);
    if (address) out.push({ address, priority });
  });
  checkAddressTypes(endpoints, fail);

  const protocols = [...new Set(spec.appProtocols ?? [])].sort();
  if (protocols.length > 1) {
    fail(
      'spec.appProtocols',
      `only one application protocol per Backend is supported (got ${protocols.join(', ')})`,
      Reason.UnsupportedValue,
    );
  }
  const [appProtocol] = protocols;
  return {
    type: 'static',
    endpoints: out.sort(compareEndpoints),
    protocol: appProtocol === undefined ? 'http1' : (PROTOCOL[appProtocol] ?? 'http1'),
    ...(tls === undefined ? {} : { tls }),
  };
}

function endpointAddress(ep: EgEndpoint, field: string, fail: Fail): EndpointAddressIR | undefined {
  const set = (['fqdn', 'ip', 'unix'] as const).filter((k) => ep[k] !== undefined);
  if (set.length !== 1) {
    return fail(
      field,
      `exactly one of fqdn, ip or unix must be set; ${set.length === 0 ? 'none is' : `found ${set.join(' and ')}`}`,
    );
  }
  if (ep.fqdn) {
    const { hostname, port } = ep.fqdn;
    if (parseIpAddress(hostname))
      return fail(`${field}.fqdn.hostname`, `${hostname} is an IP address; use ip instead`);
    const problem = checkDnsName(hostname, { minLabels: 2, lowerCaseOnly: true });
    if (problem) return fail(`${field}.fqdn.hostname`, problem);
    return { kind: 'fqdn', hostname, port };
  }
  if (ep.ip) {
    const ip = parseIpAddress(ep.ip.address);
    if (ip === undefined) {
      return fail(`${field}.ip.address`, `"${ep.ip.address}" is not an IPv4 or IPv6 address`);
    }
    if (isLoopback(ip)) {
      return fail(
        `${field}.ip.address`,
        `${ep.ip.address} is in the loopback range, which Envoy Gateway does not allow: it reaches the proxy itself`,
      );
    }
    return { kind: 'ip', address: ip.address, port: ep.ip.port };
  }
  if (ep.unix) {
    const { path } = ep.unix;
    if (!path.startsWith('/')) return fail(`${field}.unix.path`, `"${path}" must be an absolute path`);
    if (new TextEncoder().encode(path).length > UNIX_PATH_MAX) {
      return fail(`${field}.unix.path`, `must not exceed ${UNIX_PATH_MAX} bytes, the unix socket path limit`);
    }
    return { kind: 'unix', path };
  }
  return undefined;
}

/**
 * Envoy Gateway rejects a Backend that mixes FQDN endpoints with IP or unix ones: an FQDN needs a
 * DNS-resolved cluster and the others a static one, and one Backend is one cluster.
 */
function checkAddressTypes(endpoints: EgEndpoint[], fail: Fail): void {
  const firstOf = (kind: 'fqdn' | 'ip' | 'unix') => endpoints.findIndex((ep) => ep[kind] !== undefined);
  const fqdn = firstOf('fqdn');
  if (fqdn === -1) return;
  const other = endpoints.findIndex(
    (ep) => ep.fqdn === undefined && (ep.ip !== undefined || ep.unix !== undefined),
  );
  if (other === -1) return;
  const otherKind = endpoints[other]?.ip !== undefined ? 'ip' : 'unix';
  fail(
    'spec.endpoints',
    `fqdn endpoints cannot be mixed with other address types (endpoints[${fqdn}] is fqdn, ` +
      `endpoints[${other}] is ${otherKind}); use one Backend per address type`,
    Reason.UnsupportedAddressType,
  );
}

/** Envoy Gateway's `spec.tls`: a trust anchor (CA refs or the system store) unless verification is skipped. */
function backendTls(
  tls: EgBackendTls,
  dynamic: boolean,
  id: ResourceId,
  fail: Fail,
): UpstreamTlsIR | undefined {
  const refs = tls.caCertificateRefs ?? [];
  const wellKnown = tls.wellKnownCACertificates;
  const insecure = tls.insecureSkipVerify ?? false;
  if (refs.length > 0 && wellKnown !== undefined) {
    return fail('spec.tls', 'set either caCertificateRefs or wellKnownCACertificates, not both');
  }
  if (insecure && (refs.length > 0 || wellKnown !== undefined)) {
    return fail(
      'spec.tls.insecureSkipVerify',
      'must not be true together with caCertificateRefs or wellKnownCACertificates',
    );
  }
  if (!insecure && refs.length === 0 && wellKnown === undefined) {
    return fail(
      'spec.tls',
      'set caCertificateRefs or wellKnownCACertificates: System to verify the backend, or insecureSkipVerify: true',
    );
  }
  const caCertificateRefs: SecretRef[] = [];
  refs.forEach((ref, i) => {
    const field = `spec.tls.caCertificateRefs[${i}]`;
    if ((ref.group ?? '') !== '' || (ref.kind !== 'ConfigMap' && ref.kind !== 'Secret')) {
      fail(
        field,
        `${ref.group ? `${ref.group}/` : ''}${ref.kind} is not supported; reference a core ConfigMap or Secret ` +
          'holding ca.crt',
        Reason.InvalidKind,
      );
      return;
    }
    if (!caCertificateRefs.some((r) => r.kind === ref.kind && r.name === ref.name)) {
      caCertificateRefs.push({ kind: ref.kind, namespace: id.namespace, name: ref.name });
    }
  });
  let sni: string | undefined;
  if (tls.sni !== undefined) {
    const problem = parseIpAddress(tls.sni)
      ? 'SNI must be a hostname, not an IP address'
      : checkDnsName(tls.sni);
    if (problem) return fail('spec.tls.sni', problem);
    sni = tls.sni.toLowerCase();
  }
  return {
    ...(sni === undefined ? {} : { sni }),
    // A DynamicResolver only learns the upstream host per request, so SNI has to follow it.
    ...(dynamic && sni === undefined ? { autoSni: true } : {}),
    caCertificateRefs: caCertificateRefs.sort(
      byKeys(
        (r) => r.kind,
        (r) => r.name,
      ),
    ),
    ...(wellKnown === undefined ? {} : { wellKnownCACertificates: wellKnown }),
    subjectAltNames: [],
    insecureSkipVerify: insecure,
  };
}
