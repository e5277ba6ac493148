import { describe, expect, it } from 'vitest';
import type { GatewayListenerIR, SecretRef } from '../../../shared/ir/types.ts';
import {
  buildListener,
  type ListenerPlan,
  type PortPlan,
  planListeners,
} from '../../../shared/xds/listener.ts';
import type { FieldProblem } from '../../../shared/xds/status.ts';
import type { JsonObject } from '../../../shared/xds/types.ts';
import { httpListener } from './ir-builders.ts';

function httpsListener(
  name: string,
  port: number,
  hostname?: string,
  certs: string[] = ['cert'],
): GatewayListenerIR {
  const listener: GatewayListenerIR = {
    ...httpListener(name, port, hostname),
    protocol: 'HTTPS',
    tls: {
      mode: 'Terminate',
      certificateRefs: certs.map((c) => ({ kind: 'Secret', namespace: 'default', name: c })),
    },
  };
  return listener;
}

const allCertsGood = () => undefined;

function firstPort(plan: ListenerPlan): PortPlan {
  const [port] = plan.ports;
  if (port === undefined) throw new Error('no port planned');
  return port;
}

describe('planListeners', () => {
  it('groups HTTP listeners of one port into one chain and one route configuration', () => {
    // Act
    const plan = planListeners(
      {
        gatewayClassName: 'c',
        listeners: [
          httpListener('a', 80, 'a.example.com'),
          httpListener('b', 80, 'b.example.com'),
          httpListener('c', 8080),
        ],
      },
      allCertsGood,
    );

    // Assess
    expect(plan.problems).toEqual([]);
    expect(
      plan.ports.map((p) => [
        p.port,
        p.chains.map((c) => [c.name, c.routeConfigName, c.listeners.map((l) => l.index)]),
      ]),
    ).toEqual([
      [80, [['http_80', 'route_80', [0, 1]]]],
      [8080, [['http_8080', 'route_8080', [2]]]],
    ]);
  });

  it('keeps the first protocol on a port and reports ProtocolConflict for the other', () => {
    // Act
    const plan = planListeners(
      { gatewayClassName: 'c', listeners: [httpListener('web', 443), httpsListener('tls', 443)] },
      allCertsGood,
    );

    // Assess
    expect(plan.ports).toHaveLength(1);
    expect(plan.ports[0]?.protocol).toBe('HTTP');
    expect([...plan.programmed]).toEqual([0]);
    expect(plan.problems).toEqual([
      {
        type: 'Conflicted',
        reason: 'ProtocolConflict',
        field: 'spec.listeners[name=tls]',
        message:
          'listener tls (HTTPS) conflicts with listener web (HTTP) on port 443; only the first is programmed',
      },
    ]);
  });

  it('reports HostnameConflict for a second listener with the same hostname on a port', () => {
    // Act
    const plan = planListeners(
      {
        gatewayClassName: 'c',
        listeners: [httpsListener('a', 443, 'x.example.com'), httpsListener('b', 443, 'X.example.com')],
      },
      allCertsGood,
    );

    // Assess
    expect(plan.problems.map((p) => [p.reason, p.field])).toEqual([
      ['HostnameConflict', 'spec.listeners[name=b]'],
    ]);
  });

  it('gives each HTTPS listener its own chain and route configuration, and leaves out one without a usable certificate', () => {
    // Prepare
    const check = (ref: SecretRef, field: string): FieldProblem | undefined =>
      ref.name === 'bad' ? { reason: 'InvalidCertificateRef', field, message: 'bad' } : undefined;

    // Act
    const plan = planListeners(
      {
        gatewayClassName: 'c',
        listeners: [
          httpsListener('b', 443, 'b.example.com', ['bad', 'good']),
          httpsListener('a', 443, 'a.example.com'),
          httpsListener('c', 443, 'c.example.com', ['bad']),
        ],
      },
      check,
    );

    // Assess
    expect(
      plan.ports[0]?.chains.map((c) => [
        c.name,
        c.routeConfigName,
        c.serverNames,
        c.certificates.map((r) => r.name),
      ]),
    ).toEqual([
      ['https_a', 'route_443_a', ['a.example.com'], ['cert']],
      ['https_b', 'route_443_b', ['b.example.com'], ['good']],
    ]);
    expect(plan.problems.map((p) => [p.type, p.field])).toEqual([
      ['ResolvedRefs', 'spec.listeners[name=b].tls.certificateRefs[0]'],
      ['ResolvedRefs', 'spec.listeners[name=c].tls.certificateRefs[0]'],
      ['ResolvedRefs', 'spec.listeners[name=c].tls.certificateRefs'],
    ]);
    expect([...plan.programmed].sort()).toEqual([0, 1]);
  });
});

describe('buildListener', () => {
  it('builds an HTTP listener with an RDS-fed connection manager, backend filters first and the router last', () => {
    // Prepare
    const plan = planListeners({ gatewayClassName: 'c', listeners: [httpListener('a', 80)] }, allCertsGood);
    const dfp = (marker: string): JsonObject => ({
      name: 'envoy.filters.http.dynamic_forward_proxy',
      typed_config: { marker },
    });
    const filters = [dfp('first'), { name: 'envoy.filters.http.a', typed_config: {} }, dfp('second')];

    // Act
    const listener = buildListener(firstPort(plan), () => filters, { type: 'ads' });

    // Assess
    expect(listener).toEqual({
      '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener',
      name: 'listener_80',
      address: { socket_address: { address: '0.0.0.0', port_value: 80 } },
      filter_chains: [
        {
          name: 'http_80',
          filters: [
            {
              name: 'envoy.filters.network.http_connection_manager',
              typed_config: {
                '@type':
                  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                stat_prefix: 'http_80',
                rds: {
                  config_source: { ads: {}, resource_api_version: 'V3' },
                  route_config_name: 'route_80',
                },
                http_filters: [
                  { name: 'envoy.filters.http.a', typed_config: {} },
                  dfp('first'),
                  {
                    name: 'envoy.filters.http.router',
                    typed_config: {
                      '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                    },
                  },
                ],
                upgrade_configs: [{ upgrade_type: 'websocket' }],
                strip_any_host_port: true,
                normalize_path: true,
              },
            },
          ],
        },
      ],
    });
  });

  it('builds HTTPS chains with the TLS inspector, SNI match and SDS certificates', () => {
    // Prepare
    const plan = planListeners(
      { gatewayClassName: 'c', listeners: [httpsListener('a', 443, 'a.example.com')] },
      allCertsGood,
    );

    // Act
    const listener = buildListener(firstPort(plan), () => [], { type: 'path', dir: '/etc/envoy/sds' });

    // Assess
    expect(listener.listener_filters).toEqual([
      {
        name: 'envoy.filters.listener.tls_inspector',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
        },
      },
    ]);
    const chain = (listener.filter_chains as JsonObject[])[0] as JsonObject;
    expect(chain.filter_chain_match).toEqual({ server_names: ['a.example.com'] });
    expect(chain.transport_socket).toEqual({
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
        common_tls_context: {
          tls_certificate_sds_secret_configs: [
            {
              name: 'secret/default/cert',
              sds_config: {
                path_config_source: { path: '/etc/envoy/sds/secret.default.cert.yaml' },
                resource_api_version: 'V3',
              },
            },
          ],
          alpn_protocols: ['h2', 'http/1.1'],
        },
      },
    });
  });
});
