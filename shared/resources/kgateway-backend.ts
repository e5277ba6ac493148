// Input schema of the kgateway `Backend` (gateway.kgateway.dev/v1alpha1) in every shape kgateway
// has used: `spec.type` plus one block (older), the block alone (newer), and the flat form of the
// published JSON schema (`aws.lambdaFunctionName`, `ai.provider.type`, `static.hosts[].tls.sni`).
// AI provider entries differ so much between releases that only their wrapper is typed here; the
// per-provider blocks have their own schemas, applied once the provider key is known.

import { z } from 'zod';
import {
  array,
  mustBe,
  object,
  oneOf,
  optionalBoolean,
  port,
  requiredString,
} from './envoy-gateway-backend.ts';

const optionalString = () => z.string({ error: mustBe('a string') }).optional();

export const KGATEWAY_BACKEND_TYPES = ['Static', 'AWS', 'AI', 'DynamicForwardProxy'] as const;
export type KgatewayBackendType = (typeof KGATEWAY_BACKEND_TYPES)[number];

/** Static `appProtocol` values kgateway accepts. */
export const KGATEWAY_APP_PROTOCOLS = [
  'http2',
  'grpc',
  'grpc-web',
  'kubernetes.io/h2c',
  'kubernetes.io/ws',
] as const;

export const KgatewayHostSchema = object({
  host: requiredString(),
  port: port(),
  /** Flat JSON-schema form only. */
  tls: object({ sni: requiredString().optional() }).optional(),
});

export const KgatewayStaticSchema = object({
  hosts: array(KgatewayHostSchema).min(1, 'at least one host is required'),
  appProtocol: oneOf(KGATEWAY_APP_PROTOCOLS).optional(),
});

/** `{name}` as corev1.LocalObjectReference; a namespace is accepted only to reject it clearly. */
export const NamedRefSchema = object({
  name: requiredString(),
  namespace: optionalString(),
  key: requiredString().optional(),
});

export const KgatewayAwsAuthSchema = object({
  /** `Secret` or `AssumeRole`; `Default` (and the older lower-case `default`, `secret`) also read. */
  type: requiredString(),
  secretRef: NamedRefSchema.optional(),
  /** Older kgateway: `secret: {name}`. */
  secret: NamedRefSchema.optional(),
  roleArn: requiredString().optional(),
  externalId: requiredString().optional(),
  roleSessionName: requiredString().optional(),
  /** Older kgateway `type: irsa`; read only to explain what to use instead. */
  irsa: z.unknown().optional(),
});

export const KgatewayLambdaSchema = object({
  functionName: requiredString(),
  qualifier: requiredString().optional(),
  invocationMode: oneOf(['Sync', 'Async']).optional(),
  /** `Envelope` (kgateway's later `Envoy`) wraps the request in Envoy's JSON envelope; `None` passes it through. */
  payloadTransformMode: oneOf(['Envelope', 'Envoy', 'None']).optional(),
  endpointURL: requiredString().optional(),
});

export const KgatewayAwsSchema = object({
  accountId: requiredString().optional(),
  region: requiredString().optional(),
  auth: KgatewayAwsAuthSchema.optional(),
  lambda: KgatewayLambdaSchema.optional(),
  /** Flat JSON-schema form. */
  lambdaFunctionName: requiredString().optional(),
  roleArn: requiredString().optional(),
});

export const KgatewayDfpSchema = object({ enableTls: optionalBoolean() });

// ---------------------------------------------------------------------------------------------
// AI

/** `Authorization` header customisation (`authHeader`, older `authHeaderOverride`). */
export const AuthHeaderSchema = object({
  headerName: requiredString().optional(),
  prefix: z.string({ error: mustBe('a string') }).optional(),
});

/**
 * One LLM entry: `llm`, a `priorityGroups[].providers[]` or a `multipool.priorities[].pool[]` item.
 * Provider blocks sit either directly in it (`openai: {...}`) or under `provider` (older releases,
 * and the flat form with `provider.type`). Unknown keys are kept so the translator can tell a
 * provider block from a typo.
 */
export const LlmEntrySchema = z.looseObject(
  {
    name: requiredString().optional(),
    host: requiredString().optional(),
    port: port().optional(),
    path: object({ full: requiredString() }).optional(),
    authHeader: AuthHeaderSchema.optional(),
    hostOverride: object({ host: requiredString(), port: port() }).optional(),
    pathOverride: object({ fullPath: requiredString() }).optional(),
    authHeaderOverride: AuthHeaderSchema.optional(),
    provider: z.looseObject({ type: requiredString().optional() }, { error: mustBe('an object') }).optional(),
  },
  { error: mustBe('an object') },
);

/** Keys of an LLM entry that are not provider blocks. */
export const LLM_ENTRY_FIELDS: ReadonlySet<string> = new Set(Object.keys(LlmEntrySchema.shape));

export const KgatewayAiSchema = object({
  llm: LlmEntrySchema.optional(),
  priorityGroups: array(
    object({ providers: array(LlmEntrySchema).min(1, 'at least one provider is required') }),
  )
    .min(1, 'at least one priority group is required')
    .optional(),
  multipool: object({
    priorities: array(
      object({ pool: array(LlmEntrySchema).min(1, 'at least one provider is required') }),
    ).min(1, 'at least one priority is required'),
  }).optional(),
  /** Flat JSON-schema form: `provider: {type: openai|azure|gemini|mistral, <type>: {...}}`. */
  provider: LlmEntrySchema.shape.provider,
});

/** `kind` (kgateway) or `type`: Inline, SecretRef or Passthrough; inferred from the fields when absent. */
export const AuthTokenSchema = object({
  kind: oneOf(['Inline', 'SecretRef', 'Passthrough']).optional(),
  type: oneOf(['Inline', 'SecretRef', 'Passthrough']).optional(),
  // Never echoed in messages: it is a credential.
  inline: z.string({ error: 'must be a string' }).optional(),
  secretRef: NamedRefSchema.optional(),
});

const withToken = { authToken: AuthTokenSchema };

export const OpenAIConfigSchema = object({ ...withToken, model: requiredString().optional() });
export const AzureOpenAIConfigSchema = object({
  ...withToken,
  endpoint: requiredString(),
  deploymentName: requiredString(),
  apiVersion: requiredString(),
});
export const AnthropicConfigSchema = object({
  ...withToken,
  model: requiredString().optional(),
  apiVersion: requiredString().optional(),
});
export const GeminiConfigSchema = object({
  ...withToken,
  model: requiredString(),
  apiVersion: requiredString().optional(),
});
export const VertexAIConfigSchema = object({
  ...withToken,
  model: requiredString(),
  apiVersion: requiredString().optional(),
  projectId: requiredString(),
  location: requiredString(),
  publisher: requiredString().optional(),
  modelPath: requiredString().optional(),
});
export const BedrockConfigSchema = object({
  model: requiredString(),
  region: requiredString().optional(),
  auth: KgatewayAwsAuthSchema.optional(),
  guardrail: object({ identifier: requiredString(), version: requiredString() }).optional(),
});

export const KgatewayBackendSpecSchema = object({
  type: requiredString().optional(),
  static: KgatewayStaticSchema.optional(),
  aws: KgatewayAwsSchema.optional(),
  ai: KgatewayAiSchema.optional(),
  dynamicForwardProxy: KgatewayDfpSchema.optional(),
  /** kgateway's GCP backend: read only to reject it with a clear reason. */
  gcp: z.unknown().optional(),
});

export type KgatewayBackendSpec = z.infer<typeof KgatewayBackendSpecSchema>;
export type KgatewayStatic = z.infer<typeof KgatewayStaticSchema>;
export type KgatewayAws = z.infer<typeof KgatewayAwsSchema>;
export type KgatewayAwsAuth = z.infer<typeof KgatewayAwsAuthSchema>;
export type KgatewayLambda = z.infer<typeof KgatewayLambdaSchema>;
export type KgatewayAi = z.infer<typeof KgatewayAiSchema>;
export type LlmEntry = z.infer<typeof LlmEntrySchema>;
export type AuthToken = z.infer<typeof AuthTokenSchema>;
export type AuthHeader = z.infer<typeof AuthHeaderSchema>;
export type NamedRef = z.infer<typeof NamedRefSchema>;
export type OpenAIConfig = z.infer<typeof OpenAIConfigSchema>;
export type AzureOpenAIConfig = z.infer<typeof AzureOpenAIConfigSchema>;
export type AnthropicConfig = z.infer<typeof AnthropicConfigSchema>;
export type GeminiConfig = z.infer<typeof GeminiConfigSchema>;
export type VertexAIConfig = z.infer<typeof VertexAIConfigSchema>;
export type BedrockConfig = z.infer<typeof BedrockConfigSchema>;
