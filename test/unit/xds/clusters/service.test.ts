import { describe, expect, it } from 'vitest';
import type { ServicePortIR } from '../../../../shared/ir/types.ts';
import {
  buildServiceCluster,
  protocolForAppProtocol,
  serviceLoadAssignment,
} from '../../../../shared/xds/clusters/service.ts';
import { TypeUrl } from '../../../../shared/xds/types.ts';
import { ADS, service, serviceId, slice } from './fixtures.ts';

const HTTP: ServicePortIR = { name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' };

function addresses(cla: unknown): string[][] {
  return (
    cla as {
      endpoints: Array<{
        lb_endpoints: Array<{
          endpoint: { address: { socket_address: { address: string; port_value: number } } };
        }>;
      }>;
    }
  ).endpoints.map((l) =>
    l.lb_endpoints.map(
      (e) => `${e.endpoint.address.socket_address.address}:${e.endpoint.address.socket_address.port_value}`,
    ),
  );
}

describe('buildServiceCluster', () => {
  it('builds an ADS-fed EDS cluster named after the Service port plus its assignment', () => {
    // Act
    const built = buildServiceCluster(serviceId('echo'), service(), HTTP, [slice()], ADS);

    // Assess
    expect(built.clusterName).toBe('kube_default_echo_80');
    expect(built.clusters).toEqual([
      {
        '@type': TypeUrl.Cluster,
        name: 'kube_default_echo_80',
        type: 'EDS',
        connect_timeout: '5s',
        eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
      },
    ]);
    expect(built.endpoints[0]).toMatchObject({
      '@type': TypeUrl.ClusterLoadAssignment,
      cluster_name: 'kube_default_echo_80',
    });
  });

  it('resolves ExternalName with STRICT_DNS on the Service port', () => {
    // Act
    const built = buildServiceCluster(
      serviceId('ext'),
      service({ type: 'ExternalName', externalName: 'db.example.com' }),
      HTTP,
      [],
      ADS,
    );

    // Assess
    expect(built.endpoints).toEqual([]);
    expect(built.clusters[0]).toMatchObject({
      type: 'STRICT_DNS',
      dns_lookup_family: 'V4_PREFERRED',
      load_assignment: {
        endpoints: [
          {
            lb_endpoints: [
              { endpoint: { address: { socket_address: { address: 'db.example.com', port_value: 80 } } } },
            ],
          },
        ],
      },
    });
  });

  it('speaks HTTP/2 when the appProtocol asks for it, on the Service or the slice port', () => {
    // Act
    const onService = buildServiceCluster(
      serviceId('echo'),
      service(),
      { ...HTTP, appProtocol: 'kubernetes.io/h2c' },
      [slice()],
      ADS,
    );
    const onSlice = buildServiceCluster(
      serviceId('echo'),
      service(),
      HTTP,
      [slice({ ports: [{ name: 'http', port: 8080, protocol: 'TCP', appProtocol: 'grpc' }] })],
      ADS,
    );

    // Assess
    for (const built of [onService, onSlice]) {
      expect(built.clusters[0]?.typed_extension_protocol_options).toMatchObject({
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          explicit_http_config: { http2_protocol_options: {} },
        },
      });
    }
  });

  it('originates TLS from a BackendTLSPolicy', () => {
    // Act
    const built = buildServiceCluster(serviceId('echo'), service(), HTTP, [slice()], {
      ...ADS,
      tls: { sni: 'echo.internal', caCertificateRefs: [], subjectAltNames: [] },
    });

    // Assess
    expect(built.clusters[0]?.transport_socket).toMatchObject({ typed_config: { sni: 'echo.internal' } });
  });
});

describe('serviceLoadAssignment', () => {
  it('keeps ready endpoints on the target port, one locality per zone, sorted', () => {
    // Act
    const cla = serviceLoadAssignment('c', serviceId('echo'), HTTP, [slice()]);

    // Assess
    expect(cla.endpoints).toMatchObject([
      { locality: { zone: 'eu-west-1a' } },
      { locality: { zone: 'eu-west-1b' } },
    ]);
    expect(addresses(cla)).toEqual([['10.0.0.1:8080', '10.0.0.2:8080'], ['10.0.1.7:8080']]);
  });

  it('matches slice ports by name, unnamed with unnamed', () => {
    // Prepare
    const slices = [
      slice({
        ports: [
          { name: 'metrics', port: 9100, protocol: 'TCP' },
          { port: 3000, protocol: 'TCP' },
        ],
        endpoints: [{ addresses: ['10.0.0.1'], ready: true }],
      }),
    ];

    // Act
    const unnamed = serviceLoadAssignment('c', serviceId('echo'), { port: 80, protocol: 'TCP' }, slices);
    const named = serviceLoadAssignment('c', serviceId('echo'), HTTP, slices);

    // Assess
    expect(addresses(unnamed)).toEqual([['10.0.0.1:3000']]);
    expect(addresses(named)).toEqual([]);
  });

  it('ignores other Services, FQDN slices and addresses after the first', () => {
    // Prepare
    const slices = [
      slice({ serviceName: 'other', endpoints: [{ addresses: ['10.9.9.9'], ready: true }] }),
      slice({ addressType: 'FQDN', endpoints: [{ addresses: ['pod.example'], ready: true }] }),
      slice({ addressType: 'IPv6', endpoints: [{ addresses: ['fd00::1', 'fd00::2'], ready: true }] }),
    ];

    // Act
    const cla = serviceLoadAssignment('c', serviceId('echo'), HTTP, slices);

    // Assess
    expect(addresses(cla)).toEqual([['fd00::1:8080']]);
  });

  it('is an empty assignment when nothing is ready', () => {
    // Act
    const cla = serviceLoadAssignment('c', serviceId('echo'), HTTP, [
      slice({ endpoints: [{ addresses: ['10.0.0.1'], ready: false }] }),
    ]);

    // Assess
    expect(cla).toEqual({ '@type': TypeUrl.ClusterLoadAssignment, cluster_name: 'c', endpoints: [] });
  });
});

describe('protocolForAppProtocol', () => {
  it('knows the Gateway API and common values', () => {
    expect(protocolForAppProtocol('kubernetes.io/h2c')).toBe('h2c');
    expect(protocolForAppProtocol('http2')).toBe('http2');
    expect(protocolForAppProtocol('grpc')).toBe('http2');
    expect(protocolForAppProtocol('kubernetes.io/ws')).toBe('ws');
    expect(protocolForAppProtocol('https')).toBeUndefined();
    expect(protocolForAppProtocol(undefined)).toBeUndefined();
  });
});
