import { describe, expect, it } from 'vitest';
import {
  CodecFieldError,
  decodeResource,
  encodeResource,
  messageSchema,
  toAny,
} from '../../../shared/codec/index.ts';
import { CodecError } from '../../../shared/errors.ts';
import type { JsonObject } from '../../../shared/xds/types.ts';
import { at, fixture } from './fixtures.ts';

const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const FILTERS = `typed_extension_protocol_options["${HTTP_OPTIONS}"].http_filters`;

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function signingFilter(cluster: JsonObject): JsonObject {
  return at(cluster, 'typed_extension_protocol_options', HTTP_OPTIONS, 'http_filters', 1, 'typed_config');
}

describe('codec errors', () => {
  it('names the type URL when the @type is unknown', () => {
    // Prepare
    const resource: JsonObject = { '@type': 'type.googleapis.com/envoy.config.nope.v3.Nope', name: 'x' };

    // Act
    const error = caught(() => encodeResource(resource));

    // Assess
    expect(error).toBeInstanceOf(CodecError);
    expect((error as Error).name).toBe('CodecError');
    expect((error as Error).message).toContain('type.googleapis.com/envoy.config.nope.v3.Nope');
  });

  it('refuses a resource without @type', () => {
    // Prepare
    const { '@type': _type, ...untyped } = fixture('secret');

    // Act
    const error = caught(() => toAny(untyped));

    // Assess
    expect(error).toBeInstanceOf(CodecError);
    expect((error as Error).message).toMatch(/"@type"/);
  });

  it('names the type and the field path of an unknown field, keeping the library error as cause', () => {
    // Prepare
    const cluster = fixture('lambda-cluster');
    const provider = at(signingFilter(cluster), 'credential_provider', 'assume_role_credential_provider');
    provider.role_arnx = 'arn:aws:iam::123456789012:role/typo';

    // Act
    const error = caught(() => encodeResource(cluster));

    // Assess
    expect(error).toBeInstanceOf(CodecFieldError);
    const fieldError = error as CodecFieldError;
    expect(fieldError.typeUrl).toBe('type.googleapis.com/envoy.config.cluster.v3.Cluster');
    expect(fieldError.fieldPath).toBe(
      `${FILTERS}[1].typed_config.credential_provider.assume_role_credential_provider.role_arnx`,
    );
    expect(fieldError.message).toContain(fieldError.typeUrl);
    expect(fieldError.message).toContain(fieldError.fieldPath);
    expect(fieldError.cause).toBeInstanceOf(Error);
    expect(String((fieldError.cause as Error).message)).toContain('role_arnx');
  });

  it.each([
    ['a string for a bool', ['payload_passthrough'], 'yes', `${FILTERS}[0].typed_config.payload_passthrough`],
    ['an unknown enum name', ['invocation_mode'], 'EVENTUALLY', `${FILTERS}[0].typed_config.invocation_mode`],
    ['an object for a string', ['arn'], { partition: 'aws' }, `${FILTERS}[0].typed_config.arn`],
  ])('names the field path of %s', (_what, [key], value, path) => {
    // Prepare
    const cluster = fixture('lambda-cluster');
    const lambda = at(
      cluster,
      'typed_extension_protocol_options',
      HTTP_OPTIONS,
      'http_filters',
      0,
      'typed_config',
    );
    lambda[String(key)] = value;

    // Act
    const error = caught(() => encodeResource(cluster));

    // Assess
    expect(error).toBeInstanceOf(CodecFieldError);
    expect((error as CodecFieldError).fieldPath).toBe(path);
  });

  it('names the field path of a Duration written as a number', () => {
    // Prepare
    const cluster = fixture('lambda-cluster');
    cluster.connect_timeout = 5;

    // Act
    const error = caught(() => encodeResource(cluster));

    // Assess
    expect((error as CodecFieldError).fieldPath).toBe('connect_timeout');
  });

  it('points at the @type of a nested Any the codec does not know', () => {
    // Prepare
    const cluster = fixture('lambda-cluster');
    signingFilter(cluster)['@type'] = 'type.googleapis.com/envoy.extensions.filters.http.unknown.v3.Unknown';

    // Act
    const error = caught(() => encodeResource(cluster));

    // Assess
    expect((error as CodecFieldError).fieldPath).toBe(`${FILTERS}[1].typed_config.@type`);
    expect((error as Error).message).toContain('envoy.extensions.filters.http.unknown.v3.Unknown');
  });

  it('points at the second member of a oneof set twice', () => {
    // Prepare
    const route = fixture('route-configuration');
    at(route, 'virtual_hosts', 0, 'routes', 0, 'route').cluster = 'kube_default_other_8080';

    // Act
    const error = caught(() => encodeResource(route));

    // Assess
    expect((error as CodecFieldError).fieldPath).toBe('virtual_hosts[0].routes[0].route.cluster');
  });

  it('names the type URL when bytes do not decode', () => {
    // Prepare
    const garbage = new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);

    // Act
    const error = caught(() =>
      decodeResource('type.googleapis.com/envoy.config.cluster.v3.Cluster', garbage),
    );

    // Assess
    expect(error).toBeInstanceOf(CodecError);
    expect((error as Error).message).toContain('type.googleapis.com/envoy.config.cluster.v3.Cluster');
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('says how to add a message the registry lacks', () => {
    // Prepare
    const name = 'envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor';

    // Act
    const error = caught(() => messageSchema(name));

    // Assess
    expect(error).toBeInstanceOf(CodecError);
    expect((error as Error).message).toContain(name);
    expect((error as Error).message).toContain('rootProtoFiles');
  });
});
