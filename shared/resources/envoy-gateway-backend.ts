// Input schema of the Envoy Gateway `Backend` (gateway.envoyproxy.io/v1alpha1), plus the address
// and zod primitives the other backend resources share: ports, hostnames, IP addresses, required
// strings with messages that say what is expected.

import { isIPv6 } from 'node:net';
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Shared primitives

type Issue = { input?: unknown };

/** A zod error function: `required` when absent, otherwise what the value must be. */
export function mustBe(what: string): (issue: Issue) => string {
  return (issue) => (issue.input === undefined ? 'required' : `must be ${what}`);
}

/** A non-empty string. */
export function requiredString(): z.ZodString {
  return z.string({ error: mustBe('a string') }).min(1, 'must not be empty');
}

export function optionalBoolean() {
  return z.boolean({ error: mustBe('true or false') }).optional();
}

/** A TCP port, 1-65535. Envoy rejects port 0 for upstream endpoints. */
export function port() {
  const error = (issue: Issue) =>
    issue.input === undefined
      ? 'required'
      : `must be a port number between 1 and 65535 (got ${JSON.stringify(issue.input)})`;
  return z.number({ error }).int({ error }).min(1, { error }).max(65535, { error });
}

/** One of a fixed set of strings; the message lists them. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (issue) =>
      issue.input === undefined
        ? 'required'
        : `must be one of ${values.join(', ')} (got ${JSON.stringify(issue.input)})`,
  });
}

export function object<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.object(shape, { error: mustBe('an object') });
}

export function array<T extends z.ZodType>(item: T) {
  return z.array(item, { error: mustBe('a list') });
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface IpAddress {
  family: 4 | 6;
  /** IPv6 compressed and lower-cased, so equal addresses compare equal. */
  address: string;
}

/** Parses an IPv4 (no leading zeros) or IPv6 (no zone) address. */
export function parseIpAddress(value: string): IpAddress | undefined {
  if (IPV4.test(value)) return { family: 4, address: value };
  if (!value.includes('%') && isIPv6(value)) {
    return { family: 6, address: new URL(`http://[${value}]`).hostname.slice(1, -1) };
  }
  return undefined;
}

/** 127.0.0.0/8, ::1 and IPv4-mapped loopback: the proxy itself, including its admin port. */
export function isLoopback(ip: IpAddress): boolean {
  if (ip.family === 4) return ip.address.startsWith('127.');
  return ip.address === '::1' || ip.address.startsWith('::ffff:7f');
}

/**
 * A DNS name as Envoy resolves it (RFC 1123 labels, at most 253 characters). Lower-case only when
 * `lowerCaseOnly`, as Envoy Gateway requires; `minLabels` 2 rejects `localhost`-style names.
 */
export function checkDnsName(name: string, opts: { minLabels?: number; lowerCaseOnly?: boolean } = {}) {
  const candidate = opts.lowerCaseOnly ? name : name.toLowerCase();
  const labels = candidate.split('.');
  if (name.length > 253 || !labels.every((l) => DNS_LABEL.test(l))) {
    return `"${name}" is not a valid DNS name (labels of a-z 0-9 and -, at most 63 characters each)`;
  }
  if (labels.length < (opts.minLabels ?? 1)) {
    return `"${name}" must be a domain with at least ${opts.minLabels} labels separated by dots`;
  }
  return undefined;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** An HTTP header field name (RFC 9110 token); pseudo-headers such as `:path` are not allowed. */
export function checkHeaderName(name: string): string | undefined {
  return HEADER_NAME.test(name)
    ? undefined
    : `"${name}" is not a valid HTTP header name (letters, digits and !#$%&'*+.^_\`|~-)`;
}

/** Compares by the given keys in order; for sorting IR arrays whose order carries no meaning. */
export function byKeys<T>(...keys: Array<(item: T) => string | number>): (a: T, b: T) => number {
  return (a, b) => {
    for (const key of keys) {
      const x = key(a);
      const y = key(b);
      if (x < y) return -1;
      if (x > y) return 1;
    }
    return 0;
  };
}

// ---------------------------------------------------------------------------------------------
// Envoy Gateway Backend

export const EG_APP_PROTOCOLS = [
  'gateway.envoyproxy.io/h2c',
  'gateway.envoyproxy.io/ws',
  'gateway.envoyproxy.io/wss',
] as const;

/** Envoy Gateway allows at most 64 endpoints per Backend. */
export const EG_MAX_ENDPOINTS = 64;

/** A `sun_path` is 108 bytes on Linux; a longer path cannot be connected to. */
export const UNIX_PATH_MAX = 108;

export const EgEndpointSchema = object({
  fqdn: object({ hostname: requiredString(), port: port() }).optional(),
  ip: object({ address: requiredString(), port: port() }).optional(),
  unix: object({ path: requiredString() }).optional(),
  zone: z.string().optional(),
});

/** Gateway API LocalObjectReference: group '' means core. */
export const LocalObjectReferenceSchema = object({
  group: z.string({ error: mustBe('a string') }).optional(),
  kind: requiredString(),
  name: requiredString(),
});

export const EgBackendTlsSchema = object({
  caCertificateRefs: array(LocalObjectReferenceSchema)
    .max(8, 'at most 8 CA certificate references')
    .optional(),
  wellKnownCACertificates: oneOf(['System']).optional(),
  insecureSkipVerify: optionalBoolean(),
  sni: requiredString().optional(),
});

export const EgBackendSpecSchema = object({
  type: oneOf(['Endpoints', 'DynamicResolver']).optional(),
  endpoints: array(EgEndpointSchema).optional(),
  appProtocols: array(oneOf(EG_APP_PROTOCOLS)).optional(),
  fallback: optionalBoolean(),
  tls: EgBackendTlsSchema.optional(),
});

export type EgEndpoint = z.infer<typeof EgEndpointSchema>;
export type EgBackendTls = z.infer<typeof EgBackendTlsSchema>;
export type EgBackendSpec = z.infer<typeof EgBackendSpecSchema>;
export type LocalObjectReference = z.infer<typeof LocalObjectReferenceSchema>;
