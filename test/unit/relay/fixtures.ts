// Shared fixtures for the relay's unit tests: small xDS resources, snapshots built from them, and a
// fake stream transport that records (and decodes) what a stream writes.

import { silentLogger } from '../../../services/common/log.ts';
import type { StreamEnv, StreamTransport } from '../../../services/relay/ads/ads-stream.ts';
import {
  type DeltaResponse,
  decodeDeltaResponse,
  decodeSotwResponse,
  type NodeInfo,
  type SotwResponse,
} from '../../../services/relay/ads/messages.ts';
import { RelayMetrics } from '../../../services/relay/relay-metrics.ts';
import { SnapshotCache } from '../../../services/relay/snapshot-cache.ts';
import type { SourceSnapshot } from '../../../services/relay/source/snapshot-source.ts';
import { toAny } from '../../../shared/codec/index.ts';
import { TypeUrl, type XdsResources } from '../../../shared/xds/types.ts';

export const GATEWAY = { clusterId: 'c1', gateway: { namespace: 'infra', name: 'edge' } };
export const NODE_CLUSTER = 'c1/infra/edge';
export const NODE: NodeInfo = { id: 'envoy-1', cluster: NODE_CLUSTER, userAgent: 'envoy' };

export const cluster = (name: string, timeout = '1s') => ({
  '@type': TypeUrl.Cluster,
  name,
  type: 'EDS',
  connect_timeout: timeout,
  eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
});

export const endpoints = (name: string, port: number) => ({
  '@type': TypeUrl.ClusterLoadAssignment,
  cluster_name: name,
  endpoints: [
    {
      lb_endpoints: [
        { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } },
      ],
    },
  ],
});

export const listener = (name: string, port: number) => ({
  '@type': TypeUrl.Listener,
  name,
  address: { socket_address: { address: '127.0.0.1', port_value: port } },
});

export const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

/** A listener whose HTTP connection manager takes route `routeName` over RDS. */
export const httpListener = (name: string, port: number, routeName: string) => ({
  ...listener(name, port),
  filter_chains: [
    {
      filters: [
        {
          name: 'envoy.filters.network.http_connection_manager',
          typed_config: {
            '@type': HCM,
            stat_prefix: name,
            rds: { route_config_name: routeName, config_source: { ads: {}, resource_api_version: 'V3' } },
            http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
          },
        },
      ],
    },
  ],
});

export const route = (name: string, clusterName: string, prefix = '/') => ({
  '@type': TypeUrl.RouteConfiguration,
  name,
  virtual_hosts: [
    { name: 'all', domains: ['*'], routes: [{ match: { prefix }, route: { cluster: clusterName } }] },
  ],
});

export function resources(partial: Partial<XdsResources>): XdsResources {
  return { listeners: [], routes: [], clusters: [], endpoints: [], secrets: [], ...partial };
}

/** A snapshot as a source would hand it over. */
export function sourceSnapshot(version: number, res: XdsResources): SourceSnapshot {
  const type = (typeUrl: string, list: XdsResources[keyof XdsResources]) => ({
    typeUrl,
    versionInfo: String(version),
    resources: list.map(toAny),
  });
  return {
    ...GATEWAY,
    version,
    origin: `test v${version}`,
    types: [
      type(TypeUrl.Cluster, res.clusters),
      type(TypeUrl.ClusterLoadAssignment, res.endpoints),
      type(TypeUrl.Listener, res.listeners),
      type(TypeUrl.RouteConfiguration, res.routes),
      type(TypeUrl.Secret, res.secrets),
    ],
  };
}

export function testEnv(overrides: Partial<StreamEnv> = {}): StreamEnv & { clock: { now: number } } {
  const clock = { now: 1_000_000 };
  const metrics = new RelayMetrics();
  const cache = new SnapshotCache({ metrics, log: silentLogger });
  return {
    cache,
    metrics,
    log: silentLogger,
    ackTimeoutMs: 15_000,
    now: () => clock.now,
    clock,
    ...overrides,
  };
}

/** Records every write; flushes at once unless `paused`, as a slow peer would hold them. */
export class FakeTransport implements StreamTransport {
  readonly written: Uint8Array[] = [];
  readonly failures: Array<{ code: number; message: string }> = [];
  paused = false;
  readonly #held: Array<() => void> = [];

  write(message: Uint8Array, flushed: () => void): void {
    this.written.push(message);
    if (this.paused) this.#held.push(flushed);
    else flushed();
  }

  fail(code: number, message: string): void {
    this.failures.push({ code, message });
  }

  /** The peer drains: everything held is flushed. */
  resume(): void {
    this.paused = false;
    for (const flushed of this.#held.splice(0)) flushed();
  }

  sotw(): SotwResponse[] {
    return this.written.map(decodeSotwResponse);
  }

  delta(): DeltaResponse[] {
    return this.written.map(decodeDeltaResponse);
  }
}
