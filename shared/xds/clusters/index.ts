// Envoy clusters for every backend kind. One switch per backend type, as kgateway's backend plugin
// reads; each family lives in its own module with its Envoy pitfalls next to the code.

import type { BackendIR, ResourceId } from '../../ir/types.ts';
import { clusterName } from '../names.ts';
import type { BuiltCluster, ClusterBuildContext } from '../types.ts';
import { buildAiCluster } from './ai.ts';
import { buildDynamicForwardProxyCluster } from './dynamic-forward-proxy.ts';
import { buildLambdaCluster } from './lambda.ts';
import { buildStaticCluster } from './static.ts';

export { aiBackendProblems } from './ai.ts';
export { buildAIServiceBackendCluster, unsupportedFeatures } from './ai-service-backend.ts';
export { buildServiceCluster } from './service.ts';
export { upstreamTlsTransportSocket } from './tls.ts';

/** The cluster(s) of a kgateway or Envoy Gateway Backend, named `clusterName(id)`. */
export function buildBackendCluster(
  id: ResourceId,
  backend: BackendIR,
  ctx: ClusterBuildContext,
): BuiltCluster {
  const name = clusterName(id);
  switch (backend.type) {
    case 'static':
      return buildStaticCluster(name, backend, ctx);
    case 'lambda':
      return buildLambdaCluster(name, backend, ctx);
    case 'ai':
      return buildAiCluster(name, backend, ctx);
    case 'dynamicForwardProxy':
    case 'dynamicResolver':
      return buildDynamicForwardProxyCluster(name, backend, ctx);
  }
}
