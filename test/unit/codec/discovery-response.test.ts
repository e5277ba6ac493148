import { create, fromBinary, fromJson, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  codecRegistry,
  DiscoveryMessage,
  decodeDiscoveryResponse,
  discoveryResponseJson,
  encodeDiscoveryResponse,
  messageSchema,
  TYPE_URL_PREFIX,
  toAny,
} from '../../../shared/codec/index.ts';
import { CodecError } from '../../../shared/errors.ts';
import { TypeUrl } from '../../../shared/xds/types.ts';
import { fixture } from './fixtures.ts';

const clusters = () => [fixture('dynamic-forward-proxy-cluster'), fixture('lambda-cluster')];

describe('DiscoveryResponse', () => {
  it('round-trips through binary with its resources as JSON', () => {
    // Prepare
    const input = {
      versionInfo: '42',
      typeUrl: TypeUrl.Cluster,
      resources: clusters(),
      nonce: 'n-1',
      controlPlane: 'fleetplane',
    };

    // Act
    const decoded = decodeDiscoveryResponse(encodeDiscoveryResponse(input));

    // Assess
    expect(decoded).toEqual({
      versionInfo: '42',
      typeUrl: TypeUrl.Cluster,
      resources: clusters(),
      nonce: 'n-1',
      controlPlane: 'fleetplane',
    });
  });

  it('encodes pre-packed resources to the same bytes as JSON resources', () => {
    // Prepare
    const fromJsonResources = { versionInfo: '1', typeUrl: TypeUrl.Cluster, resources: clusters() };
    const prePacked = { ...fromJsonResources, resources: clusters().map(toAny) };

    // Act
    const a = encodeDiscoveryResponse(fromJsonResources);
    const b = encodeDiscoveryResponse(prePacked);

    // Assess
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
  });

  it('has a JSON form with Any resources typed by @type, matching the binary form', () => {
    // Prepare
    const input = {
      versionInfo: '3',
      typeUrl: TypeUrl.ClusterLoadAssignment,
      resources: [fixture('cluster-load-assignment')],
    };

    // Act
    const json = discoveryResponseJson(input);
    const fromBinaryForm = decodeDiscoveryResponse(encodeDiscoveryResponse(input));

    // Assess
    expect(json).toEqual({
      version_info: '3',
      type_url: TypeUrl.ClusterLoadAssignment,
      resources: fromBinaryForm.resources,
    });
    expect(fromBinaryForm.resources).toEqual([fixture('cluster-load-assignment')]);
    expect(canonicalJson({ '@type': TYPE_URL_PREFIX + DiscoveryMessage.DiscoveryResponse, ...json })).toEqual(
      {
        '@type': TYPE_URL_PREFIX + DiscoveryMessage.DiscoveryResponse,
        ...json,
      },
    );
  });

  it('refuses a resource of another type than the response', () => {
    // Prepare
    const input = { versionInfo: '1', typeUrl: TypeUrl.Cluster, resources: [fixture('listener')] };

    // Act
    const act = () => encodeDiscoveryResponse(input);

    // Assess
    expect(act).toThrow(CodecError);
    expect(act).toThrow(/envoy\.config\.listener\.v3\.Listener.*envoy\.config\.cluster\.v3\.Cluster/);
  });
});

describe('registry access for the relay', () => {
  it('reads a NACK: a DiscoveryRequest with error_detail', () => {
    // Prepare
    const schema = messageSchema(DiscoveryMessage.DiscoveryRequest);
    const request = fromJson(schema, {
      version_info: '41',
      node: { id: 'envoy-1', cluster: 'prod/default/gw' },
      resource_names: ['route_default_gw_http'],
      type_url: TypeUrl.RouteConfiguration,
      response_nonce: 'n-7',
      error_detail: { code: 3, message: 'route: unknown cluster' },
    });
    const bytes = toBinary(schema, request);

    // Act
    const decoded = fromBinary(schema, bytes) as unknown as {
      versionInfo: string;
      responseNonce: string;
      node?: { cluster: string };
      errorDetail?: { code: number; message: string };
    };

    // Assess
    expect(decoded.versionInfo).toBe('41');
    expect(decoded.responseNonce).toBe('n-7');
    expect(decoded.node?.cluster).toBe('prod/default/gw');
    expect(decoded.errorDetail).toMatchObject({ code: 3, message: 'route: unknown cluster' });
  });

  it('builds a DeltaDiscoveryResponse from the registry schema', () => {
    // Prepare
    const schema = messageSchema(DiscoveryMessage.DeltaDiscoveryResponse);
    const resourceSchema = messageSchema(DiscoveryMessage.Resource);
    const any = toAny(fixture('secret'));

    // Act
    const message = create(schema, {
      systemVersionInfo: '9',
      typeUrl: TypeUrl.Secret,
      resources: [
        create(resourceSchema, { name: 'configmap/default/aws-ca#ca.crt', version: '9', resource: any }),
      ],
      removedResources: ['secret/default/old'],
      nonce: 'd-1',
    });
    const decoded = fromBinary(schema, toBinary(schema, message)) as unknown as {
      resources: Array<{ name: string; resource?: { typeUrl: string; value: Uint8Array } }>;
      removedResources: string[];
    };

    // Assess
    expect(decoded.removedResources).toEqual(['secret/default/old']);
    expect(decoded.resources[0]?.name).toBe('configmap/default/aws-ca#ca.crt');
    expect(decoded.resources[0]?.resource?.typeUrl).toBe(TypeUrl.Secret);
    expect(Buffer.from(decoded.resources[0]?.resource?.value ?? []).equals(Buffer.from(any.value))).toBe(
      true,
    );
  });

  it('carries the ADS service for gRPC method paths', () => {
    // Prepare
    const name = 'envoy.service.discovery.v3.AggregatedDiscoveryService';

    // Act
    const service = codecRegistry().getService(name);

    // Assess
    expect(service?.methods.map((m) => [m.name, m.methodKind])).toEqual([
      ['StreamAggregatedResources', 'bidi_streaming'],
      ['DeltaAggregatedResources', 'bidi_streaming'],
    ]);
  });
});
