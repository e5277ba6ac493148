import { describe, expect, it } from 'vitest';
import { aiBackendProblems, buildAiCluster, llmAuthFilters } from '../../../../shared/xds/clusters/ai.ts';
import type { JsonObject } from '../../../../shared/xds/types.ts';
import { ADS, anthropic, bedrock, openai } from './fixtures.ts';

const HPO = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function filterNames(cluster: JsonObject | undefined): string[] {
  const options = (cluster?.typed_extension_protocol_options as JsonObject | undefined)?.[HPO] as
    | JsonObject
    | undefined;
  return ((options?.http_filters as JsonObject[] | undefined) ?? []).map((f) => String(f.name));
}

describe('llmAuthFilters', () => {
  it('injects secrets, signs for Bedrock and leaves passthrough alone', () => {
    // Act
    const secret = llmAuthFilters(openai().auth, ADS.sds);
    const aws = llmAuthFilters(bedrock().auth, ADS.sds);
    const passthrough = llmAuthFilters({ mode: 'passthrough' }, ADS.sds);

    // Assess
    expect(secret.map((f) => f.name)).toEqual(['envoy.filters.http.credential_injector']);
    expect(aws[0]?.typed_config).toMatchObject({ service_name: 'bedrock', region: 'us-east-1' });
    expect(passthrough).toEqual([]);
  });
});

describe('buildAiCluster', () => {
  it('reaches one provider on 443 with TLS, its SNI, its auth, and rewrites host and path', () => {
    // Act
    const built = buildAiCluster('backend_default_llm', { type: 'ai', priorities: [[openai()]] }, ADS);

    // Assess
    const [cluster] = built.clusters;
    expect(cluster).toMatchObject({
      name: 'backend_default_llm',
      type: 'STRICT_DNS',
      transport_socket: { typed_config: { sni: 'api.openai.com' } },
    });
    expect(filterNames(cluster)).toEqual([
      'envoy.filters.http.credential_injector',
      'envoy.filters.http.upstream_codec',
    ]);
    expect(built.route).toEqual({ hostRewrite: 'api.openai.com', pathRewrite: '/v1/chat/completions' });
  });

  it('maps priority groups to Envoy priorities', () => {
    // Act
    const built = buildAiCluster('c', { type: 'ai', priorities: [[openai()], [anthropic()]] }, ADS);

    // Assess
    expect(built.clusters[0]?.load_assignment).toMatchObject({
      endpoints: [
        { lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'api.openai.com' } } } }] },
        {
          priority: 1,
          lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'api.anthropic.com' } } } }],
        },
      ],
    });
  });

  it('follows each endpoint hostname for SNI and Host when providers differ', () => {
    // Act
    const built = buildAiCluster('c', { type: 'ai', priorities: [[openai()], [anthropic()]] }, ADS);

    // Assess
    const [cluster] = built.clusters;
    expect(cluster?.transport_socket).toMatchObject({
      typed_config: { auto_host_sni: true, auto_sni_san_validation: true },
    });
    expect(built.route).toEqual({ autoHostRewrite: true });
    expect(aiBackendProblems({ type: 'ai', priorities: [[openai()], [anthropic()]] })).toEqual([
      'spec.ai: providers expect different paths; the request path is not rewritten',
    ]);
  });

  it('matches TLS per endpoint when a plain-HTTP provider sits next to TLS ones', () => {
    // Act
    const built = buildAiCluster(
      'c',
      { type: 'ai', priorities: [[openai()], [openai({ host: 'mock.ai.svc', port: 8080 })]] },
      ADS,
    );

    // Assess
    const [cluster] = built.clusters;
    expect(cluster).not.toHaveProperty('transport_socket');
    expect(cluster?.transport_socket_matches).toMatchObject([{ name: 'tls', match: { tls: true } }]);
    expect(cluster?.load_assignment).toMatchObject({
      endpoints: [
        {
          lb_endpoints: [
            { metadata: { filter_metadata: { 'envoy.transport_socket_match': { tls: true } } } },
          ],
        },
        {
          priority: 1,
          lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'mock.ai.svc' } } } }],
        },
      ],
    });
  });

  it('speaks plain HTTP to a provider override off 443', () => {
    // Act
    const built = buildAiCluster(
      'c',
      { type: 'ai', priorities: [[openai({ host: '10.0.0.5', port: 8000 })]] },
      ADS,
    );

    // Assess
    expect(built.clusters[0]).toMatchObject({ type: 'STATIC' });
    expect(built.clusters[0]).not.toHaveProperty('transport_socket');
  });

  it("sends Anthropic's apiVersion as the anthropic-version header", () => {
    // Act
    const built = buildAiCluster(
      'c',
      { type: 'ai', priorities: [[anthropic({ settings: { apiVersion: '2023-06-01' } })]] },
      ADS,
    );

    // Assess
    expect(built.route.requestHeadersToAdd).toEqual([{ name: 'anthropic-version', value: '2023-06-01' }]);
  });

  it('sets no anthropic-version header when providers disagree, and reports it', () => {
    // Prepare
    const backend = {
      type: 'ai' as const,
      priorities: [[anthropic({ settings: { apiVersion: '2023-06-01' } })], [anthropic()]],
    };

    // Act
    const built = buildAiCluster('c', backend, ADS);

    // Assess
    expect(built.route).not.toHaveProperty('requestHeadersToAdd');
    expect(aiBackendProblems(backend)).toEqual([
      'spec.ai: providers need different request headers (anthropic-version); none is set',
    ]);
  });

  it('reports providers whose auth differs (only the first one is programmed)', () => {
    // Prepare
    const backend = {
      type: 'ai' as const,
      priorities: [[openai()], [openai({ auth: { mode: 'passthrough' } })]],
    };

    // Act
    const problems = aiBackendProblems(backend);

    // Assess
    expect(problems).toEqual([
      "spec.ai: providers use different auth; only the first provider's auth is applied",
    ]);
    expect(filterNames(buildAiCluster('c', backend, ADS).clusters[0])).toContain(
      'envoy.filters.http.credential_injector',
    );
  });
});
