// kgateway Backend → BackendIR: every accepted shape (older `spec.type`, newer inferred, flat JSON
// schema) and every rejection, with the reason and the field path the status condition names.

import { describe, expect, it } from 'vitest';
import type { BackendIR, LlmProviderIR } from '../../../../shared/ir/types.ts';
import { translateKgatewayBackend } from '../../../../shared/translate/kgateway-backend.ts';
import { accepted, ctx, expectProblem, fixture, patch, rejected } from './fixtures.ts';

const STATIC = 'kgateway-static.yaml';
const LAMBDA = 'kgateway-lambda.yaml';
const AI = 'kgateway-ai.yaml';
const PROVIDERS = 'kgateway-ai-providers.yaml';

function translate(file: string, name: string, changes: Record<string, unknown> = {}) {
  return translateKgatewayBackend(patch(fixture(file, name), changes), ctx);
}

/** The single provider of a one-provider AI backend. */
function onlyProvider(spec: BackendIR): LlmProviderIR {
  expect(spec.type).toBe('ai');
  const priorities = spec.type === 'ai' ? spec.priorities : [];
  expect(priorities).toHaveLength(1);
  expect(priorities[0]).toHaveLength(1);
  return priorities[0]?.[0] as LlmProviderIR;
}

describe('kgateway Backend: static', () => {
  it('translates the older spec.type form, keeping metadata and sorting endpoints', () => {
    // Prepare
    const obj = fixture(STATIC, 'external-api');

    // Act
    const item = translateKgatewayBackend(obj, ctx);

    // Assess
    expect(item).toMatchObject({
      kind: 'Backend',
      id: { group: 'gateway.kgateway.dev', kind: 'Backend', namespace: 'default', name: 'external-api' },
      uid: '3f1c2a9e-0000-4000-8000-000000000001',
      resourceVersion: '1042',
      generation: 3,
      labels: { team: 'payments' },
    });
    expect(item.conditions[0]?.observedGeneration).toBe(3);
    expect(accepted(item)).toEqual({
      type: 'static',
      endpoints: [
        { address: { kind: 'fqdn', hostname: 'partner-api.example.com', port: 443 }, priority: 0 },
        { address: { kind: 'ip', address: '10.0.0.12', port: 8443 }, priority: 0 },
        { address: { kind: 'ip', address: '2001:db8::1', port: 8443 }, priority: 0 },
      ],
      protocol: 'http2',
    });
  });

  it('infers the type from the block and maps kubernetes.io/h2c', () => {
    const spec = accepted(translate(STATIC, 'h2c-backend'));

    expect(spec).toEqual({
      type: 'static',
      endpoints: [{ address: { kind: 'fqdn', hostname: 'grpc.internal', port: 9000 }, priority: 0 }],
      protocol: 'h2c',
    });
  });

  it.each([
    ['http2', 'http2'],
    ['grpc-web', 'http2'],
    ['kubernetes.io/ws', 'ws'],
    [undefined, 'http1'],
  ])('maps appProtocol %s to %s', (appProtocol, protocol) => {
    const spec = accepted(translate(STATIC, 'h2c-backend', { 'spec.static.appProtocol': appProtocol }));

    expect(spec).toMatchObject({ protocol });
  });

  it('reads the flat form hosts[].tls.sni into one TLS setting validated against the system store', () => {
    const spec = accepted(translate(STATIC, 'tls-hosts'));

    expect(spec).toEqual({
      type: 'static',
      endpoints: [
        { address: { kind: 'fqdn', hostname: 'a.api.example.com', port: 443 }, priority: 0 },
        { address: { kind: 'fqdn', hostname: 'b.api.example.com', port: 443 }, priority: 0 },
      ],
      protocol: 'http1',
      tls: {
        sni: 'api.example.com',
        caCertificateRefs: [],
        wellKnownCACertificates: 'System',
        subjectAltNames: [],
        insecureSkipVerify: false,
      },
    });
  });

  it.each([
    ['spec.static.hosts[1].port', 0],
    ['spec.static.hosts[1].port', 65536],
    ['spec.static.hosts[1].port', 80.5],
    ['spec.static.hosts[1].port', '8443'],
  ])('rejects %s = %j as out of range', (field, value) => {
    const condition = rejected(translate(STATIC, 'external-api', { [field]: value }));

    expectProblem(condition, {
      resource: 'Backend default/external-api',
      field,
      text: 'must be a port number between 1 and 65535',
    });
  });

  it.each([
    ['spec.static.hosts[0].host', 'bad_host!', 'is not a valid DNS name'],
    ['spec.static.hosts[0].host', '127.0.0.1', 'loopback'],
    ['spec.static.hosts[0].host', '', 'must not be empty'],
    ['spec.static.hosts[0].port', undefined, 'required'],
    ['spec.static.hosts', [], 'at least one host is required'],
    ['spec.static.appProtocol', 'http3', 'must be one of http2, grpc'],
  ])('rejects %s = %j', (field, value, text) => {
    const condition = rejected(translate(STATIC, 'external-api', { [field]: value }));

    expectProblem(condition, { resource: 'Backend default/external-api', field, text });
  });

  it('rejects hosts that disagree on TLS or SNI', () => {
    const mixedSni = rejected(
      translate(STATIC, 'tls-hosts', { 'spec.static.hosts[1].tls.sni': 'other.example.com' }),
    );
    const partial = rejected(translate(STATIC, 'tls-hosts', { 'spec.static.hosts[0].tls': undefined }));

    expectProblem(mixedSni, {
      resource: 'Backend default/tls-hosts',
      field: 'spec.static.hosts[1].tls.sni',
      text: 'must equal spec.static.hosts[0].tls.sni',
    });
    expectProblem(partial, {
      resource: 'Backend default/tls-hosts',
      field: 'spec.static.hosts[0].tls',
      text: 'spec.static.hosts[1] uses TLS',
    });
  });

  it('lists every field error in one condition', () => {
    const condition = rejected(
      translate(STATIC, 'external-api', {
        'spec.static.hosts[0].port': 0,
        'spec.static.hosts[2].port': 99999,
      }),
    );

    expect(condition.message).toContain('spec.static.hosts[0].port: ');
    expect(condition.message).toContain('spec.static.hosts[2].port: ');
  });
});

describe('kgateway Backend: which type', () => {
  it('rejects a Backend with no block, naming spec', () => {
    const condition = rejected(translate(STATIC, 'h2c-backend', { 'spec.static': undefined }));

    expectProblem(condition, {
      resource: 'Backend default/h2c-backend',
      field: 'spec',
      text: 'exactly one of spec.static, spec.aws, spec.ai or spec.dynamicForwardProxy must be set; none is',
    });
  });

  it('rejects a Backend with two blocks, naming both', () => {
    const condition = rejected(translate(STATIC, 'h2c-backend', { 'spec.dynamicForwardProxy': {} }));

    expectProblem(condition, {
      resource: 'Backend default/h2c-backend',
      field: 'spec',
      text: 'found spec.static and spec.dynamicForwardProxy',
    });
  });

  it('rejects a spec.type that disagrees with the block, naming both', () => {
    const condition = rejected(translate(STATIC, 'external-api', { 'spec.type': 'AWS' }));

    expectProblem(condition, {
      resource: 'Backend default/external-api',
      field: 'spec.type',
      text: 'spec.type is AWS but spec.static is set',
    });
  });

  it('rejects a spec.type whose block is missing', () => {
    const condition = rejected(
      translate(STATIC, 'external-api', { 'spec.type': 'AI', 'spec.static': undefined }),
    );

    expectProblem(condition, {
      resource: 'Backend default/external-api',
      field: 'spec',
      text: 'spec.type is AI but spec.ai is not set',
    });
  });

  it('accepts the older lower-case type names', () => {
    expect(accepted(translate(STATIC, 'external-api', { 'spec.type': 'static' })).type).toBe('static');
  });

  it('rejects unsupported types with UnsupportedValue', () => {
    const gcpType = rejected(translate(STATIC, 'external-api', { 'spec.type': 'GCP' }));
    const gcpBlock = rejected(translate(STATIC, 'h2c-backend', { 'spec.gcp': { host: 'x.googleapis.com' } }));

    expectProblem(gcpType, {
      resource: 'Backend default/external-api',
      field: 'spec.type',
      reason: 'UnsupportedValue',
      text: '"GCP" is not supported',
    });
    expectProblem(gcpBlock, {
      resource: 'Backend default/h2c-backend',
      field: 'spec.gcp',
      reason: 'UnsupportedValue',
    });
  });

  it('rejects an unknown API version', () => {
    const condition = rejected(translate(STATIC, 'h2c-backend', { apiVersion: 'gateway.kgateway.dev/v1' }));

    expectProblem(condition, {
      resource: 'Backend default/h2c-backend',
      field: 'apiVersion',
      reason: 'UnsupportedValue',
      text: 'use "gateway.kgateway.dev/v1alpha1"',
    });
  });

  it('treats null fields as absent, as the API server does', () => {
    const spec = accepted(translate(STATIC, 'h2c-backend', { 'spec.type': null, 'spec.aws': null }));

    expect(spec.type).toBe('static');
  });

  it('rejects a missing or non-object spec', () => {
    const missing = rejected(translate(STATIC, 'h2c-backend', { spec: undefined }));
    const wrongType = rejected(translate(STATIC, 'h2c-backend', { spec: 'static' }));

    expectProblem(missing, { resource: 'Backend default/h2c-backend', field: 'spec', text: 'required' });
    expectProblem(wrongType, {
      resource: 'Backend default/h2c-backend',
      field: 'spec',
      text: 'must be an object',
    });
  });
});

describe('kgateway Backend: AWS Lambda', () => {
  it('translates the older form with a Secret and every option', () => {
    const spec = accepted(translate(LAMBDA, 'orders-lambda'));

    expect(spec).toEqual({
      type: 'lambda',
      arn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders-handler:prod',
      functionName: 'orders-handler',
      qualifier: 'prod',
      region: 'eu-west-1',
      accountId: '123456789012',
      invocationMode: 'Async',
      payloadTransformMode: 'None',
      endpoint: { host: 'lambda.eu-west-1.amazonaws.com', port: 443, tls: true },
      auth: { mode: 'secret', secretRef: { kind: 'Secret', namespace: 'default', name: 'aws-creds' } },
    });
  });

  it('applies kgateway defaults and assumes a role with the default session name', () => {
    const spec = accepted(translate(LAMBDA, 'lambda'));

    expect(spec).toEqual({
      type: 'lambda',
      arn: 'arn:aws:lambda:us-east-1:123456789012:function:my-handler:$LATEST',
      functionName: 'my-handler',
      qualifier: '$LATEST',
      region: 'us-east-1',
      accountId: '123456789012',
      invocationMode: 'Sync',
      payloadTransformMode: 'Envelope',
      endpoint: { host: 'lambda.us-east-1.amazonaws.com', port: 443, tls: true },
      auth: {
        mode: 'assumeRole',
        roleArn: 'arn:aws:iam::123456789012:role/fleetplane/invoke-orders',
        roleSessionName: 'fleetplane-shop-lambda',
        externalId: 'shop-7f3a',
      },
    });
  });

  it('cuts the default session name to the 64 characters STS allows', () => {
    const longName = 'a'.repeat(63);
    const spec = accepted(translate(LAMBDA, 'lambda', { 'metadata.name': longName }));

    const auth = spec.type === 'lambda' ? spec.auth : undefined;
    expect(auth).toMatchObject({ mode: 'assumeRole', roleSessionName: `fleetplane-shop-${'a'.repeat(48)}` });
  });

  it('keeps a given session name', () => {
    const spec = accepted(translate(LAMBDA, 'lambda', { 'spec.aws.auth.roleSessionName': 'orders@shop' }));

    expect(spec).toMatchObject({ auth: { roleSessionName: 'orders@shop' } });
  });

  it('takes region, account and qualifier from a China ARN, with the aws-cn partition and .com.cn endpoint', () => {
    const spec = accepted(translate(LAMBDA, 'cn-lambda'));

    expect(spec).toMatchObject({
      arn: 'arn:aws-cn:lambda:cn-north-1:210987654321:function:report:7',
      functionName: 'report',
      qualifier: '7',
      region: 'cn-north-1',
      endpoint: { host: 'lambda.cn-north-1.amazonaws.com.cn', port: 443, tls: true },
      auth: { mode: 'defaultChain' },
    });
  });

  it('reads the region and account from the ARN when they are omitted', () => {
    const spec = accepted(
      translate(LAMBDA, 'cn-lambda', { 'spec.aws.region': undefined, 'spec.aws.accountId': undefined }),
    );

    expect(spec).toMatchObject({ region: 'cn-north-1', accountId: '210987654321' });
  });

  it('uses the GovCloud partition and an emulator endpointURL without TLS', () => {
    const spec = accepted(translate(LAMBDA, 'gov-local'));

    expect(spec).toMatchObject({
      arn: 'arn:aws-us-gov:lambda:us-gov-west-1:000000000000:function:echo:$LATEST',
      payloadTransformMode: 'Envelope',
      endpoint: { host: 'localstack.dev.svc', port: 4566, tls: false },
    });
  });

  it.each([
    ['https://lambda.local', { host: 'lambda.local', port: 443, tls: true }],
    ['http://10.0.0.5', { host: '10.0.0.5', port: 80, tls: false }],
    ['http://[fd00::5]:9000/', { host: 'fd00::5', port: 9000, tls: false }],
  ])('parses endpointURL %s', (endpointURL, endpoint) => {
    const spec = accepted(translate(LAMBDA, 'gov-local', { 'spec.aws.lambda.endpointURL': endpointURL }));

    expect(spec).toMatchObject({ endpoint });
  });

  it('translates the flat JSON-schema form to an assumed role', () => {
    const spec = accepted(translate(LAMBDA, 'flat-lambda'));

    expect(spec).toMatchObject({
      arn: 'arn:aws:lambda:us-west-2:123456789012:function:thumbnailer:$LATEST',
      auth: {
        mode: 'assumeRole',
        roleArn: 'arn:aws:iam::123456789012:role/thumbnailer-invoker',
        roleSessionName: 'fleetplane-default-flat-lambda',
      },
    });
  });

  it.each([
    ['spec.aws.accountId', undefined, 'required'],
    ['spec.aws.accountId', '12345', 'must be exactly 12 digits'],
    ['spec.aws.accountId', 123456789012, 'must be a string'],
    ['spec.aws.region', 'US-EAST-1', 'is not an AWS region'],
    ['spec.aws.region', 'us-iso-east-1', 'isolated AWS partition'],
    ['spec.aws.lambda', undefined, 'required'],
    ['spec.aws.lambda.functionName', 'my function', 'is not a Lambda function name'],
    ['spec.aws.lambda.functionName', undefined, 'required'],
    [
      'spec.aws.lambda.functionName',
      'arn:aws:lambda:eu-west-1:123456789012:function',
      'is not a Lambda function ARN',
    ],
    ['spec.aws.lambda.qualifier', 'v1.2', 'is not a Lambda qualifier'],
    ['spec.aws.lambda.invocationMode', 'Event', 'must be one of Sync, Async'],
    ['spec.aws.auth.secretRef', undefined, 'required when type is Secret'],
    ['spec.aws.auth.type', 'Token', 'must be one of Secret, AssumeRole, Default'],
  ])('rejects %s = %j', (field, value, text) => {
    const condition = rejected(translate(LAMBDA, 'orders-lambda', { [field]: value }));

    expectProblem(condition, { resource: 'Backend default/orders-lambda', field, text });
  });

  it('rejects an ARN whose region or account disagrees with the spec', () => {
    const arn = 'arn:aws:lambda:us-east-1:999999999999:function:orders-handler';
    const condition = rejected(translate(LAMBDA, 'orders-lambda', { 'spec.aws.lambda.functionName': arn }));

    expectProblem(condition, {
      resource: 'Backend default/orders-lambda',
      field: 'spec.aws.lambda.functionName',
      text: 'the ARN is in region us-east-1 but spec.aws.region is eu-west-1',
    });
    expect(condition.message).toContain(
      'the ARN is in account 999999999999 but spec.aws.accountId is 123456789012',
    );
  });

  it('rejects an ARN whose partition does not match the region', () => {
    const arn = 'arn:aws:lambda:cn-north-1:210987654321:function:report';
    const condition = rejected(translate(LAMBDA, 'cn-lambda', { 'spec.aws.lambda.functionName': arn }));

    expectProblem(condition, {
      resource: 'Backend default/cn-lambda',
      field: 'spec.aws.lambda.functionName',
      text: "the ARN's partition aws does not match region cn-north-1 (aws-cn)",
    });
  });

  it('rejects a qualifier given twice with different values', () => {
    const condition = rejected(translate(LAMBDA, 'cn-lambda', { 'spec.aws.lambda.qualifier': '8' }));

    expectProblem(condition, {
      resource: 'Backend default/cn-lambda',
      field: 'spec.aws.lambda.qualifier',
      text: 'the function ARN ends in :7',
    });
  });

  it.each([
    ['arn:aws:iam::123456789012:user/alice', 'is not an IAM role ARN'],
    ['arn:aws:sts::123456789012:role/x', 'is not an IAM ARN'],
    ['arn:aws-eu:iam::123456789012:role/x', 'unknown partition "aws-eu"'],
    ['arn:aws:iam::1234:role/x', 'invalid account ID "1234"'],
    ['arn:aws:iam::123456789012:role/bad name', 'invalid role name'],
    ['role/x', 'is not an ARN'],
    ['arn:aws-cn:iam::123456789012:role/x', 'a role can only be assumed within its own partition'],
  ])('rejects roleArn %s', (roleArn, text) => {
    const condition = rejected(translate(LAMBDA, 'lambda', { 'spec.aws.auth.roleArn': roleArn }));

    expectProblem(condition, { resource: 'Backend shop/lambda', field: 'spec.aws.auth.roleArn', text });
  });

  it('rejects AssumeRole without roleArn, and an invalid session name or external ID', () => {
    const noArn = rejected(translate(LAMBDA, 'lambda', { 'spec.aws.auth.roleArn': undefined }));
    const badSession = rejected(
      translate(LAMBDA, 'lambda', { 'spec.aws.auth.roleSessionName': 'has space' }),
    );
    const badExternal = rejected(translate(LAMBDA, 'lambda', { 'spec.aws.auth.externalId': 'x' }));

    expectProblem(noArn, {
      resource: 'Backend shop/lambda',
      field: 'spec.aws.auth.roleArn',
      text: 'required',
    });
    expectProblem(badSession, { resource: 'Backend shop/lambda', field: 'spec.aws.auth.roleSessionName' });
    expectProblem(badExternal, { resource: 'Backend shop/lambda', field: 'spec.aws.auth.externalId' });
  });

  it('rejects a flat roleArn with a bad ARN at spec.aws.roleArn', () => {
    const condition = rejected(
      translate(LAMBDA, 'flat-lambda', { 'spec.aws.roleArn': 'arn:aws:iam::123:role/x' }),
    );

    expectProblem(condition, { resource: 'Backend default/flat-lambda', field: 'spec.aws.roleArn' });
  });

  it('rejects mixing the flat and structured forms', () => {
    const condition = rejected(
      translate(LAMBDA, 'flat-lambda', { 'spec.aws.lambda': { functionName: 'x' } }),
    );

    expectProblem(condition, {
      resource: 'Backend default/flat-lambda',
      field: 'spec.aws',
      text: 'not both',
    });
  });

  it('rejects a Secret in another namespace with RefNotPermitted', () => {
    const condition = rejected(
      translate(LAMBDA, 'orders-lambda', { 'spec.aws.auth.secretRef.namespace': 'infra' }),
    );

    expectProblem(condition, {
      resource: 'Backend default/orders-lambda',
      field: 'spec.aws.auth.secretRef.namespace',
      reason: 'RefNotPermitted',
      text: 'Secret infra/aws-creds is in another namespace',
    });
  });

  it('rejects the retired irsa auth type with UnsupportedValue and says what to use', () => {
    const condition = rejected(translate(LAMBDA, 'orders-lambda', { 'spec.aws.auth': { type: 'irsa' } }));

    expectProblem(condition, {
      resource: 'Backend default/orders-lambda',
      field: 'spec.aws.auth.type',
      reason: 'UnsupportedValue',
      text: 'omit auth to use the proxy default credential chain',
    });
  });

  it.each([
    ['ftp://localstack:21', 'scheme ftp is not supported'],
    ['localstack:4566', 'scheme localstack is not supported'],
    ['not a url', 'is not a URL'],
    ['http://localstack:4566/lambda', 'must not have a path'],
    ['https://AKIDEXAMPLE:s3cr3t-value@lambda.local', 'must not contain credentials'],
    ['http://bad_host:4566', 'host "bad_host" is not a valid DNS name'],
    ['http://localstack:0', 'port must be between 1 and 65535'],
  ])('rejects endpointURL %s', (endpointURL, text) => {
    const condition = rejected(
      translate(LAMBDA, 'gov-local', { 'spec.aws.lambda.endpointURL': endpointURL }),
    );

    expectProblem(condition, {
      resource: 'Backend default/gov-local',
      field: 'spec.aws.lambda.endpointURL',
      text,
    });
    expect(condition.message).not.toContain('s3cr3t-value');
  });
});

describe('kgateway Backend: AI', () => {
  it('translates the current form with a Secret-backed token', () => {
    const provider = onlyProvider(accepted(translate(AI, 'openai')));

    expect(provider).toEqual({
      provider: 'openai',
      model: 'gpt-4o-mini',
      host: 'api.openai.com',
      port: 443,
      path: '/v1/chat/completions',
      auth: {
        mode: 'secret',
        secretRef: { kind: 'Secret', namespace: 'ai', name: 'openai-secret', key: 'Authorization' },
        header: 'Authorization',
        prefix: 'Bearer ',
      },
      settings: {},
    });
  });

  it('applies the older host, path and auth header overrides', () => {
    const provider = onlyProvider(accepted(translate(AI, 'openai-override')));

    expect(provider).toEqual({
      provider: 'openai',
      host: 'test-ai-provider.ai.svc.cluster.local',
      port: 8443,
      path: '/api/v1/chat/completions',
      auth: {
        mode: 'secret',
        secretRef: { kind: 'Secret', namespace: 'ai', name: 'proxy-token', key: 'token' },
        header: 'X-Token',
        prefix: 'Token ',
      },
      settings: {},
    });
  });

  it('reads the early camelCase form with the token kind inferred', () => {
    const provider = onlyProvider(accepted(translate(AI, 'chat-api')));

    expect(provider).toMatchObject({
      provider: 'openai',
      model: 'gpt-4',
      auth: { mode: 'secret', secretRef: { name: 'openai-key', key: 'Authorization' } },
    });
  });

  it('forwards the client token for Passthrough, with the current host/port/path overrides', () => {
    const provider = onlyProvider(accepted(translate(AI, 'passthrough')));

    expect(provider).toEqual({
      provider: 'openai',
      host: 'llm-proxy.ai.svc.cluster.local',
      port: 443,
      path: '/openai/v1/chat/completions',
      auth: { mode: 'passthrough' },
      settings: {},
    });
  });

  it('keeps priority groups in order and sorts the providers within each', () => {
    const spec = accepted(translate(AI, 'azure-failover'));

    const priorities = spec.type === 'ai' ? spec.priorities : [];
    expect(priorities.map((g) => g.map((p) => p.host))).toEqual([
      ['east-a.openai.azure.com', 'east-b.openai.azure.com'],
      ['west.openai.azure.com'],
    ]);
    expect(priorities[1]?.[0]).toEqual({
      provider: 'azureopenai',
      host: 'west.openai.azure.com',
      port: 443,
      path: '/openai/deployments/gpt-4o-mini-2/chat/completions?api-version=2024-02-15-preview',
      auth: {
        mode: 'secret',
        secretRef: { kind: 'Secret', namespace: 'ai', name: 'azure-west', key: 'Authorization' },
        header: 'api-key',
        prefix: '',
      },
      settings: {
        apiVersion: '2024-02-15-preview',
        deploymentName: 'gpt-4o-mini-2',
        endpoint: 'west.openai.azure.com',
      },
    });
  });

  it('reads multipool priorities', () => {
    const spec = accepted(translate(AI, 'anthropic-pool'));

    const priorities = spec.type === 'ai' ? spec.priorities : [];
    expect(priorities).toEqual([
      [
        {
          provider: 'anthropic',
          model: 'claude-3-5-sonnet-latest',
          host: 'api.anthropic.com',
          port: 443,
          path: '/v1/messages',
          auth: {
            mode: 'secret',
            secretRef: { kind: 'Secret', namespace: 'ai', name: 'anthropic-primary', key: 'Authorization' },
            header: 'x-api-key',
            prefix: '',
          },
          settings: { apiVersion: '2023-06-01' },
        },
      ],
      [
        expect.objectContaining({
          host: 'anthropic-cache.ai.svc.cluster.local',
          port: 8080,
          path: '/v1/messages',
        }),
      ],
    ]);
  });

  it('reads the flat ai.provider form', () => {
    const provider = onlyProvider(accepted(translate(AI, 'flat-azure')));

    expect(provider).toMatchObject({
      provider: 'azureopenai',
      host: 'contoso.openai.azure.com',
      path: '/openai/deployments/chat/chat/completions?api-version=2024-06-01',
      auth: {
        mode: 'secret',
        header: 'api-key',
        prefix: '',
        secretRef: { namespace: 'ai', name: 'azure-key' },
      },
    });
  });

  it.each([
    [
      'gemini',
      {
        model: 'gemini-1.5-flash',
        host: 'generativelanguage.googleapis.com',
        path: '/v1beta/models/gemini-1.5-flash:generateContent',
        auth: { mode: 'secret', header: 'x-goog-api-key', prefix: '' },
        settings: { apiVersion: 'v1beta' },
      },
    ],
    [
      'vertexai',
      {
        host: 'us-central1-aiplatform.googleapis.com',
        path: '/v1/projects/my-project-123/locations/us-central1/publishers/google/models/gemini-1.5-pro:generateContent',
        auth: { mode: 'secret', header: 'Authorization', prefix: 'Bearer ' },
        settings: {
          apiVersion: 'v1',
          location: 'us-central1',
          modelPath: 'generateContent',
          projectId: 'my-project-123',
          publisher: 'google',
        },
      },
    ],
    [
      'vertexai-global',
      {
        host: 'aiplatform.googleapis.com',
        path: '/v1beta1/projects/my-project-123/locations/global/publishers/google/models/gemini-2.0-flash:streamGenerateContent',
      },
    ],
    [
      'bedrock',
      {
        model: 'anthropic.claude-3-haiku-20240307-v1:0',
        host: 'bedrock-runtime.eu-central-1.amazonaws.com',
        path: '/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse',
        auth: { mode: 'aws', region: 'eu-central-1', auth: { mode: 'defaultChain' } },
        settings: { guardrailIdentifier: 'gr-123', guardrailVersion: '2', region: 'eu-central-1' },
      },
    ],
    [
      'bedrock-keys',
      {
        host: 'bedrock-runtime.us-east-1.amazonaws.com',
        auth: {
          mode: 'aws',
          region: 'us-east-1',
          auth: { mode: 'secret', secretRef: { kind: 'Secret', namespace: 'ai', name: 'bedrock-creds' } },
        },
      },
    ],
    [
      'mistral',
      {
        model: 'mistral-large-latest',
        host: 'api.mistral.ai',
        path: '/v1/chat/completions',
        auth: { mode: 'secret', header: 'Authorization', prefix: 'Bearer ' },
      },
    ],
    [
      'anthropic',
      { host: 'api.anthropic.com', path: '/v1/messages', auth: { header: 'x-api-key', prefix: '' } },
    ],
  ])('fills the %s defaults', (name, expected) => {
    const provider = onlyProvider(accepted(translate(PROVIDERS, name)));

    expect(provider).toMatchObject({ port: 443, ...expected });
  });

  it('rejects an inline token without echoing it, pointing to secretRef', () => {
    const token = 'sk-live-do-not-leak-0123456789';
    const condition = rejected(
      translate(AI, 'openai', { 'spec.ai.llm.openai.authToken': { kind: 'Inline', inline: token } }),
    );

    expectProblem(condition, {
      resource: 'Backend ai/openai',
      field: 'spec.ai.llm.openai.authToken.inline',
      text: /copied into the IR and every xDS snapshot.*kind: SecretRef with secretRef\.name/,
    });
    expect(condition.message).not.toContain(token);
  });

  it('rejects an inline token even when kind says SecretRef', () => {
    const condition = rejected(translate(AI, 'openai', { 'spec.ai.llm.openai.authToken.inline': 'sk-x' }));

    expectProblem(condition, { resource: 'Backend ai/openai', field: 'spec.ai.llm.openai.authToken.inline' });
  });

  it('rejects a token Secret in another namespace with RefNotPermitted', () => {
    const condition = rejected(
      translate(AI, 'flat-azure', { 'spec.ai.provider.azure.authToken.secretRef.namespace': 'other' }),
    );

    expectProblem(condition, {
      resource: 'Backend ai/flat-azure',
      field: 'spec.ai.provider.azure.authToken.secretRef.namespace',
      reason: 'RefNotPermitted',
      text: 'cross-namespace Secret references are not allowed',
    });
  });

  it.each([
    [AI, 'openai', { 'spec.ai.llm.cohere': { authToken: {} } }, 'spec.ai.llm.cohere'],
    [AI, 'openai-override', { 'spec.ai.llm.provider.llama': {} }, 'spec.ai.llm.provider.llama'],
    [AI, 'flat-azure', { 'spec.ai.provider.type': 'watsonx' }, 'spec.ai.provider.type'],
  ])('rejects an unknown provider with UnsupportedValue (%s %s)', (file, name, changes, field) => {
    const condition = rejected(translate(file, name, changes));

    expectProblem(condition, {
      resource: `Backend ai/${name}`,
      field,
      reason: 'UnsupportedValue',
      text: 'unknown LLM provider',
    });
    expect(condition.message).toContain(
      'supported: anthropic, azureopenai, bedrock, gemini, mistral, openai, vertexai',
    );
  });

  it('rejects two providers in one entry, or none', () => {
    const two = rejected(
      translate(AI, 'openai', { 'spec.ai.llm.anthropic': { authToken: { kind: 'Passthrough' } } }),
    );
    const none = rejected(translate(AI, 'openai', { 'spec.ai.llm.openai': undefined }));

    expectProblem(two, {
      resource: 'Backend ai/openai',
      field: 'spec.ai.llm',
      text: 'exactly one LLM provider per entry',
    });
    expectProblem(none, {
      resource: 'Backend ai/openai',
      field: 'spec.ai.llm',
      text: 'an LLM provider is required',
    });
  });

  it('rejects a flat provider.type that names another block', () => {
    const condition = rejected(translate(AI, 'flat-azure', { 'spec.ai.provider.type': 'openai' }));

    expectProblem(condition, {
      resource: 'Backend ai/flat-azure',
      field: 'spec.ai.provider.type',
      text: 'is openai but spec.ai.provider.azure is set',
    });
  });

  it('rejects mixing provider kinds across priority groups', () => {
    const anthropic = {
      name: 'c',
      anthropic: { authToken: { kind: 'SecretRef', secretRef: { name: 'k' } } },
    };
    const condition = rejected(
      translate(AI, 'azure-failover', { 'spec.ai.priorityGroups[1].providers[0]': anthropic }),
    );

    expectProblem(condition, {
      resource: 'Backend ai/azure-failover',
      field: 'spec.ai.priorityGroups',
      reason: 'UnsupportedValue',
      text: 'found anthropic, azureopenai',
    });
  });

  it('rejects duplicate provider names', () => {
    const condition = rejected(
      translate(AI, 'azure-failover', { 'spec.ai.priorityGroups[1].providers[0].name': 'east-b' }),
    );

    expectProblem(condition, {
      resource: 'Backend ai/azure-failover',
      field: 'spec.ai.priorityGroups[1].providers[0].name',
      text: 'already used by spec.ai.priorityGroups[0].providers[0]',
    });
  });

  it('rejects llm together with priorityGroups', () => {
    const condition = rejected(translate(AI, 'openai', { 'spec.ai.priorityGroups': [{ providers: [] }] }));

    expectProblem(condition, { resource: 'Backend ai/openai', field: 'spec.ai.priorityGroups[0].providers' });
    const both = rejected(
      translate(AI, 'openai', {
        'spec.ai.priorityGroups': [{ providers: [{ openai: { authToken: { kind: 'Passthrough' } } }] }],
      }),
    );
    expectProblem(both, {
      resource: 'Backend ai/openai',
      field: 'spec.ai',
      text: 'found spec.ai.llm and spec.ai.priorityGroups',
    });
  });

  it.each([
    [
      AI,
      'azure-failover',
      'spec.ai.priorityGroups[0].providers[0].azureopenai.deploymentName',
      undefined,
      'required',
    ],
    [
      AI,
      'azure-failover',
      'spec.ai.priorityGroups[0].providers[0].azureopenai.endpoint',
      'not a host!',
      'is not a valid DNS name',
    ],
    [AI, 'openai', 'spec.ai.llm.openai.authToken', undefined, 'required'],
    [AI, 'openai', 'spec.ai.llm.openai.authToken.secretRef', undefined, 'required when kind is SecretRef'],
    [
      AI,
      'openai',
      'spec.ai.llm.openai.authToken.kind',
      'Bearer',
      'must be one of Inline, SecretRef, Passthrough',
    ],
    [AI, 'openai', 'spec.ai.llm.openai.model', 42, 'must be a string'],
    [AI, 'passthrough', 'spec.ai.llm.port', undefined, 'host and port must be set together'],
    [AI, 'passthrough', 'spec.ai.llm.port', 0, 'must be a port number between 1 and 65535'],
    [AI, 'passthrough', 'spec.ai.llm.path.full', 'v1/chat', 'must be an absolute path'],
    [
      AI,
      'openai-override',
      'spec.ai.llm.hostOverride.port',
      70000,
      'must be a port number between 1 and 65535',
    ],
    [
      AI,
      'openai-override',
      'spec.ai.llm.authHeaderOverride.headerName',
      'X Token',
      'is not a valid HTTP header name',
    ],
    [PROVIDERS, 'gemini', 'spec.ai.llm.gemini.model', undefined, 'required'],
    [PROVIDERS, 'gemini', 'spec.ai.llm.gemini.model', 'models/gemini', 'part of the URL path'],
    [PROVIDERS, 'vertexai', 'spec.ai.llm.vertexAI.projectId', 'P', 'is not a Google Cloud project ID'],
    [PROVIDERS, 'vertexai', 'spec.ai.llm.vertexAI.location', 'mars', 'is not a Vertex AI location'],
    [PROVIDERS, 'bedrock', 'spec.ai.llm.bedrock.region', 'eu_central_1', 'is not an AWS region'],
    [
      PROVIDERS,
      'bedrock-keys',
      'spec.ai.llm.bedrock.auth.secretRef',
      undefined,
      'required when type is Secret',
    ],
  ])('rejects %s %s: %s = %j', (file, name, field, value, text) => {
    const condition = rejected(translate(file, name, { [field]: value }));

    expectProblem(condition, { resource: `Backend ai/${name}`, field, text });
  });

  it('rejects an unsupported Vertex AI publisher with UnsupportedValue', () => {
    const condition = rejected(
      translate(PROVIDERS, 'vertexai', { 'spec.ai.llm.vertexAI.publisher': 'META' }),
    );

    expectProblem(condition, {
      resource: 'Backend ai/vertexai',
      field: 'spec.ai.llm.vertexAI.publisher',
      reason: 'UnsupportedValue',
    });
  });

  it('rejects an auth header override where it cannot apply', () => {
    const passthrough = rejected(
      translate(AI, 'passthrough', { 'spec.ai.llm.authHeader': { headerName: 'X-Key' } }),
    );
    const bedrock = rejected(
      translate(PROVIDERS, 'bedrock', { 'spec.ai.llm.authHeader': { prefix: 'AWS' } }),
    );

    expectProblem(passthrough, {
      resource: 'Backend ai/passthrough',
      field: 'spec.ai.llm.authHeader',
      text: 'cannot be used with kind Passthrough',
    });
    expectProblem(bedrock, {
      resource: 'Backend ai/bedrock',
      field: 'spec.ai.llm.authHeader',
      text: 'SigV4',
    });
  });
});

describe('kgateway Backend: dynamic forward proxy', () => {
  it('translates enableTls and defaults it to false', () => {
    const withTls = accepted(translate('kgateway-dfp.yaml', 'egress-tls'));
    const plain = accepted(translate('kgateway-dfp.yaml', 'egress'));

    expect(withTls).toEqual({ type: 'dynamicForwardProxy', enableTls: true });
    expect(plain).toEqual({ type: 'dynamicForwardProxy', enableTls: false });
  });

  it('rejects a non-boolean enableTls', () => {
    const condition = rejected(
      translate('kgateway-dfp.yaml', 'egress', { 'spec.dynamicForwardProxy.enableTls': 'yes' }),
    );

    expectProblem(condition, {
      resource: 'Backend default/egress',
      field: 'spec.dynamicForwardProxy.enableTls',
      text: 'must be true or false',
    });
  });
});

describe('kgateway Backend: determinism', () => {
  it('gives the same IR whatever the order of hosts and group members', () => {
    const a = translate(AI, 'azure-failover');
    const obj = fixture(AI, 'azure-failover');
    const b = translateKgatewayBackend(
      patch(obj, {
        'spec.ai.priorityGroups[0].providers': [
          ...((obj.spec as { ai: { priorityGroups: Array<{ providers: unknown[] }> } }).ai.priorityGroups[0]
            ?.providers ?? []),
        ].reverse(),
      }),
      ctx,
    );

    expect(JSON.stringify(b.spec)).toBe(JSON.stringify(a.spec));
  });
});
