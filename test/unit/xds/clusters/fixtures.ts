// IR fixtures for the cluster builders: small factories with realistic defaults, overridable per test.

import type {
  AIServiceBackendIR,
  BackendIR,
  BackendSecurityPolicyIR,
  EndpointSliceIR,
  LlmProviderIR,
  ResourceId,
  SecretRef,
  ServiceIR,
} from '../../../../shared/ir/types.ts';
import type { ClusterBuildContext } from '../../../../shared/xds/types.ts';

export const ADS: ClusterBuildContext = { sds: { type: 'ads' } };

export function kgwBackendId(name: string, namespace = 'default'): ResourceId {
  return { group: 'gateway.kgateway.dev', kind: 'Backend', namespace, name };
}

export function egBackendId(name: string, namespace = 'default'): ResourceId {
  return { group: 'gateway.envoyproxy.io', kind: 'Backend', namespace, name };
}

export function serviceId(name: string, namespace = 'default'): ResourceId {
  return { group: '', kind: 'Service', namespace, name };
}

export function aisbId(name: string, namespace = 'default'): ResourceId {
  return { group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', namespace, name };
}

export function secretRef(name: string, key?: string): SecretRef {
  return key === undefined
    ? { kind: 'Secret', namespace: 'default', name }
    : { kind: 'Secret', namespace: 'default', name, key };
}

export function lambdaBackend(
  overrides: Partial<Extract<BackendIR, { type: 'lambda' }>> = {},
): Extract<BackendIR, { type: 'lambda' }> {
  return {
    type: 'lambda',
    arn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders:live',
    functionName: 'orders',
    qualifier: 'live',
    region: 'eu-west-1',
    accountId: '123456789012',
    invocationMode: 'Sync',
    payloadTransformMode: 'Envelope',
    endpoint: { host: 'lambda.eu-west-1.amazonaws.com', port: 443, tls: true },
    auth: {
      mode: 'assumeRole',
      roleArn: 'arn:aws:iam::123456789012:role/invoker',
      roleSessionName: 'fleetplane',
      externalId: 'ext-42',
    },
    ...overrides,
  };
}

export function openai(overrides: Partial<LlmProviderIR> = {}): LlmProviderIR {
  return {
    provider: 'openai',
    model: 'gpt-4o-mini',
    host: 'api.openai.com',
    port: 443,
    path: '/v1/chat/completions',
    auth: {
      mode: 'secret',
      secretRef: secretRef('openai', 'apiKey'),
      header: 'Authorization',
      prefix: 'Bearer ',
    },
    settings: {},
    ...overrides,
  };
}

export function anthropic(overrides: Partial<LlmProviderIR> = {}): LlmProviderIR {
  return {
    provider: 'anthropic',
    host: 'api.anthropic.com',
    port: 443,
    path: '/v1/messages',
    auth: {
      mode: 'secret',
      secretRef: secretRef('openai', 'apiKey'),
      header: 'Authorization',
      prefix: 'Bearer ',
    },
    settings: {},
    ...overrides,
  };
}

export function bedrock(overrides: Partial<LlmProviderIR> = {}): LlmProviderIR {
  return {
    provider: 'bedrock',
    model: 'anthropic.claude-3-haiku-20240307-v1:0',
    host: 'bedrock-runtime.us-east-1.amazonaws.com',
    port: 443,
    path: '/model/anthropic.claude-3-haiku-20240307-v1:0/converse',
    auth: { mode: 'aws', region: 'us-east-1', auth: { mode: 'defaultChain' } },
    settings: {},
    ...overrides,
  };
}

export function service(overrides: Partial<ServiceIR> = {}): ServiceIR {
  return {
    type: 'ClusterIP',
    ports: [{ name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' }],
    ...overrides,
  };
}

export function slice(overrides: Partial<EndpointSliceIR> = {}): EndpointSliceIR {
  return {
    serviceName: 'echo',
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: [
      { addresses: ['10.0.0.2'], ready: true, zone: 'eu-west-1a' },
      { addresses: ['10.0.0.1'], ready: true, zone: 'eu-west-1a' },
      { addresses: ['10.0.1.7'], ready: true, zone: 'eu-west-1b' },
      { addresses: ['10.0.0.9'], ready: false, zone: 'eu-west-1a' },
    ],
    ...overrides,
  };
}

export function aisb(overrides: Partial<AIServiceBackendIR> = {}): AIServiceBackendIR {
  return {
    schema: { name: 'OpenAI' },
    backendRef: { group: 'gateway.envoyproxy.io', kind: 'Backend', namespace: 'default', name: 'openai' },
    ...overrides,
  };
}

export function openaiTarget(): { id: ResourceId; backend: BackendIR } {
  return {
    id: egBackendId('openai'),
    backend: {
      type: 'static',
      endpoints: [{ address: { kind: 'fqdn', hostname: 'api.openai.com', port: 443 }, priority: 0 }],
    },
  };
}

export function apiKeyPolicy(type: BackendSecurityPolicyIR['type'] = 'APIKey'): BackendSecurityPolicyIR {
  return {
    targetRefs: [{ group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name: 'openai' }],
    type,
    secretRef: secretRef('openai-key', 'apiKey'),
  };
}

/** The value, or a test failure naming what was missing. */
export function defined<T>(value: T | undefined, what = 'value'): T {
  if (value === undefined) throw new Error(`expected a ${what}`);
  return value;
}
