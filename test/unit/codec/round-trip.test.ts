import { describe, expect, it } from 'vitest';
import { decodeResource, encodeResource } from '../../../shared/codec/index.ts';
import type { Json, JsonObject } from '../../../shared/xds/types.ts';
import { at, fixture, fixtureNames } from './fixtures.ts';

function reverseKeys(json: Json): Json {
  if (Array.isArray(json)) return json.map(reverseKeys);
  if (typeof json !== 'object' || json === null) return json;
  return Object.fromEntries(
    Object.entries(json)
      .reverse()
      .map(([k, v]) => [k, reverseKeys(v)]),
  );
}

describe('JSON → binary → JSON', () => {
  it.each(fixtureNames)('gives back the %s fixture unchanged', (name) => {
    // Prepare
    const resource = fixture(name);
    const typeUrl = String(resource['@type']);

    // Act
    const bytes = encodeResource(resource);
    const decoded = decodeResource(typeUrl, bytes);

    // Assess
    expect(bytes.length).toBeGreaterThan(0);
    expect(decoded).toEqual(resource);
    expect(Object.keys(decoded)[0]).toBe('@type');
  });

  it('keeps nested Any payloads typed (typed_config two levels deep)', () => {
    // Prepare
    const cluster = fixture('lambda-cluster');

    // Act
    const decoded = decodeResource(String(cluster['@type']), encodeResource(cluster));

    // Assess
    const options = at(
      decoded,
      'typed_extension_protocol_options',
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
    );
    const signing = at(options, 'http_filters', 1, 'typed_config');
    expect(Object.keys(signing)[0]).toBe('@type');
    expect(signing).toMatchObject({
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.aws_request_signing.v3.AwsRequestSigning',
      service_name: 'lambda',
      credential_provider: {
        assume_role_credential_provider: {
          role_arn: 'arn:aws:iam::123456789012:role/fleetplane-invoke',
          role_session_name: 'fleetplane-default-gw',
          external_id: 'tenant-42',
        },
      },
    });
    expect(at(options, 'http_filters', 0, 'typed_config')).toMatchObject({
      invocation_mode: 'ASYNCHRONOUS',
      payload_passthrough: true,
    });
  });

  it.each(['route-configuration', 'cluster-load-assignment'] as const)(
    'encodes %s byte-identically whatever the key order of objects, maps and Structs',
    (name) => {
      // Prepare
      const resource = fixture(name);
      const reversed = reverseKeys(resource) as JsonObject;

      // Act
      const first = encodeResource(resource);
      const second = encodeResource(reversed);

      // Assess
      expect(JSON.stringify(reversed)).not.toBe(JSON.stringify(resource));
      expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
    },
  );

  it('re-encodes decoded output to the same bytes', () => {
    // Prepare
    const listener = fixture('listener');
    const bytes = encodeResource(listener);

    // Act
    const again = encodeResource(decodeResource(String(listener['@type']), bytes));

    // Assess
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
  });
});
