// Input schema of the Envoy AI Gateway `BackendSecurityPolicy` (aigateway.envoyproxy.io v1alpha1
// and v1beta1): how the gateway authenticates to the AI backends the policy targets.

import { z } from 'zod';
import { array, mustBe, object, oneOf, requiredString } from './envoy-gateway-backend.ts';

/** Types fleetplane can program. AzureCredentials and GCPCredentials are recognised to reject them clearly. */
export const BSP_TYPES = ['APIKey', 'AzureAPIKey', 'AnthropicAPIKey', 'AWSCredentials'] as const;
export const BSP_UNSUPPORTED_TYPES = ['AzureCredentials', 'GCPCredentials'] as const;

/** The spec block each type requires. */
export const BSP_BLOCK_BY_TYPE = {
  APIKey: 'apiKey',
  AzureAPIKey: 'azureAPIKey',
  AnthropicAPIKey: 'anthropicAPIKey',
  AWSCredentials: 'awsCredentials',
  AzureCredentials: 'azureCredentials',
  GCPCredentials: 'gcpCredentials',
} as const;

const optionalString = () => z.string({ error: mustBe('a string') }).optional();

/** Gateway API SecretObjectReference: group '' and kind Secret by default. */
export const SecretObjectReferenceSchema = object({
  group: optionalString(),
  kind: optionalString(),
  name: requiredString(),
  namespace: requiredString().optional(),
});

const withSecretRef = object({ secretRef: SecretObjectReferenceSchema });

export const BackendSecurityPolicySpecSchema = object({
  targetRefs: array(
    object({
      group: z.string({ error: mustBe('a string') }),
      kind: requiredString(),
      name: requiredString(),
    }),
  )
    .max(16, 'at most 16 target references')
    .optional(),
  type: oneOf([...BSP_TYPES, ...BSP_UNSUPPORTED_TYPES]),
  apiKey: withSecretRef.optional(),
  azureAPIKey: withSecretRef.optional(),
  anthropicAPIKey: withSecretRef.optional(),
  awsCredentials: object({
    region: requiredString(),
    credentialsFile: object({
      secretRef: SecretObjectReferenceSchema,
      profile: requiredString().optional(),
    }).optional(),
    oidcExchangeToken: z.unknown().optional(),
  }).optional(),
  azureCredentials: z.unknown().optional(),
  gcpCredentials: z.unknown().optional(),
  /** v1beta1 per-request credentials; read only to reject it. */
  credentialOverride: z.unknown().optional(),
});

export type BackendSecurityPolicySpec = z.infer<typeof BackendSecurityPolicySpecSchema>;
export type SecretObjectReference = z.infer<typeof SecretObjectReferenceSchema>;
