// The relay process: a snapshot source feeding the snapshot cache, the ADS gRPC server streaming
// from it (plaintext, TLS, or mTLS with an authorization policy), and the admin HTTP server.
// `startRelay` wires them and returns a handle to stop them.

import { type AddressInfo, createServer } from 'node:net';
import { hostname } from 'node:os';
import { Server } from '@grpc/grpc-js';
import { parseNodeCluster } from '../../shared/snapshot/layout.ts';
import { jsonLogger, type Logger } from '../common/log.ts';
import { type AdminHandlers, type RunningAdmin, startAdminServer } from './admin-server.ts';
import type { ClientInfo, NackEvent, StreamEnv } from './ads/ads-stream.ts';
import { adsServiceDefinition, adsServiceImplementation, type StreamRegistry } from './ads/grpc-service.ts';
import { shortType } from './ads/resource-types.ts';
import type { AuthzPolicy } from './authz.ts';
import { RelayConfigError, RelayError } from './errors.ts';
import { LogNackReporter, type NackReporter, reportSafely } from './nack-reporter.ts';
import { formatHostPort, type HostPort } from './options.ts';
import { RelayMetrics } from './relay-metrics.ts';
import { SnapshotCache } from './snapshot-cache.ts';
import type { SnapshotSource } from './source/snapshot-source.ts';
import { type RelayTls, serverCredentials } from './tls.ts';

/** Pending connections the ADS listener queues (the kernel caps it at net.core.somaxconn). */
const LISTEN_BACKLOG = 4096;

export interface RelayOptions {
  source: SnapshotSource;
  /** ADS gRPC listener. Port 0 lets the kernel choose. */
  listen: HostPort;
  /** Admin HTTP listener; none when omitted. */
  admin?: HostPort;
  /** TLS on the ADS listener; with `clientCa`, clients must present a certificate it signed. */
  tls?: RelayTls;
  /** Which gateways each client identity may read. Requires `tls.clientCa`, which requires it. */
  authz?: AuthzPolicy;
  log?: Logger;
  metrics?: RelayMetrics;
  /** How long an unanswered response holds back later types on a stream. Default 15 s. */
  ackTimeoutMs?: number;
  /** HTTP/2 keepalive pings to clients. Default 30 s. */
  keepaliveMs?: number;
  /**
   * Connections are closed after this age (±10% jitter from grpc-js), so proxies rebalance across
   * relays. Default 30 min; 0 keeps connections forever.
   */
  maxConnectionAgeMs?: number;
  /** Grace for streams on an aged connection before it is closed. Default 30 s. */
  maxConnectionAgeGraceMs?: number;
  /** `control_plane.identifier` on responses. Default `fleetplane-relay@<hostname>`. */
  controlPlane?: string;
  /**
   * Where NACKs are reported beyond metrics. Default: `LogNackReporter` (a warning and a
   * per-gateway counter). The pipeline's reporter (an event on the bus) plugs in here.
   */
  nackReporter?: NackReporter;
  /** Every NACK as the stream saw it, after the reporter (for tests and embedding). */
  onNack?: (event: NackEvent) => void;
}

export interface RunningRelay {
  readonly ads: HostPort;
  readonly admin: HostPort | undefined;
  readonly cache: SnapshotCache;
  readonly metrics: RelayMetrics;
  readonly source: SnapshotSource;
  clients(): ClientInfo[];
  stop(): Promise<void>;
}

export async function startRelay(options: RelayOptions): Promise<RunningRelay> {
  if (options.authz && !options.tls?.clientCa)
    throw new RelayConfigError(
      '--authz needs --client-ca: identities come from client certificates, which only mTLS asks for',
    );
  if (options.tls?.clientCa && !options.authz)
    throw new RelayConfigError(
      '--client-ca needs --authz: say which identities may read which gateways ' +
        '(an --authz file of {"*": ["*/*/*"]} lets every client the CA signed read every gateway)',
    );
  const log = options.log ?? jsonLogger();
  const metrics = options.metrics ?? new RelayMetrics();
  const source = options.source;
  const cache = new SnapshotCache({
    metrics,
    log,
    controlPlane: options.controlPlane ?? `fleetplane-relay@${hostname()}`,
    ...(source.demand ? { demand: (key: string) => source.demand?.(key) ?? (() => {}) } : {}),
  });
  const streams: StreamRegistry = new Set();
  const nackReporter: NackReporter = options.nackReporter ?? new LogNackReporter({ log, metrics });
  const env: StreamEnv = {
    cache,
    metrics,
    log,
    ackTimeoutMs: options.ackTimeoutMs ?? 15_000,
    now: Date.now,
    ...(options.authz ? { authz: options.authz } : {}),
    onNack: (event) => {
      const target = event.nodeCluster ? parseNodeCluster(event.nodeCluster) : undefined;
      if (target)
        reportSafely(
          nackReporter,
          {
            ...target,
            nodeId: event.node?.id ?? '',
            typeUrl: event.typeUrl,
            version: event.versionInfo,
            message: event.message,
            at: event.at,
          },
          log,
        );
      options.onNack?.(event);
    },
  };
  metrics.registry.collectedGauge('fleetplane_relay_streams', 'ADS streams open now, by protocol.', () => {
    const counts = { sotw: 0, delta: 0 };
    for (const s of streams) counts[s.protocol]++;
    return Object.entries(counts).map(([protocol, value]) => ({ labels: { protocol }, value }));
  });
  metrics.registry.collectedGauge(
    'fleetplane_relay_streams_without_snapshot',
    'Open streams that receive nothing, by why: no node, a malformed node.cluster, or an unknown gateway.',
    () => {
      const counts = new Map<string, number>();
      for (const s of streams)
        if (s.status !== 'serving' && s.status !== 'closed')
          counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
      return [...counts].map(([status, value]) => ({ labels: { status }, value }));
    },
  );

  let admin: RunningAdmin | undefined;
  const handlers: AdminHandlers = {
    ready: () =>
      source.ready?.() ??
      (cache.loaded
        ? { ready: true }
        : { ready: false, reason: `no snapshot loaded yet from ${source.description}` }),
    snapshots: () => ({
      source: options.source.status(),
      snapshots: cache.snapshots().map((s) => ({
        nodeCluster: s.nodeCluster,
        version: s.version,
        contentHash: s.contentHash,
        createdAt: s.createdAt,
        loadedAt: s.loadedAt,
        origin: s.origin,
        types: Object.fromEntries(
          [...s.types.values()].map((t) => [
            shortType(t.typeUrl),
            { version: t.versionInfo, contentHash: t.contentHash, resources: [...t.resources.keys()] },
          ]),
        ),
      })),
    }),
    clients: () => ({ clients: [...streams].map((s) => s.describe()) }),
    metrics: () => metrics.registry.render(),
  };
  if (options.admin) admin = await startAdminServer(options.admin, handlers);

  try {
    await options.source.start(cache);
  } catch (error) {
    // Nothing may keep a relay that cannot serve alive (an open admin port would answer /healthz).
    await options.source.stop().catch(() => {});
    await admin?.close();
    await nackReporter.close?.();
    throw error;
  }

  const server = new Server({
    'grpc.keepalive_time_ms': options.keepaliveMs ?? 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    ...(options.maxConnectionAgeMs === 0
      ? {}
      : {
          'grpc.max_connection_age_ms': options.maxConnectionAgeMs ?? 30 * 60_000,
          'grpc.max_connection_age_grace_ms': options.maxConnectionAgeGraceMs ?? 30_000,
        }),
  });
  server.addService(adsServiceDefinition, adsServiceImplementation(env, streams));
  // The relay accepts connections itself and hands them to grpc-js: bindAsync listens with Node's
  // default backlog of 511, which overflowed when thousands of Envoys (re)connected at once (see
  // bench/README.md); the kernel caps LISTEN_BACKLOG at net.core.somaxconn.
  const injector = server.createConnectionInjector(serverCredentials(options.tls));
  const listener = createServer({ noDelay: true }, (socket) => injector.injectConnection(socket));
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(
        { host: options.listen.host, port: options.listen.port, backlog: LISTEN_BACKLOG },
        () => {
          listener.off('error', reject);
          resolve((listener.address() as AddressInfo).port);
        },
      );
    });
  } catch (error) {
    injector.destroy();
    await options.source.stop();
    await admin?.close();
    await nackReporter.close?.();
    throw new RelayError(`cannot listen on ${formatHostPort(options.listen)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  listener.on('error', (error) => log.error('ADS listener failed', { error }));
  log.info('relay listening', {
    ads: formatHostPort({ host: options.listen.host, port }),
    tls: options.tls ? (options.tls.clientCa ? 'mutual' : 'server') : 'off',
    admin: admin ? formatHostPort(admin.address) : undefined,
    source: options.source.description,
    snapshots: cache.snapshots().length,
  });

  let stopped = false;
  return {
    ads: { host: options.listen.host, port },
    admin: admin?.address,
    cache,
    metrics,
    source: options.source,
    clients: () => [...streams].map((s) => s.describe()),
    async stop() {
      if (stopped) return;
      stopped = true;
      await options.source.stop();
      // ADS streams never end on their own, so a graceful shutdown would wait forever.
      listener.close();
      injector.destroy();
      server.forceShutdown();
      for (const s of streams) s.close();
      streams.clear();
      // NACK events still queued for the bus go out now rather than with the process.
      await nackReporter.close?.();
      await admin?.close();
      log.info('relay stopped');
    },
  };
}
