import { describe, expect, it } from 'vitest';
import {
  buildAIServiceBackendCluster,
  schemaPathPrefix,
  securityPolicyFilters,
  unsupportedFeatures,
} from '../../../../shared/xds/clusters/ai-service-backend.ts';
import type { JsonObject } from '../../../../shared/xds/types.ts';
import {
  ADS,
  aisb,
  aisbId,
  apiKeyPolicy,
  defined,
  egBackendId,
  kgwBackendId,
  lambdaBackend,
  openaiTarget,
} from './fixtures.ts';

const HPO = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function generic(filter: JsonObject | undefined): JsonObject {
  return ((defined(filter).typed_config as JsonObject).credential as JsonObject).typed_config as JsonObject;
}

describe('securityPolicyFilters', () => {
  it('maps each API key policy to its header', () => {
    // Act
    const bearer = generic(securityPolicyFilters(apiKeyPolicy('APIKey'), ADS.sds)[0]);
    const azure = generic(securityPolicyFilters(apiKeyPolicy('AzureAPIKey'), ADS.sds)[0]);
    const anthropic = generic(securityPolicyFilters(apiKeyPolicy('AnthropicAPIKey'), ADS.sds)[0]);

    // Assess
    expect(bearer).toMatchObject({ header: 'Authorization', header_value_prefix: 'Bearer ' });
    expect(azure.header).toBe('api-key');
    expect(azure).not.toHaveProperty('header_value_prefix');
    expect(anthropic.header).toBe('x-api-key');
  });

  it('signs AWSCredentials for bedrock in the policy region', () => {
    // Act
    const [filter] = securityPolicyFilters(
      {
        targetRefs: [],
        type: 'AWSCredentials',
        aws: { region: 'eu-central-1', auth: { mode: 'defaultChain' } },
      },
      ADS.sds,
    );

    // Assess
    expect(filter?.typed_config).toMatchObject({ service_name: 'bedrock', region: 'eu-central-1' });
  });
});

describe('schemaPathPrefix', () => {
  it('defaults per schema as Envoy AI Gateway does', () => {
    expect(schemaPathPrefix({ name: 'OpenAI' })).toBe('/v1');
    expect(schemaPathPrefix({ name: 'Anthropic' })).toBe('/v1');
    expect(schemaPathPrefix({ name: 'Cohere' })).toBe('/v2');
    expect(schemaPathPrefix({ name: 'AWSBedrock' })).toBeUndefined();
  });

  it('normalises an explicit prefix and treats "/" as none', () => {
    expect(schemaPathPrefix({ name: 'OpenAI', prefix: 'v1beta/openai/' })).toBe('/v1beta/openai');
    expect(schemaPathPrefix({ name: 'OpenAI', prefix: '/' })).toBeUndefined();
  });
});

describe('buildAIServiceBackendCluster', () => {
  it('names the cluster after the AIServiceBackend and injects the policy auth', () => {
    // Act
    const built = buildAIServiceBackendCluster(aisbId('openai'), aisb(), openaiTarget(), apiKeyPolicy(), ADS);

    // Assess
    expect(built.clusterName).toBe('aiservicebackend_default_openai');
    const [cluster] = built.clusters;
    expect(cluster).toMatchObject({ name: 'aiservicebackend_default_openai', type: 'STRICT_DNS' });
    const options = (defined(cluster).typed_extension_protocol_options as JsonObject)[HPO] as JsonObject;
    expect((options.http_filters as JsonObject[]).map((f) => f.name)).toEqual([
      'envoy.filters.http.credential_injector',
      'envoy.filters.http.upstream_codec',
    ]);
  });

  it('rewrites Host to the target FQDN, adds the schema prefix and the header mutation', () => {
    // Prepare
    const spec = aisb({
      headerMutation: {
        set: [
          { name: 'x-b', value: '2' },
          { name: 'x-a', value: '1' },
        ],
        remove: ['x-debug', 'x-debug'],
      },
    });

    // Act
    const built = buildAIServiceBackendCluster(aisbId('openai'), spec, openaiTarget(), undefined, ADS);

    // Assess
    expect(built.route).toEqual({
      hostRewrite: 'api.openai.com',
      pathPrefix: '/v1',
      requestHeadersToAdd: [
        { name: 'x-a', value: '1' },
        { name: 'x-b', value: '2' },
      ],
      requestHeadersToRemove: ['x-debug'],
    });
  });

  it('takes TLS from a BackendTLSPolicy on the target Backend', () => {
    // Act
    const built = buildAIServiceBackendCluster(aisbId('openai'), aisb(), openaiTarget(), undefined, {
      ...ADS,
      tls: {
        sni: 'api.openai.com',
        caCertificateRefs: [],
        wellKnownCACertificates: 'System',
        subjectAltNames: [],
      },
    });

    // Assess
    expect(built.clusters[0]?.transport_socket).toMatchObject({ typed_config: { sni: 'api.openai.com' } });
  });

  it('refuses a target that is not an Envoy Gateway Backend', () => {
    expect(() =>
      buildAIServiceBackendCluster(
        aisbId('x'),
        aisb(),
        { id: kgwBackendId('fn'), backend: lambdaBackend() },
        undefined,
        ADS,
      ),
    ).toThrow(/only Envoy Gateway Backends/);
  });

  it('reaches a DynamicResolver target through the forward proxy cluster', () => {
    // Act
    const built = buildAIServiceBackendCluster(
      aisbId('any'),
      aisb(),
      { id: egBackendId('resolver'), backend: { type: 'dynamicResolver' } },
      apiKeyPolicy(),
      ADS,
    );

    // Assess
    expect(built.clusters[0]).toMatchObject({ lb_policy: 'CLUSTER_PROVIDED' });
    expect(built.listenerHttpFilters).toHaveLength(1);
  });
});

describe('unsupportedFeatures', () => {
  it('is empty for an OpenAI backend without body mutation', () => {
    expect(unsupportedFeatures(aisb({ headerMutation: { set: [], remove: ['x'] } }))).toEqual([]);
  });

  it('names bodyMutation and schemas that need translation', () => {
    // Act
    const problems = unsupportedFeatures(
      aisb({
        schema: { name: 'AWSBedrock' },
        bodyMutation: { set: [{ path: 'temperature', value: '0' }], remove: [] },
      }),
    );

    // Assess
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^spec\.schema\.name: AWSBedrock/);
    expect(problems[1]).toMatch(/^spec\.bodyMutation: /);
  });
});
