// Zod schemas for the Gateway API kinds we translate: GatewayClass, Gateway, HTTPRoute,
// ReferenceGrant and BackendTLSPolicy. They check structure and per-field syntax (what the CRD
// OpenAPI schema checks); rules that span fields, and enum values whose rejection carries a
// Gateway API reason (`UnsupportedValue`), are checked by the translators.

import { z } from 'zod';
import {
  duration,
  gatewayController,
  group,
  headerName,
  hostname,
  kind,
  labelSelector,
  namespace,
  objectName,
  portNumber,
  preciseHostname,
  REQUIRED,
  sectionName,
} from './common.ts';

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

/** Gateway API condition types and reasons that shared/ir/types.ts does not list. */
export const GatewayApiCondition = {
  /** Accepted with some parts (listeners, rules) left out; status True. */
  PartiallyInvalid: 'PartiallyInvalid',
  ProtocolConflict: 'ProtocolConflict',
  InvalidRouteKinds: 'InvalidRouteKinds',
} as const;

export const GATEWAY_API_VERSIONS = {
  GatewayClass: ['v1', 'v1beta1'],
  Gateway: ['v1', 'v1beta1'],
  HTTPRoute: ['v1', 'v1beta1'],
  ReferenceGrant: ['v1', 'v1beta1', 'v1alpha2'],
  BackendTLSPolicy: ['v1', 'v1alpha3'],
} as const;

const PROTOCOL =
  /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]+$/;
const ABSOLUTE_URI = /^(([^:/?#]+):)(\/\/([^/?#]*))([^?#]*)(\?([^#]*))?(#(.*))?$/;

/** A reference to an object in the same namespace; group and kind are required. */
export const localObjectReference = z.object({ group, kind, name: objectName }, REQUIRED);

/** A reference to a Secret-like object; group defaults to '' and kind to Secret. */
export const secretObjectReference = z.object(
  { group: group.optional(), kind: kind.optional(), name: objectName, namespace: namespace.optional() },
  REQUIRED,
);

/** A reference to a backend; group defaults to '' and kind to Service. */
export const backendObjectReference = z.object(
  {
    group: group.optional(),
    kind: kind.optional(),
    name: objectName,
    namespace: namespace.optional(),
    port: portNumber.optional(),
  },
  REQUIRED,
);

export const parentReference = z.object(
  {
    group: group.optional(),
    kind: kind.optional(),
    namespace: namespace.optional(),
    name: objectName,
    sectionName: sectionName.optional(),
    port: portNumber.optional(),
  },
  REQUIRED,
);

export type ParentReferenceInput = z.output<typeof parentReference>;
export type BackendObjectReferenceInput = z.output<typeof backendObjectReference>;

// ---------------------------------------------------------------------------------------------
// GatewayClass

export const gatewayClassSpec = z.object(
  { controllerName: gatewayController, description: z.string().max(64).optional() },
  REQUIRED,
);

// ---------------------------------------------------------------------------------------------
// Gateway

export const listenerSchema = z.object(
  {
    name: sectionName,
    hostname: hostname.optional(),
    port: portNumber,
    protocol: z
      .string(REQUIRED)
      .min(1, 'must not be empty')
      .max(255)
      .regex(PROTOCOL, {
        error: (iss) =>
          `${JSON.stringify(iss.input)} is not a protocol: use HTTP, HTTPS, TLS, TCP, UDP or a domain-prefixed name`,
      }),
    tls: z
      .object({
        mode: z.enum(['Terminate', 'Passthrough']).optional(),
        certificateRefs: z.array(secretObjectReference).max(64).optional(),
        options: z.record(z.string(), z.string()).optional(),
      })
      .optional(),
    allowedRoutes: z
      .object({
        namespaces: z
          .object({
            from: z.enum(['All', 'Selector', 'Same']).optional(),
            selector: labelSelector.optional(),
          })
          .optional(),
        kinds: z
          .array(z.object({ group: group.optional(), kind }, REQUIRED))
          .max(8)
          .optional(),
      })
      .optional(),
  },
  REQUIRED,
);

export type ListenerInput = z.output<typeof listenerSchema>;

export const gatewaySpec = z.object(
  {
    gatewayClassName: objectName,
    listeners: z.array(listenerSchema, REQUIRED).min(1, 'at least one listener is required').max(64),
  },
  REQUIRED,
);

// ---------------------------------------------------------------------------------------------
// HTTPRoute

const pathMatch = z.object({ type: z.string().optional(), value: z.string().max(1024).optional() });

const headerMatch = z.object(
  {
    type: z.string().optional(),
    name: headerName,
    value: z.string(REQUIRED).min(1, 'must not be empty').max(4096),
  },
  REQUIRED,
);

const queryParamMatch = z.object(
  {
    type: z.string().optional(),
    name: headerName,
    value: z.string(REQUIRED).min(1, 'must not be empty').max(1024),
  },
  REQUIRED,
);

export const routeMatchSchema = z.object(
  {
    path: pathMatch.optional(),
    headers: z.array(headerMatch).max(16).optional(),
    queryParams: z.array(queryParamMatch).max(16).optional(),
    method: z.string().optional(),
  },
  REQUIRED,
);

const httpHeader = z.object(
  { name: headerName, value: z.string(REQUIRED).min(1, 'must not be empty').max(4096) },
  REQUIRED,
);

export const headerFilterSchema = z.object({
  set: z.array(httpHeader).max(16).optional(),
  add: z.array(httpHeader).max(16).optional(),
  remove: z.array(headerName).max(16).optional(),
});

export const pathModifierSchema = z.object({
  type: z.string(REQUIRED),
  replaceFullPath: z.string().max(1024).optional(),
  replacePrefixMatch: z.string().max(1024).optional(),
});

export const filterSchema = z.object(
  {
    type: z.string(REQUIRED).min(1, 'must not be empty'),
    requestHeaderModifier: headerFilterSchema.optional(),
    responseHeaderModifier: headerFilterSchema.optional(),
    requestMirror: z
      .object({
        backendRef: backendObjectReference,
        percent: z.number().int().min(0).max(100).optional(),
        fraction: z
          .object({
            numerator: z.number(REQUIRED).int().min(0),
            denominator: z.number().int().min(1, 'must be at least 1').optional(),
          })
          .optional(),
      })
      .optional(),
    requestRedirect: z
      .object({
        scheme: z.string().optional(),
        hostname: preciseHostname.optional(),
        path: pathModifierSchema.optional(),
        port: portNumber.optional(),
        statusCode: z.number().int('must be an integer').optional(),
      })
      .optional(),
    urlRewrite: z
      .object({ hostname: preciseHostname.optional(), path: pathModifierSchema.optional() })
      .optional(),
    extensionRef: localObjectReference.optional(),
    cors: z.unknown().optional(),
    externalAuth: z.unknown().optional(),
  },
  REQUIRED,
);

export type FilterInput = z.output<typeof filterSchema>;

export const httpBackendRefSchema = backendObjectReference.extend({
  weight: z.number().int('must be an integer').min(0).max(1_000_000).optional(),
  filters: z.array(filterSchema).max(16).optional(),
});

export const httpRouteRuleSchema = z.object(
  {
    name: sectionName.optional(),
    matches: z.array(routeMatchSchema).max(64).optional(),
    filters: z.array(filterSchema).max(16).optional(),
    backendRefs: z.array(httpBackendRefSchema).max(16).optional(),
    timeouts: z.object({ request: duration.optional(), backendRequest: duration.optional() }).optional(),
  },
  REQUIRED,
);

export type HTTPRouteRuleInput = z.output<typeof httpRouteRuleSchema>;

export const httpRouteSpec = z.object(
  {
    parentRefs: z.array(parentReference).max(32).optional(),
    hostnames: z.array(hostname).max(16).optional(),
    rules: z.array(httpRouteRuleSchema).max(16).optional(),
  },
  REQUIRED,
);

// ---------------------------------------------------------------------------------------------
// ReferenceGrant

export const referenceGrantSpec = z.object(
  {
    from: z.array(z.object({ group, kind, namespace }, REQUIRED), REQUIRED).min(1).max(16),
    to: z
      .array(z.object({ group, kind, name: objectName.optional() }, REQUIRED), REQUIRED)
      .min(1)
      .max(16),
  },
  REQUIRED,
);

// ---------------------------------------------------------------------------------------------
// BackendTLSPolicy

const subjectAltName = z
  .object(
    {
      type: z.enum(['Hostname', 'URI'], REQUIRED),
      hostname: hostname.optional(),
      uri: z
        .string()
        .max(253)
        .regex(ABSOLUTE_URI, {
          error: (iss) =>
            `${JSON.stringify(iss.input)} is not an absolute URI: include a scheme and authority (e.g. "spiffe://cluster.local/ns/default/sa/api")`,
        })
        .optional(),
    },
    REQUIRED,
  )
  .superRefine((san, ctx) => {
    if (san.type === 'Hostname' && !san.hostname)
      ctx.addIssue({ code: 'custom', path: ['hostname'], message: 'is required when type is Hostname' });
    if (san.type !== 'Hostname' && san.hostname)
      ctx.addIssue({
        code: 'custom',
        path: ['hostname'],
        message: 'must not be set unless type is Hostname',
      });
    if (san.type === 'URI' && !san.uri)
      ctx.addIssue({ code: 'custom', path: ['uri'], message: 'is required when type is URI' });
    if (san.type !== 'URI' && san.uri)
      ctx.addIssue({ code: 'custom', path: ['uri'], message: 'must not be set unless type is URI' });
  });

export const backendTLSPolicySpec = z.object(
  {
    targetRefs: z
      .array(
        z.object({ group, kind, name: objectName, sectionName: sectionName.optional() }, REQUIRED),
        REQUIRED,
      )
      .min(1, 'at least one targetRef is required')
      .max(16),
    validation: z.object(
      {
        caCertificateRefs: z.array(localObjectReference).max(8).optional(),
        wellKnownCACertificates: z.enum(['System', '']).optional(),
        hostname: preciseHostname,
        subjectAltNames: z.array(subjectAltName).max(5).optional(),
      },
      REQUIRED,
    ),
    options: z.record(z.string(), z.string()).optional(),
  },
  REQUIRED,
);
