// Where the codec's .proto files come from: the Envoy API shipped in the pinned @grpc/grpc-js-xds
// package, with fleetplane's overlay (shared/codec/overlay/) in front of it, and which root files
// are loaded. Only the transitive imports of the roots are parsed.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** Root directory of the pinned @grpc/grpc-js-xds package (resolved on use, not on import). */
export function xdsPackageDir(): string {
  return dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
}

/** Fleetplane's own proto files: new files Envoy has but the package lacks. */
export const overlayDir = join(dirname(fileURLToPath(import.meta.url)), 'overlay');

/** Field patches appended to upstream messages (see overlay/README.md). */
export const overlayPatchDir = join(overlayDir, 'patches');

/** Import search path, first match wins, so the overlay can add files the package lacks. */
export function includeDirs(): string[] {
  const deps = join(xdsPackageDir(), 'deps');
  return [
    overlayDir,
    join(deps, 'envoy-api'),
    join(deps, 'xds'),
    join(deps, 'googleapis'),
    join(deps, 'protoc-gen-validate'),
  ];
}

/**
 * Files whose messages the codec can encode, plus everything they import. Add a file here when a
 * translator starts emitting a new `@type`.
 */
export const rootProtoFiles: readonly string[] = [
  // xDS transport and the five resource types the relay serves.
  'envoy/service/discovery/v3/ads.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/config/bootstrap/v3/bootstrap.proto',
  // Extensions carried in typed_config.
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/upstream_codec/v3/upstream_codec.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/filters/http/aws_lambda/v3/aws_lambda.proto',
  'envoy/extensions/filters/http/aws_request_signing/v3/aws_request_signing.proto',
  'envoy/extensions/filters/http/credential_injector/v3/credential_injector.proto',
  'envoy/extensions/http/injected_credentials/generic/v3/generic.proto',
  'envoy/extensions/clusters/dynamic_forward_proxy/v3/cluster.proto',
  'envoy/extensions/filters/http/dynamic_forward_proxy/v3/dynamic_forward_proxy.proto',
  'envoy/extensions/common/dynamic_forward_proxy/v3/dns_cache.proto',
  'envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
];

/**
 * Imports that only define custom options (validation rules, versioning and status annotations).
 * Options play no part in encoding, so these files are not parsed and not part of the registry.
 */
export function isAnnotationOnlyImport(importPath: string): boolean {
  return (
    importPath.startsWith('udpa/annotations/') ||
    importPath.startsWith('xds/annotations/') ||
    importPath.startsWith('envoy/annotations/') ||
    importPath === 'validate/validate.proto' ||
    importPath === 'google/api/annotations.proto' ||
    importPath === 'google/api/http.proto'
  );
}
