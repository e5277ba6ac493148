// Envoy AI Gateway BackendSecurityPolicy → IR: API key Secrets and AWS credentials, the targets,
// and the rejections (missing or extra blocks, foreign targets, cross-namespace Secrets).

import { describe, expect, it } from 'vitest';
import { translateBackendSecurityPolicy } from '../../../../shared/translate/backend-security-policy.ts';
import { accepted, ctx, expectProblem, fixture, patch, rejected } from './fixtures.ts';

const FILE = 'backend-security-policy.yaml';

function translate(name: string, changes: Record<string, unknown> = {}) {
  return translateBackendSecurityPolicy(patch(fixture(FILE, name), changes), ctx);
}

const target = (name: string) => ({ group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name });

describe('BackendSecurityPolicy: accepted', () => {
  it('translates an APIKey policy with sorted targets and the apiKey Secret key', () => {
    const item = translate('openai-key');

    expect(item.kind).toBe('BackendSecurityPolicy');
    expect(accepted(item)).toEqual({
      targetRefs: [target('openai-a'), target('openai-b')],
      type: 'APIKey',
      secretRef: { kind: 'Secret', namespace: 'ai', name: 'openai-api-key', key: 'apiKey' },
    });
  });

  it.each([
    ['azure-key', 'AzureAPIKey', 'azure-api-key'],
    ['anthropic-key', 'AnthropicAPIKey', 'anthropic-api-key'],
  ])('translates %s (%s)', (name, type, secret) => {
    const spec = accepted(translate(name));

    expect(spec).toEqual({
      targetRefs: [target(type === 'AzureAPIKey' ? 'azure' : 'anthropic')],
      type,
      secretRef: { kind: 'Secret', namespace: 'ai', name: secret, key: 'apiKey' },
    });
  });

  it('translates AWS credentials from a credentials file (v1alpha1)', () => {
    const spec = accepted(translate('bedrock-file'));

    expect(spec).toEqual({
      targetRefs: [target('bedrock')],
      type: 'AWSCredentials',
      aws: {
        region: 'us-east-1',
        auth: {
          mode: 'secret',
          secretRef: { kind: 'Secret', namespace: 'ai', name: 'aws-credentials-file', key: 'credentials' },
        },
      },
    });
  });

  it('uses the default credential chain when no credentials file is given', () => {
    const spec = accepted(translate('bedrock-irsa'));

    expect(spec.aws).toEqual({ region: 'cn-northwest-1', auth: { mode: 'defaultChain' } });
  });

  it('accepts a policy without targets, and drops duplicate targets', () => {
    const none = accepted(translate('openai-key', { 'spec.targetRefs': undefined }));
    const twice = accepted(translate('openai-key', { 'spec.targetRefs': [target('a'), target('a')] }));

    expect(none.targetRefs).toEqual([]);
    expect(twice.targetRefs).toEqual([target('a')]);
  });
});

describe('BackendSecurityPolicy: rejected', () => {
  it.each([
    ['openai-key', { 'spec.apiKey': undefined }, 'spec.apiKey', 'required when type is APIKey'],
    ['azure-key', { 'spec.azureAPIKey': undefined }, 'spec.azureAPIKey', 'required when type is AzureAPIKey'],
    [
      'anthropic-key',
      { 'spec.anthropicAPIKey': undefined },
      'spec.anthropicAPIKey',
      'required when type is AnthropicAPIKey',
    ],
    [
      'bedrock-irsa',
      { 'spec.awsCredentials': undefined },
      'spec.awsCredentials',
      'required when type is AWSCredentials',
    ],
    [
      'openai-key',
      { 'spec.awsCredentials': { region: 'us-east-1' } },
      'spec.awsCredentials',
      'must not be set when type is APIKey',
    ],
    [
      'openai-key',
      { 'spec.type': 'AnthropicAPIKey' },
      'spec.anthropicAPIKey',
      'required when type is AnthropicAPIKey',
    ],
  ])('%s: requires exactly the block of its type (%j)', (name, changes, field, text) => {
    const condition = rejected(translate(name, changes));

    expectProblem(condition, { resource: `BackendSecurityPolicy ai/${name}`, field, text });
  });

  it.each([
    ['spec.type', 'OAuth', 'must be one of APIKey, AzureAPIKey, AnthropicAPIKey, AWSCredentials'],
    ['spec.type', undefined, 'required'],
    ['spec.apiKey.secretRef', undefined, 'required'],
    ['spec.apiKey.secretRef.name', '', 'must not be empty'],
    ['spec.targetRefs[0].name', undefined, 'required'],
  ])('rejects %s = %j', (field, value, text) => {
    const condition = rejected(translate('openai-key', { [field]: value }));

    expectProblem(condition, { resource: 'BackendSecurityPolicy ai/openai-key', field, text });
  });

  it.each([
    [
      { group: 'inference.networking.k8s.io', kind: 'InferencePool', name: 'pool' },
      'inference.networking.k8s.io/InferencePool pool',
    ],
    [{ group: 'gateway.envoyproxy.io', kind: 'Backend', name: 'b' }, 'gateway.envoyproxy.io/Backend b'],
  ])('rejects target %j with InvalidKind', (ref, text) => {
    const condition = rejected(translate('openai-key', { 'spec.targetRefs[1]': ref }));

    expectProblem(condition, {
      resource: 'BackendSecurityPolicy ai/openai-key',
      field: 'spec.targetRefs[1]',
      reason: 'InvalidKind',
      text,
    });
  });

  it('rejects a Secret in another namespace with RefNotPermitted', () => {
    const condition = rejected(translate('azure-key', { 'spec.azureAPIKey.secretRef.namespace': 'shared' }));

    expectProblem(condition, {
      resource: 'BackendSecurityPolicy ai/azure-key',
      field: 'spec.azureAPIKey.secretRef.namespace',
      reason: 'RefNotPermitted',
      text: 'Secret shared/azure-api-key is in another namespace',
    });
  });

  it('rejects a reference to something other than a Secret with InvalidKind', () => {
    const condition = rejected(
      translate('anthropic-key', { 'spec.anthropicAPIKey.secretRef.kind': 'ConfigMap' }),
    );

    expectProblem(condition, {
      resource: 'BackendSecurityPolicy ai/anthropic-key',
      field: 'spec.anthropicAPIKey.secretRef',
      reason: 'InvalidKind',
    });
  });

  it.each([
    ['spec.awsCredentials.region', 'Frankfurt', 'Invalid', 'is not an AWS region'],
    ['spec.awsCredentials.region', undefined, 'Invalid', 'required'],
    [
      'spec.awsCredentials.credentialsFile.profile',
      'prod',
      'UnsupportedValue',
      'put the credentials under [default]',
    ],
    [
      'spec.awsCredentials.credentialsFile.secretRef.namespace',
      'kube-system',
      'RefNotPermitted',
      'another namespace',
    ],
    [
      'spec.awsCredentials.oidcExchangeToken',
      { awsRoleArn: 'arn:aws:iam::123456789012:role/x' },
      'UnsupportedValue',
      'OIDC',
    ],
  ])('rejects %s = %j', (field, value, reason, text) => {
    const condition = rejected(translate('bedrock-file', { [field]: value }));

    expectProblem(condition, { resource: 'BackendSecurityPolicy ai/bedrock-file', field, reason, text });
  });

  it.each(['AzureCredentials', 'GCPCredentials'])('rejects type %s with UnsupportedValue', (type) => {
    const condition = rejected(translate('openai-key', { 'spec.type': type, 'spec.apiKey': undefined }));

    expectProblem(condition, {
      resource: 'BackendSecurityPolicy ai/openai-key',
      field: 'spec.type',
      reason: 'UnsupportedValue',
      text: 'supported types: APIKey, AzureAPIKey, AnthropicAPIKey, AWSCredentials',
    });
  });

  it('rejects an unknown API version', () => {
    const condition = rejected(translate('openai-key', { apiVersion: 'aigateway.envoyproxy.io/v2' }));

    expectProblem(condition, {
      resource: 'BackendSecurityPolicy ai/openai-key',
      field: 'apiVersion',
      reason: 'UnsupportedValue',
    });
  });

  it('rejects per-request credential overrides', () => {
    const condition = rejected(
      translate('openai-key', { 'spec.credentialOverride': { fromDynamicMetadata: { namespace: 'x' } } }),
    );

    expectProblem(condition, {
      resource: 'BackendSecurityPolicy ai/openai-key',
      field: 'spec.credentialOverride',
      reason: 'UnsupportedValue',
    });
  });
});
