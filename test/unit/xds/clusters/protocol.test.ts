import { describe, expect, it } from 'vitest';
import { httpVersionFor, typedExtensionProtocolOptions } from '../../../../shared/xds/clusters/protocol.ts';
import type { JsonObject } from '../../../../shared/xds/types.ts';

const KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function options(out: JsonObject | undefined): JsonObject {
  return (out as JsonObject)[KEY] as JsonObject;
}

describe('httpVersionFor', () => {
  it('maps h2c and http2 to HTTP/2, everything else (ws, wss, none) to HTTP/1.1', () => {
    expect(httpVersionFor('h2c')).toBe('http2');
    expect(httpVersionFor('http2')).toBe('http2');
    expect(httpVersionFor('ws')).toBe('http1');
    expect(httpVersionFor('wss')).toBe('http1');
    expect(httpVersionFor(undefined)).toBe('http1');
  });
});

describe('typedExtensionProtocolOptions', () => {
  it('is undefined when Envoy defaults already fit', () => {
    expect(typedExtensionProtocolOptions({ httpVersion: 'http1' })).toBeUndefined();
    expect(typedExtensionProtocolOptions({ httpVersion: 'http1', httpFilters: [] })).toBeUndefined();
  });

  it('selects explicit HTTP/2', () => {
    // Act
    const out = options(typedExtensionProtocolOptions({ httpVersion: 'http2' }));

    // Assess
    expect(out).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      explicit_http_config: { http2_protocol_options: {} },
    });
  });

  it('ends the upstream filter chain with the codec filter', () => {
    // Prepare
    const auth = { name: 'auth', typed_config: { '@type': 'type.googleapis.com/x' } };

    // Act
    const out = options(typedExtensionProtocolOptions({ httpVersion: 'http1', httpFilters: [auth] }));

    // Assess
    expect(out.explicit_http_config).toEqual({ http_protocol_options: {} });
    expect((out.http_filters as JsonObject[]).map((f) => f.name)).toEqual([
      'auth',
      'envoy.filters.http.upstream_codec',
    ]);
  });

  it('carries auto-SNI settings', () => {
    // Act
    const out = options(
      typedExtensionProtocolOptions({
        httpVersion: 'http1',
        upstreamHttpProtocolOptions: { auto_sni: true },
      }),
    );

    // Assess
    expect(out.upstream_http_protocol_options).toEqual({ auto_sni: true });
  });
});
