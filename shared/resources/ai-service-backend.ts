// Input schema of the Envoy AI Gateway `AIServiceBackend` (aigateway.envoyproxy.io v1alpha1 and
// v1beta1; the fields fleetplane reads are spelled the same in both versions).

import { z } from 'zod';
import { array, mustBe, object, oneOf, requiredString } from './envoy-gateway-backend.ts';

export const AI_SCHEMA_NAMES = [
  'OpenAI',
  'Anthropic',
  'AWSBedrock',
  'AzureOpenAI',
  'GCPVertexAI',
  'GCPAnthropic',
  'AWSAnthropic',
  'Cohere',
] as const;

export const AI_GATEWAY_VERSIONS = ['v1alpha1', 'v1beta1'] as const;

/** The AI Gateway CRDs allow at most 16 entries per mutation list. */
export const MAX_MUTATIONS = 16;

const optionalString = () => z.string({ error: mustBe('a string') }).optional();

/** Gateway API BackendObjectReference; group defaults to '' (core) and kind to Service. */
export const BackendObjectReferenceSchema = object({
  group: optionalString(),
  kind: optionalString(),
  name: requiredString(),
  namespace: requiredString().optional(),
  port: z.number({ error: mustBe('a number') }).optional(),
});

export const HeaderMutationSchema = object({
  set: array(object({ name: requiredString(), value: z.string({ error: mustBe('a string') }) }))
    .max(MAX_MUTATIONS, `at most ${MAX_MUTATIONS} entries`)
    .optional(),
  remove: array(requiredString()).max(MAX_MUTATIONS, `at most ${MAX_MUTATIONS} entries`).optional(),
});

export const BodyMutationSchema = object({
  /** `value` is JSON text: `"\"gpt-4o\""` sets a string, `0.2` a number. */
  set: array(object({ path: requiredString(), value: requiredString() }))
    .max(MAX_MUTATIONS, `at most ${MAX_MUTATIONS} entries`)
    .optional(),
  remove: array(requiredString()).max(MAX_MUTATIONS, `at most ${MAX_MUTATIONS} entries`).optional(),
});

export const AIServiceBackendSpecSchema = object({
  schema: object({
    name: oneOf(AI_SCHEMA_NAMES),
    version: requiredString().optional(),
    prefix: z.string({ error: mustBe('a string') }).optional(),
  }),
  backendRef: BackendObjectReferenceSchema,
  headerMutation: HeaderMutationSchema.optional(),
  bodyMutation: BodyMutationSchema.optional(),
  /** v1beta1; read only to reject it: fleetplane cannot apply response body mutations. */
  responseBodyMutation: z.unknown().optional(),
  /** v1alpha1, deprecated in favour of BackendSecurityPolicy.spec.targetRefs; read only to reject it. */
  backendSecurityPolicyRef: z.unknown().optional(),
});

export type AIServiceBackendSpec = z.infer<typeof AIServiceBackendSpecSchema>;
export type BackendObjectReference = z.infer<typeof BackendObjectReferenceSchema>;
export type HeaderMutation = z.infer<typeof HeaderMutationSchema>;
export type BodyMutation = z.infer<typeof BodyMutationSchema>;
