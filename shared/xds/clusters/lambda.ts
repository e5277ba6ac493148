// Lambda backends, invoked natively: a cluster to the Lambda endpoint whose upstream HTTP filters turn
// the request into an Invoke call (`aws_lambda`) and sign it (`aws_request_signing`).
//
// Envoy pitfalls:
// - The filters sit on the cluster (upstream filters, accepted by Envoy 1.40 for both) rather than
//   on the listener: the function belongs to the backend, and routes only name the cluster.
// - `aws_lambda` signs with Envoy's default chain on its own and has no credential_provider field.
//   `aws_request_signing` therefore runs after it and re-signs; the signer drops the previous
//   Authorization and x-amz-security-token first, so the configured credentials always win.
// - Upstream filters see the Host the route already rewrote, and SigV4 signs Host: the route must
//   rewrite Host to the Lambda endpoint (RouteTweaks.hostRewrite) or AWS rejects the signature.

import type { BackendIR, EndpointAddressIR } from '../../ir/types.ts';
import type { BuiltCluster, ClusterBuildContext, JsonObject } from '../types.ts';
import { awsRequestSigningFilter } from './aws-signing.ts';
import { clusterBase, isIpAddress, loadAssignment } from './endpoints.ts';
import { ExtensionName, ExtensionType, typedExtension } from './extensions.ts';
import { typedExtensionProtocolOptions } from './protocol.ts';
import { systemTrust, upstreamTlsTransportSocket } from './tls.ts';

export type LambdaBackendIR = Extract<BackendIR, { type: 'lambda' }>;

/** `envoy.filters.http.aws_lambda`: the qualified ARN, the invocation type and the payload shape. */
export function awsLambdaFilter(backend: LambdaBackendIR): JsonObject {
  return typedExtension(ExtensionName.AwsLambda, ExtensionType.AwsLambda, {
    arn: backend.arn,
    // Envelope = Envoy wraps the HTTP request in JSON and unwraps the function's JSON reply.
    payload_passthrough: backend.payloadTransformMode === 'None',
    invocation_mode: backend.invocationMode === 'Async' ? 'ASYNCHRONOUS' : 'SYNCHRONOUS',
  });
}

export function buildLambdaCluster(
  name: string,
  backend: LambdaBackendIR,
  ctx: ClusterBuildContext,
): BuiltCluster {
  const { host, port, tls } = backend.endpoint;
  // LOGICAL_DNS: regional AWS endpoints answer with a rotating set of addresses; one resolved
  // address per connection avoids churning the host set on every DNS refresh.
  const ip = isIpAddress(host);
  const address: EndpointAddressIR = ip
    ? { kind: 'ip', address: host, port }
    : { kind: 'fqdn', hostname: host, port };
  const cluster: JsonObject = {
    ...clusterBase(name, ip ? 'STATIC' : 'LOGICAL_DNS'),
    load_assignment: loadAssignment(name, [{ address, priority: 0 }]),
  };
  // Emulators behind an http:// endpointURL get plain HTTP; AWS itself is always TLS.
  if (tls) {
    cluster.transport_socket = upstreamTlsTransportSocket(systemTrust({ sni: host }), ctx.sds);
  }
  const protocolOptions = typedExtensionProtocolOptions({
    httpVersion: 'http1',
    httpFilters: [
      awsLambdaFilter(backend),
      awsRequestSigningFilter('lambda', backend.region, backend.auth, ctx.sds),
    ],
  });
  if (protocolOptions) cluster.typed_extension_protocol_options = protocolOptions;
  return {
    clusterName: name,
    clusters: [cluster],
    endpoints: [],
    route: { hostRewrite: host },
    listenerHttpFilters: [],
  };
}
