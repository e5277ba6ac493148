// AI backends (kgateway `ai`): one cluster per Backend holding every LLM provider, priority groups as
// Envoy priorities (failover), TLS to each provider host and the provider's auth as upstream filters.

import type { BackendIR, EndpointAddressIR, LlmAuthIR, LlmProviderIR } from '../../ir/types.ts';
import type { BuiltCluster, ClusterBuildContext, JsonObject, RouteTweaks, SdsMode } from '../types.ts';
import { awsRequestSigningFilter } from './aws-signing.ts';
import { credentialInjectorFilter } from './credential-injector.ts';
import {
  clusterBase,
  discoveryTypeFor,
  isIpAddress,
  loadAssignment,
  type PrioritizedEndpoint,
} from './endpoints.ts';
import { typedExtensionProtocolOptions } from './protocol.ts';
import { systemTrust, upstreamTlsTransportSocket } from './tls.ts';

export type AiBackendIR = Extract<BackendIR, { type: 'ai' }>;

/** Providers on this port are reached over TLS; any other port (local mocks, overrides) is plain HTTP. */
export const LLM_TLS_PORT = 443;

/** Endpoint metadata key Envoy matches `transport_socket_matches` against. */
const TRANSPORT_SOCKET_MATCH = 'envoy.transport_socket_match';

/** Upstream HTTP filters that authenticate to a provider. */
export function llmAuthFilters(auth: LlmAuthIR, sds: SdsMode): JsonObject[] {
  switch (auth.mode) {
    case 'passthrough':
      return [];
    case 'secret':
      return [credentialInjectorFilter(auth.secretRef, auth.header, auth.prefix, sds)];
    case 'aws':
      return [awsRequestSigningFilter('bedrock', auth.region, auth.auth, sds)];
  }
}

function allProviders(backend: AiBackendIR): Array<{ provider: LlmProviderIR; priority: number }> {
  return backend.priorities.flatMap((group, priority) => group.map((provider) => ({ provider, priority })));
}

/**
 * What one cluster cannot express for a Backend, as messages for the status step: upstream filters
 * and route rewrites are per cluster (or route), not per endpoint, so providers that authenticate
 * differently get the first provider's auth, and providers with different paths get no rewrite.
 */
export function aiBackendProblems(backend: AiBackendIR): string[] {
  const providers = allProviders(backend).map(({ provider }) => provider);
  const problems: string[] = [];
  if (new Set(providers.map((p) => JSON.stringify(p.auth))).size > 1) {
    problems.push("spec.ai: providers use different auth; only the first provider's auth is applied");
  }
  if (new Set(providers.map((p) => p.path)).size > 1) {
    problems.push('spec.ai: providers expect different paths; the request path is not rewritten');
  }
  if (new Set(providers.map((p) => JSON.stringify(providerHeaders(p)))).size > 1) {
    problems.push('spec.ai: providers need different request headers (anthropic-version); none is set');
  }
  return problems;
}

/**
 * Headers a provider needs on every request besides its credential: Anthropic rejects requests
 * without `anthropic-version`, which the manifest's `apiVersion` supplies.
 */
export function providerHeaders(provider: LlmProviderIR): Array<{ name: string; value: string }> {
  const version = provider.settings.apiVersion;
  return provider.provider === 'anthropic' && version !== undefined
    ? [{ name: 'anthropic-version', value: version }]
    : [];
}

function providerAddress(provider: LlmProviderIR): EndpointAddressIR {
  return isIpAddress(provider.host)
    ? { kind: 'ip', address: provider.host, port: provider.port }
    : { kind: 'fqdn', hostname: provider.host, port: provider.port };
}

export function buildAiCluster(name: string, backend: AiBackendIR, ctx: ClusterBuildContext): BuiltCluster {
  const providers = allProviders(backend);
  const hosts = [...new Set(providers.map(({ provider }) => provider.host))].sort();
  const tlsCount = providers.filter(({ provider }) => provider.port === LLM_TLS_PORT).length;
  const mixedTls = tlsCount > 0 && tlsCount < providers.length;

  const endpoints: PrioritizedEndpoint[] = providers.map(({ provider, priority }) => ({
    address: providerAddress(provider),
    priority,
    ...(mixedTls && provider.port === LLM_TLS_PORT
      ? { filterMetadata: { [TRANSPORT_SOCKET_MATCH]: { tls: true } } }
      : {}),
  }));
  const cluster: JsonObject = {
    ...clusterBase(name, discoveryTypeFor(endpoints.map((e) => e.address))),
    load_assignment: loadAssignment(name, endpoints),
  };

  const [onlyHost] = hosts.length === 1 ? hosts : [];
  if (tlsCount > 0) {
    // One host: pin its SNI. Several: SNI and SAN check follow each endpoint's hostname
    // (auto_host_sni), because auto_sni would send the client's Host (see tls.ts).
    const tls = ctx.tls ?? (onlyHost ? systemTrust({ sni: onlyHost }) : systemTrust());
    const socket = upstreamTlsTransportSocket(tls, ctx.sds, { hostSni: !onlyHost });
    if (mixedTls) {
      cluster.transport_socket_matches = [{ name: 'tls', match: { tls: true }, transport_socket: socket }];
    } else {
      cluster.transport_socket = socket;
    }
  }

  const first = providers[0]?.provider;
  const protocolOptions = typedExtensionProtocolOptions({
    httpVersion: 'http1',
    httpFilters: first ? llmAuthFilters(first.auth, ctx.sds) : [],
  });
  if (protocolOptions) cluster.typed_extension_protocol_options = protocolOptions;

  const route: RouteTweaks = onlyHost ? { hostRewrite: onlyHost } : { autoHostRewrite: true };
  const paths = new Set(providers.map(({ provider }) => provider.path));
  const [onlyPath] = paths.size === 1 ? [...paths] : [];
  if (onlyPath) route.pathRewrite = onlyPath;
  const headerSets = new Set(providers.map(({ provider }) => JSON.stringify(providerHeaders(provider))));
  const headers = first && headerSets.size === 1 ? providerHeaders(first) : [];
  if (headers.length > 0) route.requestHeadersToAdd = headers;
  return { clusterName: name, clusters: [cluster], endpoints: [], route, listenerHttpFilters: [] };
}
