// What fleetplane knows about each LLM provider, in one table: where requests go by default (host,
// port, path) and how the credential is sent. Translators fill the provider-specific settings
// (Azure deployment, Vertex project, Bedrock region) and this table turns them into an endpoint.

import type { LlmProviderName } from '../ir/types.ts';
import { awsDnsSuffix } from '../resources/aws.ts';

/** What a provider's host and path are built from. `settings` keys are those the IR records. */
export interface ProviderParams {
  model?: string;
  settings: Readonly<Record<string, string>>;
}

export interface LlmProviderInfo {
  /** How the provider block is keyed in kgateway manifests, lower-cased (`openAI` and `openai` both match). */
  keys: readonly string[];
  host(p: ProviderParams): string;
  /** Every provider is reached over TLS; Envoy sets SNI to the host. */
  port: number;
  /** The chat endpoint; replaces the request path. */
  path(p: ProviderParams): string;
  /** The header carrying the key and the prefix before it, or `sigv4` for AWS request signing. */
  auth: { header: string; prefix: string } | 'sigv4';
  /** Whether `model` must be given (it is part of the path), rather than taken from the request body. */
  modelRequired: boolean;
}

const HTTPS = 443;
const bearer = { header: 'Authorization', prefix: 'Bearer ' } as const;

function setting(p: ProviderParams, key: string): string {
  return p.settings[key] ?? '';
}

export const LLM_PROVIDERS: Readonly<Record<LlmProviderName, LlmProviderInfo>> = {
  openai: {
    keys: ['openai'],
    host: () => 'api.openai.com',
    port: HTTPS,
    path: () => '/v1/chat/completions',
    auth: bearer,
    modelRequired: false,
  },
  azureopenai: {
    keys: ['azureopenai', 'azure'],
    host: (p) => setting(p, 'endpoint'),
    port: HTTPS,
    path: (p) =>
      `/openai/deployments/${setting(p, 'deploymentName')}/chat/completions?api-version=${setting(p, 'apiVersion')}`,
    auth: { header: 'api-key', prefix: '' },
    modelRequired: false,
  },
  anthropic: {
    keys: ['anthropic'],
    host: () => 'api.anthropic.com',
    port: HTTPS,
    path: () => '/v1/messages',
    auth: { header: 'x-api-key', prefix: '' },
    modelRequired: false,
  },
  gemini: {
    keys: ['gemini'],
    host: () => 'generativelanguage.googleapis.com',
    port: HTTPS,
    path: (p) => `/${setting(p, 'apiVersion')}/models/${p.model ?? ''}:generateContent`,
    auth: { header: 'x-goog-api-key', prefix: '' },
    modelRequired: true,
  },
  vertexai: {
    keys: ['vertexai'],
    // The `global` location has no regional prefix.
    host: (p) =>
      setting(p, 'location') === 'global'
        ? 'aiplatform.googleapis.com'
        : `${setting(p, 'location')}-aiplatform.googleapis.com`,
    port: HTTPS,
    path: (p) =>
      `/${setting(p, 'apiVersion')}/projects/${setting(p, 'projectId')}/locations/${setting(p, 'location')}` +
      `/publishers/${setting(p, 'publisher')}/models/${p.model ?? ''}:${setting(p, 'modelPath')}`,
    auth: bearer,
    modelRequired: true,
  },
  bedrock: {
    keys: ['bedrock'],
    host: (p) => `bedrock-runtime.${setting(p, 'region')}.${awsDnsSuffix(setting(p, 'region'))}`,
    port: HTTPS,
    // Model IDs carry `:` (`...-v1:0`) and ARNs `/`; both must be percent-encoded in the path, and
    // the SigV4 signature is computed over the encoded form.
    path: (p) => `/model/${encodeURIComponent(p.model ?? '')}/converse`,
    auth: 'sigv4',
    modelRequired: true,
  },
  mistral: {
    keys: ['mistral'],
    host: () => 'api.mistral.ai',
    port: HTTPS,
    path: () => '/v1/chat/completions',
    auth: bearer,
    modelRequired: false,
  },
};

export const LLM_PROVIDER_NAMES = Object.keys(LLM_PROVIDERS).sort() as LlmProviderName[];

const BY_KEY: ReadonlyMap<string, LlmProviderName> = new Map(
  LLM_PROVIDER_NAMES.flatMap((name) => LLM_PROVIDERS[name].keys.map((key) => [key, name] as const)),
);

/** The provider a manifest key names (`openAI`, `azureOpenAI`, `azure`, `vertexAI`, ...), if any. */
export function providerForKey(key: string): LlmProviderName | undefined {
  return BY_KEY.get(key.toLowerCase());
}

/** Defaults for settings a provider's path needs when the manifest leaves them out. */
export const PROVIDER_SETTING_DEFAULTS: Readonly<Partial<Record<LlmProviderName, Record<string, string>>>> = {
  gemini: { apiVersion: 'v1beta' },
  vertexai: { apiVersion: 'v1', publisher: 'google', modelPath: 'generateContent' },
};
