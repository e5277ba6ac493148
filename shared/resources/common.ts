// Zod pieces shared by the Kubernetes resource schemas: names, hostnames, ports, Gateway API
// durations, label selectors, plus the few checks that need code rather than a pattern
// (durations, RE2-style regular expressions, IP addresses).

import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';

/** Error param for zod types: says "is required" when the field is missing, zod's default otherwise. */
export const REQUIRED = {
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : undefined),
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const WILDCARD_HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const GROUP = /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KIND = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
// RFC 7230 token characters.
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
const GATEWAY_CONTROLLER =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;
const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const DURATION_PART = /([0-9]{1,5})(ms|h|m|s)/g;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const shown = (value: unknown): string => JSON.stringify(value);

/** DNS-1123 label (namespaces, port names): lower-case alphanumerics and '-', at most 63 characters. */
export const dnsLabel = z
  .string(REQUIRED)
  .max(63, 'must be at most 63 characters')
  .regex(DNS_LABEL, {
    error: (iss) =>
      `${shown(iss.input)} is not a DNS-1123 label: use lower-case letters, digits and '-', starting and ending with an alphanumeric (e.g. "my-name")`,
  });

/** DNS-1123 subdomain (most object names, external names): dot-separated DNS labels, at most 253 characters. */
export const dnsSubdomain = z
  .string(REQUIRED)
  .max(253, 'must be at most 253 characters')
  .regex(DNS_SUBDOMAIN, {
    error: (iss) =>
      `${shown(iss.input)} is not a DNS-1123 subdomain: use lower-case letters, digits, '-' and '.' (e.g. "api.example.com")`,
  });

/** Kubernetes namespace. */
export const namespace = dnsLabel;

/** Gateway API ObjectName: any non-empty string of at most 253 characters. */
export const objectName = z
  .string(REQUIRED)
  .min(1, 'must not be empty')
  .max(253, 'must be at most 253 characters');

/** Gateway API SectionName (listener and rule names). */
export const sectionName = dnsSubdomain;

/** Gateway API Group: '' for the core group, otherwise a DNS subdomain. */
export const group = z
  .string(REQUIRED)
  .max(253, 'must be at most 253 characters')
  .regex(GROUP, {
    error: (iss) => `${shown(iss.input)} is not an API group: use '' for the core group or a DNS subdomain`,
  });

/** Gateway API Kind: a CamelCase identifier. */
export const kind = z
  .string(REQUIRED)
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(KIND, {
    error: (iss) => `${shown(iss.input)} is not a kind: use letters, digits and '-' (e.g. "Service")`,
  });

/** A TCP/UDP port number, 1–65535. */
export const portNumber = z
  .number(REQUIRED)
  .int('must be an integer')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

function hostnameProblem(value: string, allowWildcard: boolean): string | undefined {
  if (value.length > 253) return `${shown(value)} is longer than 253 characters`;
  if (!WILDCARD_HOSTNAME.test(value) || (!allowWildcard && value.startsWith('*.'))) {
    const wildcard = allowWildcard ? ", optionally prefixed by '*.'" : ' (no wildcard)';
    return `${shown(value)} is not a valid hostname: use lower-case DNS labels${wildcard}, e.g. "api.example.com"`;
  }
  if (isIPv4(value)) return `${shown(value)} is an IP address; a hostname is required`;
  return undefined;
}

/** Gateway API Hostname: a lower-case DNS name, optionally prefixed by `*.`; IP addresses are not allowed. */
export const hostname = z.string(REQUIRED).superRefine((value, ctx) => {
  const problem = hostnameProblem(value, true);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Gateway API PreciseHostname: like Hostname, without the wildcard. */
export const preciseHostname = z.string(REQUIRED).superRefine((value, ctx) => {
  const problem = hostnameProblem(value, false);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** HTTP header name (also used by Gateway API for query parameter names). */
export const headerName = z
  .string(REQUIRED)
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .regex(HEADER_NAME, {
    error: (iss) => `${shown(iss.input)} is not a valid HTTP header name (RFC 7230 token characters only)`,
  });

/** GatewayClass controllerName: `<domain>/<path>`. */
export const gatewayController = z
  .string(REQUIRED)
  .max(253, 'must be at most 253 characters')
  .regex(GATEWAY_CONTROLLER, {
    error: (iss) =>
      `${shown(iss.input)} is not a controller name: use a domain-prefixed path such as "fleetplane.dev/gateway-controller"`,
  });

/** Gateway API Duration (GEP-2257): one to four `<1-5 digits><h|m|s|ms>` components, e.g. `1h30m`, `500ms`. */
export const duration = z.string(REQUIRED).regex(DURATION, {
  error: (iss) =>
    `${shown(iss.input)} is not a Gateway API duration: use 1 to 4 components of up to 5 digits with unit h, m, s or ms (e.g. "10s", "1h2m", "500ms")`,
});

/** Milliseconds of a duration that matched `duration`; units may repeat and add up, as Go's time.ParseDuration does. */
export function durationMillis(value: string): number {
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  for (const match of value.matchAll(DURATION_PART)) {
    total += Number(match[1]) * (unit[match[2] ?? ''] ?? 0);
  }
  return total;
}

/** Kubernetes labels map. */
export const labels = z.record(z.string(), z.string());

const labelKey = z
  .string(REQUIRED)
  .min(1, 'must not be empty')
  .superRefine((value, ctx) => {
    const slash = value.indexOf('/');
    const prefix = slash === -1 ? undefined : value.slice(0, slash);
    const name = slash === -1 ? value : value.slice(slash + 1);
    const prefixOk = prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
    if (!prefixOk || name.length > 63 || !LABEL_NAME.test(name))
      ctx.addIssue({ code: 'custom', message: `${shown(value)} is not a valid label key` });
  });

const labelValue = z
  .string(REQUIRED)
  .max(63, 'must be at most 63 characters')
  .regex(LABEL_VALUE, { error: (iss) => `${shown(iss.input)} is not a valid label value` });

/** metav1.LabelSelector. */
export const labelSelector = z.object({
  matchLabels: z.record(labelKey, labelValue).optional(),
  matchExpressions: z
    .array(
      z
        .object({
          key: labelKey,
          operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist'], REQUIRED),
          values: z.array(labelValue).optional(),
        })
        .superRefine((expr, ctx) => {
          const count = expr.values?.length ?? 0;
          if ((expr.operator === 'In' || expr.operator === 'NotIn') && count === 0)
            ctx.addIssue({
              code: 'custom',
              path: ['values'],
              message: `must not be empty for operator ${expr.operator}`,
            });
          if ((expr.operator === 'Exists' || expr.operator === 'DoesNotExist') && count > 0)
            ctx.addIssue({
              code: 'custom',
              path: ['values'],
              message: `must be empty for operator ${expr.operator}`,
            });
        }),
    )
    .optional(),
});

export type LabelSelectorInput = z.output<typeof labelSelector>;

/** Checks that `apiVersion` is `<group>/<one of versions>`; returns the problem or undefined. */
export function apiVersionProblem(
  apiVersion: string,
  groupName: string,
  versions: readonly string[],
): string | undefined {
  const allowed = versions.map((v) => (groupName === '' ? v : `${groupName}/${v}`));
  return allowed.includes(apiVersion)
    ? undefined
    : `${shown(apiVersion)} is not supported; use ${allowed.map((v) => shown(v)).join(' or ')}`;
}

/**
 * Drops object properties whose value is null, recursively: the API server treats an explicit
 * null on an optional field as absent, and YAML writes an empty key (`matches:`) as null.
 */
export function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (v !== null) out[key] = dropNulls(v);
  return out;
}

export function isIpAddress(value: string): boolean {
  return isIPv4(value) || isIPv6(value);
}

/**
 * Checks a regular expression for what Envoy's RE2 engine accepts, approximated with the JS
 * engine: constructs RE2 lacks (lookaround, backreferences) are rejected, RE2-only syntax that JS
 * lacks (`(?P<name>`, inline flags such as `(?i)`) is translated before compiling. Returns the
 * problem or undefined.
 */
export function regexProblem(source: string): string | undefined {
  let js = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (!inClass && /[1-9]/.test(next)) return 'backreferences (\\1 ...) are not supported by RE2';
      if (!inClass && next === 'k' && source[i + 2] === '<')
        return 'named backreferences (\\k<name>) are not supported by RE2';
      js += c + next;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      js += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      js += c;
      continue;
    }
    if (c === '(' && source[i + 1] === '?') {
      const rest = source.slice(i + 2);
      if (rest.startsWith('=') || rest.startsWith('!'))
        return 'lookahead ((?= or (?!) is not supported by RE2';
      if (rest.startsWith('<=') || rest.startsWith('<!'))
        return 'lookbehind ((?<= or (?<!) is not supported by RE2';
      if (rest.startsWith('P<')) {
        js += '(?<';
        i += 3;
        continue;
      }
      const flags = /^[imsU-]+([:)])/.exec(rest);
      if (flags) {
        // JS has no inline flags; compile without them, since only the syntax is checked here.
        js += flags[1] === ':' ? '(?:' : '';
        i += 1 + flags[0].length;
        continue;
      }
    }
    js += c;
  }
  try {
    new RegExp(js);
    return undefined;
  } catch (err) {
    return `invalid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`;
  }
}
