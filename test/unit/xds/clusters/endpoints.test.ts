import { describe, expect, it } from 'vitest';
import {
  clusterBase,
  discoveryTypeFor,
  envoyAddress,
  loadAssignment,
} from '../../../../shared/xds/clusters/endpoints.ts';
import { TypeUrl } from '../../../../shared/xds/types.ts';

describe('discoveryTypeFor', () => {
  it('is STATIC for IPs and unix sockets, STRICT_DNS as soon as one endpoint is a name', () => {
    // Prepare
    const ip = { kind: 'ip' as const, address: '10.0.0.1', port: 80 };
    const unix = { kind: 'unix' as const, path: '/run/app.sock' };
    const name = { kind: 'fqdn' as const, hostname: 'example.com', port: 80 };
    const ipLiteral = { kind: 'fqdn' as const, hostname: '192.0.2.1', port: 80 };

    // Act / Assess
    expect(discoveryTypeFor([ip, unix])).toBe('STATIC');
    expect(discoveryTypeFor([ip, ipLiteral])).toBe('STATIC');
    expect(discoveryTypeFor([ip, name])).toBe('STRICT_DNS');
  });
});

describe('clusterBase', () => {
  it('sets @type and connect_timeout always, dns_lookup_family only on DNS clusters', () => {
    // Act
    const dns = clusterBase('c', 'STRICT_DNS');
    const logical = clusterBase('c', 'LOGICAL_DNS');
    const fixed = clusterBase('c', 'STATIC');

    // Assess
    expect(dns).toEqual({
      '@type': TypeUrl.Cluster,
      name: 'c',
      type: 'STRICT_DNS',
      connect_timeout: '5s',
      dns_lookup_family: 'V4_PREFERRED',
    });
    expect(logical.dns_lookup_family).toBe('V4_PREFERRED');
    expect(fixed).not.toHaveProperty('dns_lookup_family');
  });
});

describe('envoyAddress', () => {
  it('maps sockets to socket_address and unix paths to pipe', () => {
    expect(envoyAddress({ kind: 'fqdn', hostname: 'a.example', port: 443 })).toEqual({
      socket_address: { address: 'a.example', port_value: 443 },
    });
    expect(envoyAddress({ kind: 'unix', path: '/run/app.sock' })).toEqual({
      pipe: { path: '/run/app.sock' },
    });
  });
});

describe('loadAssignment', () => {
  it('puts each priority in its own locality entry, renumbered from 0', () => {
    // Prepare
    const endpoints = [
      { address: { kind: 'ip' as const, address: '10.0.0.3', port: 80 }, priority: 5 },
      { address: { kind: 'ip' as const, address: '10.0.0.1', port: 80 }, priority: 2 },
    ];

    // Act
    const cla = loadAssignment('c', endpoints);

    // Assess
    expect(cla).toEqual({
      cluster_name: 'c',
      endpoints: [
        {
          lb_endpoints: [
            { endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 80 } } } },
          ],
        },
        {
          priority: 1,
          lb_endpoints: [
            { endpoint: { address: { socket_address: { address: '10.0.0.3', port_value: 80 } } } },
          ],
        },
      ],
    });
  });

  it('de-duplicates and sorts endpoints, so input order does not change the output', () => {
    // Prepare
    const a = { address: { kind: 'ip' as const, address: '10.0.0.2', port: 80 }, priority: 0 };
    const b = { address: { kind: 'ip' as const, address: '10.0.0.1', port: 80 }, priority: 0 };

    // Act
    const forward = loadAssignment('c', [a, b, a]);
    const backward = loadAssignment('c', [b, a]);

    // Assess
    expect(JSON.stringify(forward)).toBe(JSON.stringify(backward));
    expect((forward.endpoints as Array<{ lb_endpoints: unknown[] }>)[0]?.lb_endpoints).toHaveLength(2);
  });

  it('carries endpoint filter metadata', () => {
    // Act
    const cla = loadAssignment('c', [
      {
        address: { kind: 'ip', address: '10.0.0.1', port: 443 },
        priority: 0,
        filterMetadata: { 'envoy.transport_socket_match': { tls: true } },
      },
    ]);

    // Assess
    expect(cla).toMatchObject({
      endpoints: [
        {
          lb_endpoints: [
            { metadata: { filter_metadata: { 'envoy.transport_socket_match': { tls: true } } } },
          ],
        },
      ],
    });
  });
});
