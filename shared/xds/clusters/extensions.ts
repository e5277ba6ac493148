// Type URLs and names of the Envoy extensions the cluster builders emit, and the `TypedExtensionConfig`
// wrapper every one of them goes through, so an `@type` can never be forgotten.

import type { JsonObject } from '../types.ts';

const TYPE = 'type.googleapis.com/';

export const ExtensionType = {
  HttpProtocolOptions: `${TYPE}envoy.extensions.upstreams.http.v3.HttpProtocolOptions`,
  UpstreamTlsContext: `${TYPE}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`,
  UpstreamCodec: `${TYPE}envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec`,
  AwsLambda: `${TYPE}envoy.extensions.filters.http.aws_lambda.v3.Config`,
  AwsRequestSigning: `${TYPE}envoy.extensions.filters.http.aws_request_signing.v3.AwsRequestSigning`,
  CredentialInjector: `${TYPE}envoy.extensions.filters.http.credential_injector.v3.CredentialInjector`,
  GenericCredential: `${TYPE}envoy.extensions.http.injected_credentials.generic.v3.Generic`,
  DynamicForwardProxyCluster: `${TYPE}envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig`,
  DynamicForwardProxyFilter: `${TYPE}envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig`,
} as const;

export const ExtensionName = {
  /** Key of `typed_extension_protocol_options`; Envoy looks the options up by this exact string. */
  HttpProtocolOptions: 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
  TlsTransportSocket: 'envoy.transport_sockets.tls',
  UpstreamCodec: 'envoy.filters.http.upstream_codec',
  AwsLambda: 'envoy.filters.http.aws_lambda',
  AwsRequestSigning: 'envoy.filters.http.aws_request_signing',
  CredentialInjector: 'envoy.filters.http.credential_injector',
  GenericCredential: 'envoy.http.injected_credentials.generic',
  DynamicForwardProxyCluster: 'envoy.clusters.dynamic_forward_proxy',
  DynamicForwardProxyFilter: 'envoy.filters.http.dynamic_forward_proxy',
} as const;

/** A `TypedExtensionConfig` (also the shape of HTTP filters and transport sockets). */
export function typedExtension(name: string, typeUrl: string, config: JsonObject): JsonObject {
  return { name, typed_config: { '@type': typeUrl, ...config } };
}
