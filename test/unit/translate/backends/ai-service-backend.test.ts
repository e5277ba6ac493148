// Envoy AI Gateway AIServiceBackend → IR: schema, the Envoy Gateway Backend it must reference, and
// header/body mutations, in v1alpha1 and v1beta1.

import { describe, expect, it } from 'vitest';
import { translateAIServiceBackend } from '../../../../shared/translate/ai-service-backend.ts';
import { accepted, ctx, expectProblem, fixture, patch, rejected } from './fixtures.ts';

const FILE = 'ai-service-backend.yaml';

function translate(name: string, changes: Record<string, unknown> = {}) {
  return translateAIServiceBackend(patch(fixture(FILE, name), changes), ctx);
}

describe('AIServiceBackend: accepted', () => {
  it('translates v1beta1 with a normalised prefix and sorted mutations', () => {
    const item = translate('gemini-openai');

    expect(item.kind).toBe('AIServiceBackend');
    expect(item.id).toEqual({
      group: 'aigateway.envoyproxy.io',
      kind: 'AIServiceBackend',
      namespace: 'ai',
      name: 'gemini-openai',
    });
    expect(accepted(item)).toEqual({
      schema: { name: 'OpenAI', prefix: '/v1beta/openai' },
      backendRef: {
        group: 'gateway.envoyproxy.io',
        kind: 'Backend',
        namespace: 'ai',
        name: 'gemini-backend',
      },
      headerMutation: {
        set: [
          { name: 'x-custom-header', value: 'custom-value' },
          { name: 'x-tenant', value: 'blue' },
        ],
        remove: ['x-debug', 'x-internal'],
      },
      // Kept as given; the snapshot builder reports whether it can apply it.
      bodyMutation: {
        set: [
          { path: 'model', value: '"gpt-4o"' },
          { path: 'temperature', value: '0.2' },
        ],
        remove: ['user'],
      },
    });
  });

  it('translates v1alpha1 and keeps a backend namespace given on the reference', () => {
    const spec = accepted(translate('bedrock'));

    expect(spec).toEqual({
      schema: { name: 'AWSBedrock' },
      backendRef: {
        group: 'gateway.envoyproxy.io',
        kind: 'Backend',
        namespace: 'shared-backends',
        name: 'bedrock-us-east-1',
      },
    });
  });

  it('treats a v1alpha1 OpenAI version as the prefix, as v1alpha1 documents', () => {
    const v1alpha1 = accepted(translate('azure-legacy'));
    const v1beta1 = accepted(translate('azure-legacy', { apiVersion: 'aigateway.envoyproxy.io/v1beta1' }));

    expect(v1alpha1.schema).toEqual({ name: 'OpenAI', version: 'v1', prefix: '/v1' });
    expect(v1beta1.schema).toEqual({ name: 'OpenAI', version: 'v1' });
  });

  it.each([
    ['/v1/', '/v1'],
    ['compatibility/v1', '/compatibility/v1'],
    ['', ''],
    ['/', ''],
  ])('normalises prefix %j to %j', (prefix, want) => {
    expect(accepted(translate('bedrock', { 'spec.schema.prefix': prefix })).schema.prefix).toBe(want);
  });

  it.each(['AzureOpenAI', 'GCPVertexAI', 'GCPAnthropic', 'Anthropic', 'AWSAnthropic', 'Cohere'])(
    'accepts schema %s',
    (name) => {
      expect(accepted(translate('bedrock', { 'spec.schema.name': name })).schema.name).toBe(name);
    },
  );
});

describe('AIServiceBackend: rejected', () => {
  it('rejects a Service backendRef with InvalidKind and explains the FQDN Backend to create', () => {
    const condition = rejected(translate('ollama'));

    expectProblem(condition, {
      resource: 'AIServiceBackend default/ollama',
      field: 'spec.backendRef',
      reason: 'InvalidKind',
      text: /must reference an Envoy Gateway Backend \(group gateway\.envoyproxy\.io, kind Backend\), not Service ollama.*ollama\.default\.svc\.cluster\.local/,
    });
  });

  it.each([
    [{ name: 'x', kind: 'Service', group: '' }, 'not Service x'],
    [{ name: 'x', kind: 'Backend' }, 'not Backend x'],
    [{ name: 'x', kind: 'Backend', group: 'gateway.kgateway.dev' }, 'not gateway.kgateway.dev/Backend x'],
  ])('rejects backendRef %j with InvalidKind', (backendRef, text) => {
    const condition = rejected(translate('bedrock', { 'spec.backendRef': backendRef }));

    expectProblem(condition, {
      resource: 'AIServiceBackend ai/bedrock',
      field: 'spec.backendRef',
      reason: 'InvalidKind',
      text,
    });
  });

  it.each([
    ['spec.backendRef', undefined, 'required'],
    ['spec.backendRef.name', undefined, 'required'],
    ['spec.schema', undefined, 'required'],
    ['spec.schema.name', 'Gemini', 'must be one of OpenAI, Anthropic, AWSBedrock'],
    ['spec.schema.prefix', '/v1?x=1', 'must be a plain path'],
    ['spec.headerMutation.set[0].name', ':path', 'is not a valid HTTP header name'],
    ['spec.headerMutation.set[1].name', 'x-TENANT', 'is already set by spec.headerMutation.set[0]'],
    ['spec.headerMutation.set[0].name', 'Authorization', 'carries a credential'],
    ['spec.headerMutation.remove[0]', 'x-tenant', 'is both set and removed'],
    [
      'spec.headerMutation.set',
      Array.from({ length: 17 }, (_, i) => ({ name: `h${i}`, value: '' })),
      'at most 16',
    ],
    ['spec.bodyMutation.set[1].value', 'gpt-4o', 'must be JSON text'],
    ['spec.bodyMutation.set[1].path', 'temperature', 'is already set by spec.bodyMutation.set[0]'],
    ['spec.bodyMutation.remove[0]', 'model', 'is both set and removed'],
  ])('rejects %s = %j', (field, value, text) => {
    const condition = rejected(translate('gemini-openai', { [field]: value }));

    expectProblem(condition, { resource: 'AIServiceBackend ai/gemini-openai', field, text });
  });

  it('rejects fields fleetplane cannot honour with UnsupportedValue', () => {
    const response = rejected(
      translate('gemini-openai', { 'spec.responseBodyMutation': { remove: ['usage'] } }),
    );
    const policyRef = rejected(translate('bedrock', { 'spec.backendSecurityPolicyRef': { name: 'p' } }));

    expectProblem(response, {
      resource: 'AIServiceBackend ai/gemini-openai',
      field: 'spec.responseBodyMutation',
      reason: 'UnsupportedValue',
    });
    expectProblem(policyRef, {
      resource: 'AIServiceBackend ai/bedrock',
      field: 'spec.backendSecurityPolicyRef',
      reason: 'UnsupportedValue',
      text: 'spec.targetRefs',
    });
  });

  it('rejects an unknown API version', () => {
    const condition = rejected(translate('bedrock', { apiVersion: 'aigateway.envoyproxy.io/v1' }));

    expectProblem(condition, {
      resource: 'AIServiceBackend ai/bedrock',
      field: 'apiVersion',
      reason: 'UnsupportedValue',
      text: '"aigateway.envoyproxy.io/v1" is not supported',
    });
  });
});
