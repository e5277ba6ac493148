// The LLM provider table: the manifest keys each provider answers to, and its default endpoint.

import { describe, expect, it } from 'vitest';
import {
  LLM_PROVIDER_NAMES,
  LLM_PROVIDERS,
  providerForKey,
} from '../../../../shared/translate/llm-providers.ts';

describe('LLM provider table', () => {
  it.each([
    ['openai', 'openai'],
    ['openAI', 'openai'],
    ['OpenAI', 'openai'],
    ['azureopenai', 'azureopenai'],
    ['azureOpenAI', 'azureopenai'],
    ['azureOpenai', 'azureopenai'],
    ['azure', 'azureopenai'],
    ['vertexAI', 'vertexai'],
    ['anthropic', 'anthropic'],
    ['gemini', 'gemini'],
    ['bedrock', 'bedrock'],
    ['mistral', 'mistral'],
  ])('key %s names %s', (key, provider) => {
    expect(providerForKey(key)).toBe(provider);
  });

  it.each(['cohere', 'openai2', 'provider', ''])('key %j names no provider', (key) => {
    expect(providerForKey(key)).toBeUndefined();
  });

  it('covers every provider of the IR, each on 443', () => {
    expect(LLM_PROVIDER_NAMES).toEqual([
      'anthropic',
      'azureopenai',
      'bedrock',
      'gemini',
      'mistral',
      'openai',
      'vertexai',
    ]);
    expect(LLM_PROVIDER_NAMES.map((name) => LLM_PROVIDERS[name].port)).toEqual(Array(7).fill(443));
  });

  it('builds provider-specific hosts and paths from the settings', () => {
    const azure = {
      settings: { endpoint: 'r.openai.azure.com', deploymentName: 'd', apiVersion: '2024-06-01' },
    };
    const bedrock = {
      model: 'arn:aws:bedrock:us-east-1::foundation-model/x',
      settings: { region: 'cn-north-1' },
    };

    expect(LLM_PROVIDERS.azureopenai.host(azure)).toBe('r.openai.azure.com');
    expect(LLM_PROVIDERS.azureopenai.path(azure)).toBe(
      '/openai/deployments/d/chat/completions?api-version=2024-06-01',
    );
    expect(LLM_PROVIDERS.bedrock.host(bedrock)).toBe('bedrock-runtime.cn-north-1.amazonaws.com.cn');
    expect(LLM_PROVIDERS.bedrock.path(bedrock)).toBe(
      '/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fx/converse',
    );
    expect(LLM_PROVIDERS.bedrock.auth).toBe('sigv4');
  });
});
