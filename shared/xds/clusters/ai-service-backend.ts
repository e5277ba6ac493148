// Envoy AI Gateway AIServiceBackend: its own cluster to the endpoints of the Envoy Gateway Backend it
// targets, with the BackendSecurityPolicy's auth as upstream filters and the schema's path prefix
// and header mutations as route tweaks.
//
// Envoy AI Gateway does the rest (schema translation, body mutation) in an external processor. We
// program only what plain Envoy can do and report the remainder through `unsupportedFeatures`.

import { FleetplaneError } from '../../errors.ts';
import type { AIServiceBackendIR, BackendIR, BackendSecurityPolicyIR, ResourceId } from '../../ir/types.ts';
import { clusterName } from '../names.ts';
import type { BuiltCluster, ClusterBuildContext, JsonObject, RouteTweaks, SdsMode } from '../types.ts';
import { awsRequestSigningFilter } from './aws-signing.ts';
import { credentialInjectorFilter } from './credential-injector.ts';
import { buildDynamicForwardProxyCluster } from './dynamic-forward-proxy.ts';
import { needsDns } from './endpoints.ts';
import { buildStaticCluster } from './static.ts';

type SchemaName = AIServiceBackendIR['schema']['name'];

/**
 * Path prefix per schema when `schema.prefix` is unset, as Envoy AI Gateway defaults it: OpenAI
 * `/v1` (`/v1/chat/completions`), Anthropic `/v1` (`/v1/messages`), Cohere `/v2` (`/v2/rerank`).
 * The other schemas build their path from the model in the body, which needs translation.
 */
export const DEFAULT_SCHEMA_PREFIX: Readonly<Partial<Record<SchemaName, string>>> = {
  OpenAI: '/v1',
  Anthropic: '/v1',
  Cohere: '/v2',
};

/** `/v1`, never `v1/` or `/`: the prefix is joined in front of a path that starts with `/`. */
export function schemaPathPrefix(schema: AIServiceBackendIR['schema']): string | undefined {
  const raw = schema.prefix ?? DEFAULT_SCHEMA_PREFIX[schema.name];
  if (raw === undefined) return undefined;
  const trimmed = raw.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? undefined : `/${trimmed}`;
}

/**
 * What the AIServiceBackend asks for that this xDS cannot do, one message per field, for the
 * status step. Empty when everything is programmed.
 */
export function unsupportedFeatures(aisb: AIServiceBackendIR): string[] {
  const problems: string[] = [];
  if (DEFAULT_SCHEMA_PREFIX[aisb.schema.name] === undefined) {
    problems.push(
      `spec.schema.name: ${aisb.schema.name} needs request translation by Envoy AI Gateway's external processor; requests are forwarded as sent`,
    );
  }
  const body = aisb.bodyMutation;
  if (body && (body.set.length > 0 || body.remove.length > 0)) {
    problems.push(
      'spec.bodyMutation: body mutations need an external processor and are not applied; remove the field or run Envoy AI Gateway',
    );
  }
  return problems;
}

/** The auth a BackendSecurityPolicy adds to every upstream request, as upstream HTTP filters. */
export function securityPolicyFilters(policy: BackendSecurityPolicyIR, sds: SdsMode): JsonObject[] {
  const { secretRef } = policy;
  switch (policy.type) {
    case 'APIKey':
      return secretRef ? [credentialInjectorFilter(secretRef, 'Authorization', 'Bearer ', sds)] : [];
    case 'AzureAPIKey':
      return secretRef ? [credentialInjectorFilter(secretRef, 'api-key', '', sds)] : [];
    case 'AnthropicAPIKey':
      return secretRef ? [credentialInjectorFilter(secretRef, 'x-api-key', '', sds)] : [];
    case 'AWSCredentials':
      return policy.aws ? [awsRequestSigningFilter('bedrock', policy.aws.region, policy.aws.auth, sds)] : [];
  }
}

function targetCluster(
  name: string,
  target: { id: ResourceId; backend: BackendIR },
  ctx: ClusterBuildContext,
  httpFilters: JsonObject[],
): BuiltCluster {
  const { backend } = target;
  switch (backend.type) {
    case 'static':
      return buildStaticCluster(name, backend, ctx, { httpFilters });
    case 'dynamicResolver':
      return buildDynamicForwardProxyCluster(name, backend, ctx, { httpFilters });
    default:
      throw new FleetplaneError(
        `AIServiceBackend target ${target.id.namespace}/${target.id.name} is a ${backend.type} backend; only Envoy Gateway Backends (static or DynamicResolver) can be targeted`,
      );
  }
}

export function buildAIServiceBackendCluster(
  id: ResourceId,
  aisb: AIServiceBackendIR,
  target: { id: ResourceId; backend: BackendIR },
  policy: BackendSecurityPolicyIR | undefined,
  ctx: ClusterBuildContext,
): BuiltCluster {
  const name = clusterName(id);
  const built = targetCluster(name, target, ctx, policy ? securityPolicyFilters(policy, ctx.sds) : []);

  const route: RouteTweaks = { ...built.route };
  if (target.backend.type === 'static') {
    const hosts = new Set(
      target.backend.endpoints.flatMap((e) =>
        e.address.kind === 'fqdn' && needsDns(e.address) ? [e.address.hostname] : [],
      ),
    );
    // One provider host: name it, as the provider's virtual hosting and SigV4 signing expect.
    const [onlyHost] = hosts.size === 1 ? [...hosts] : [];
    if (onlyHost) {
      delete route.autoHostRewrite;
      route.hostRewrite = onlyHost;
    }
  }
  const prefix = schemaPathPrefix(aisb.schema);
  if (prefix) route.pathPrefix = prefix;
  const mutation = aisb.headerMutation;
  if (mutation && mutation.set.length > 0) {
    route.requestHeadersToAdd = [...mutation.set].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  }
  if (mutation && mutation.remove.length > 0)
    route.requestHeadersToRemove = [...new Set(mutation.remove)].sort();
  return { ...built, route };
}
