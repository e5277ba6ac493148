// The cluster's `typed_extension_protocol_options`: HTTP version, auto-SNI switches and the upstream
// HTTP filter chain all live in one HttpProtocolOptions message, so they are built together here.

import type { UpstreamProtocolIR } from '../../ir/types.ts';
import type { JsonObject } from '../types.ts';
import { ExtensionName, ExtensionType, typedExtension } from './extensions.ts';

export type HttpVersion = 'http1' | 'http2';

/** h2c and http2 speak HTTP/2; ws and wss stay on HTTP/1.1, where the Upgrade handshake lives. */
export function httpVersionFor(protocol: UpstreamProtocolIR | undefined): HttpVersion {
  return protocol === 'h2c' || protocol === 'http2' ? 'http2' : 'http1';
}

export interface ProtocolOptionsInput {
  httpVersion: HttpVersion;
  /** `upstream_http_protocol_options` (auto_sni, auto_san_validation). */
  upstreamHttpProtocolOptions?: JsonObject;
  /** Upstream HTTP filters, in order, without the terminal codec filter. */
  httpFilters?: JsonObject[];
}

export function upstreamCodecFilter(): JsonObject {
  return typedExtension(ExtensionName.UpstreamCodec, ExtensionType.UpstreamCodec, {});
}

/**
 * `typed_extension_protocol_options`, or undefined when Envoy's defaults (HTTP/1.1, no filters)
 * already describe the cluster.
 */
export function typedExtensionProtocolOptions(input: ProtocolOptionsInput): JsonObject | undefined {
  const filters = input.httpFilters ?? [];
  if (input.httpVersion === 'http1' && !input.upstreamHttpProtocolOptions && filters.length === 0) {
    return undefined;
  }
  // HttpProtocolOptions rejects a message without one of explicit/auto/downstream protocol config,
  // even when only filters are wanted.
  const options: JsonObject = {
    '@type': ExtensionType.HttpProtocolOptions,
    explicit_http_config:
      input.httpVersion === 'http2' ? { http2_protocol_options: {} } : { http_protocol_options: {} },
  };
  if (input.upstreamHttpProtocolOptions) {
    options.upstream_http_protocol_options = input.upstreamHttpProtocolOptions;
  }
  // Envoy refuses an upstream chain that does not end with the codec filter.
  if (filters.length > 0) options.http_filters = [...filters, upstreamCodecFilter()];
  return { [ExtensionName.HttpProtocolOptions]: options };
}
