// A second real xDS client: gRPC's own (`@grpc/grpc-js-xds`), resolving `xds:///<listener>` through
// the relay. The snapshot holds proxyless-gRPC resources (an api_listener whose HTTP connection
// manager takes its routes over RDS, an EDS cluster, endpoints on a loopback gRPC server), is
// published into a directory with `publishSnapshot`, and served by a directory relay. RPCs reach
// the endpoint xDS names, follow a new version, and /debug/clients shows the versions gRPC ACKed.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CallOptions,
  type Client,
  credentials,
  makeGenericClientConstructor,
  Server,
  ServerCredentials,
  type ServiceError,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { register as registerXds } from '@grpc/grpc-js-xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientInfo } from '../../services/relay/ads/ads-stream.ts';
import type { RunningRelay } from '../../services/relay/relay.ts';
import { FsSnapshotStore } from '../../shared/fs/fs-snapshot-store.ts';
import { publishSnapshot } from '../../shared/snapshot/publish.ts';
import { TypeUrl, type XdsResources } from '../../shared/xds/types.ts';
import { eventually, startDirectoryRelay } from './relay-support/harness.ts';

const TARGET = { clusterId: 'e2e', gateway: { namespace: 'grpc', name: 'echo' } };
const NODE_CLUSTER = 'e2e/grpc/echo';
const LISTENER = 'echo.fleetplane.test';
const ROUTES = 'echo-routes';
const CLUSTER = 'echo-backend';
const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

/** A unary method on raw bytes, so no .proto is needed on either side. */
const echoService = {
  Echo: {
    path: '/fleetplane.test.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
};
interface EchoClient extends Client {
  Echo(
    request: Buffer,
    options: CallOptions,
    callback: (error: ServiceError | null, reply?: Buffer) => void,
  ): void;
}
const EchoClient = makeGenericClientConstructor(echoService, 'Echo') as unknown as new (
  target: string,
  creds: ReturnType<typeof credentials.createInsecure>,
) => EchoClient;

/** Proxyless gRPC resources: what grpc-js-xds accepts (router last, EDS over ADS, weighted locality). */
function grpcResources(port: number): XdsResources {
  return {
    listeners: [
      {
        '@type': TypeUrl.Listener,
        name: LISTENER,
        api_listener: {
          api_listener: {
            '@type': HCM,
            rds: { route_config_name: ROUTES, config_source: { ads: {}, resource_api_version: 'V3' } },
            http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
          },
        },
      },
    ],
    routes: [
      {
        '@type': TypeUrl.RouteConfiguration,
        name: ROUTES,
        virtual_hosts: [
          {
            name: 'echo',
            domains: [LISTENER],
            routes: [{ match: { prefix: '' }, route: { cluster: CLUSTER } }],
          },
        ],
      },
    ],
    clusters: [
      {
        '@type': TypeUrl.Cluster,
        name: CLUSTER,
        type: 'EDS',
        eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
        lb_policy: 'ROUND_ROBIN',
      },
    ],
    endpoints: [
      {
        '@type': TypeUrl.ClusterLoadAssignment,
        cluster_name: CLUSTER,
        endpoints: [
          {
            locality: { region: 'loopback', zone: 'a' },
            load_balancing_weight: 1,
            lb_endpoints: [
              { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } },
            ],
          },
        ],
      },
    ],
    secrets: [],
  };
}

async function startEcho(name: string): Promise<{ server: Server; port: number }> {
  const server = new Server();
  const implementation: UntypedServiceImplementation = {
    Echo: (call: { request: Buffer }, callback: (e: null, reply: Buffer) => void) =>
      callback(null, Buffer.from(`${name}:${call.request.toString()}`)),
  };
  server.addService(echoService, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { server, port };
}

const echoes: Array<{ server: Server; port: number }> = [];
let relay: RunningRelay | undefined;
let client: EchoClient | undefined;
let dir = '';
const ports = { ads: 0, admin: 0 };

function echo(message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    client?.Echo(Buffer.from(message), { deadline: Date.now() + 3_000 }, (error, reply) =>
      error ? reject(error) : resolve(reply?.toString() ?? ''),
    );
  });
}

async function grpcClientInfo(): Promise<ClientInfo | undefined> {
  const res = await fetch(`http://127.0.0.1:${relay?.admin?.port}/debug/clients`);
  const { clients } = (await res.json()) as { clients: ClientInfo[] };
  return clients.find((c) => c.node?.id === 'grpc-xds-client');
}

beforeAll(async () => {
  echoes.push(await startEcho('echo-1'), await startEcho('echo-2'));
  dir = await mkdtemp(join(tmpdir(), 'fleetplane-relay-grpc-xds-'));
  await publishSnapshot(new FsSnapshotStore(dir), TARGET, grpcResources(echoes[0]?.port ?? 0));
  relay = await startDirectoryRelay(dir, ports);
  // grpc-js-xds reads its bootstrap once per process; vitest runs each file in its own process.
  process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
    xds_servers: [
      {
        server_uri: `127.0.0.1:${relay.ads.port}`,
        channel_creds: [{ type: 'insecure' }],
        server_features: ['xds_v3'],
      },
    ],
    node: { id: 'grpc-xds-client', cluster: NODE_CLUSTER, locality: { region: 'loopback' } },
  });
  registerXds();
  client = new EchoClient(`xds:///${LISTENER}`, credentials.createInsecure());
}, 20_000);

afterAll(async () => {
  client?.close();
  await relay?.stop();
  for (const e of echoes) e.server.forceShutdown();
});

describe('relay → @grpc/grpc-js-xds (proxyless gRPC)', () => {
  it('resolves xds:/// through the relay, reaches the endpoint, and ACKs every type', async () => {
    // Act
    const reply = await eventually(() => echo('hello'), 10_000, 200);

    // Assess
    expect(reply).toBe('echo-1:hello');
    const info = await eventually(async () => {
      const found = await grpcClientInfo();
      if (!found?.types.eds?.acked) throw new Error('not ACKed yet');
      return found;
    }, 5_000);
    expect(info).toMatchObject({ protocol: 'sotw', status: 'serving', node: { cluster: NODE_CLUSTER } });
    expect(info.node?.userAgent).toMatch(/grpc/i);
    expect(info.types.lds).toMatchObject({ subscribed: [LISTENER], acked: { version: '1' } });
    expect(info.types.rds).toMatchObject({ subscribed: [ROUTES], acked: { version: '1' } });
    expect(info.types.cds).toMatchObject({ subscribed: [CLUSTER], acked: { version: '1' } });
    expect(info.types.eds).toMatchObject({ subscribed: [CLUSTER], acked: { version: '1' } });
    for (const type of ['lds', 'rds', 'cds', 'eds']) expect(info.types[type]?.counts.nacks, type).toBe(0);
  }, 20_000);

  it('follows a new snapshot version to another endpoint, and ACKs it', async () => {
    // Act
    const published = await publishSnapshot(
      new FsSnapshotStore(dir),
      TARGET,
      grpcResources(echoes[1]?.port ?? 0),
    );
    const reply = await eventually(
      async () => {
        const r = await echo('again');
        if (!r.startsWith('echo-2:')) throw new Error(`still ${r}`);
        return r;
      },
      10_000,
      100,
    );

    // Assess
    expect(published).toMatchObject({ status: 'published', version: 2 });
    expect(reply).toBe('echo-2:again');
    const info = await eventually(async () => {
      const found = await grpcClientInfo();
      if (found?.types.eds?.acked?.version !== '2') throw new Error('v2 not ACKed yet');
      return found;
    }, 5_000);
    expect(info.types.eds?.counts.nacks).toBe(0);
    expect(relay?.metrics.registry.sum('fleetplane_relay_nacks_total')).toBe(0);
  }, 20_000);
});
