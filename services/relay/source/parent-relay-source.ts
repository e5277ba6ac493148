// SnapshotSource over a parent relay, so relays form a tree: `--source xds://<host:port>`. The
// relay fetches a gateway only once its own clients ask for it (by node.cluster), over one ADS
// stream per gateway (parent-feed.ts), shared by all its clients and multiplexed on one gRPC
// channel. A gateway nobody asks for any more keeps its stream open for `idleCloseMs`, and its last
// snapshot stays served, so a reconnecting proxy finds it at once.

import { hostname } from 'node:os';
import {
  type ChannelCredentials,
  type ChannelOptions,
  Client,
  type ClientDuplexStream,
  connectivityState,
  credentials,
} from '@grpc/grpc-js';
import { parseNodeCluster } from '../../../shared/snapshot/layout.ts';
import type { Logger } from '../../common/log.ts';
import { adsServiceDefinition } from '../ads/grpc-service.ts';
import type { SotwRequest } from '../ads/messages.ts';
import type { BackoffPolicy } from '../backoff.ts';
import { RelayConfigError } from '../errors.ts';
import type { NackReporter } from '../nack-reporter.ts';
import { formatHostPort, type HostPort } from '../options.ts';
import type { RelayMetrics } from '../relay-metrics.ts';
import { ParentFeed, type UpstreamConnector } from './parent-feed.ts';
import type { SnapshotSink, SnapshotSource, SourceStatus } from './snapshot-source.ts';

export interface ParentRelaySourceOptions {
  /** The parent relay's ADS listener (or its load balancer). */
  parent: HostPort;
  /** TLS (and a client certificate) towards the parent; plaintext when omitted. */
  credentials?: ChannelCredentials;
  /** node.id presented to the parent. Default `fleetplane-relay@<hostname>`. */
  nodeId?: string;
  log: Logger;
  metrics: RelayMetrics;
  /** Reconnect backoff, jittered. Default 0.5 s growing to 30 s. */
  reconnect?: BackoffPolicy;
  /** How long a gateway's stream stays open after its last client left. Default 5 min. */
  idleCloseMs?: number;
  /** How long a new state waits for the endpoints, routes and secrets it references. Default 1 s. */
  settleMs?: number;
  /** HTTP/2 keepalive pings to the parent, to notice one that vanished. Default 30 s. */
  keepaliveMs?: number;
  /** Parent responses this relay rejects are reported here as well as counted. */
  nackReporter?: NackReporter;
  /** Opens the ADS streams; grpc-js by default. */
  connector?: UpstreamConnector;
}

interface FeedEntry {
  feed: ParentFeed;
  demand: number;
  idleTimer?: NodeJS.Timeout;
}

export class ParentRelaySource implements SnapshotSource {
  readonly description: string;
  readonly #feeds = new Map<string, FeedEntry>();
  readonly #reconnect: BackoffPolicy;
  #connector: UpstreamConnector | undefined;
  #sink: SnapshotSink | undefined;
  #stopped = false;

  constructor(readonly options: ParentRelaySourceOptions) {
    this.description = `xds://${formatHostPort(options.parent)}`;
    this.#reconnect = options.reconnect ?? { baseMs: 500, maxMs: 30_000 };
  }

  async start(sink: SnapshotSink): Promise<void> {
    this.#sink = sink;
    this.#stopped = false;
    this.#connector ??=
      this.options.connector ??
      grpcUpstreamConnector(this.options.parent, {
        ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
        keepaliveMs: this.options.keepaliveMs ?? 30_000,
        reconnect: this.#reconnect,
      });
    this.options.metrics.registry.collectedGauge(
      'fleetplane_relay_parent_streams',
      'Gateways fetched from the parent relay, by the state of their stream.',
      () => {
        const counts = new Map<string, number>();
        for (const { feed } of this.#feeds.values())
          counts.set(feed.state, (counts.get(feed.state) ?? 0) + 1);
        return [...counts].map(([state, value]) => ({ labels: { state }, value }));
      },
    );
    this.options.log.info('fetching gateways from a parent relay as clients ask for them', {
      parent: this.description,
    });
  }

  /** Streams waiting out a backoff try again now. */
  async refresh(): Promise<void> {
    for (const { feed } of this.#feeds.values()) feed.retryNow();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const entry of this.#feeds.values()) {
      clearTimeout(entry.idleTimer);
      entry.feed.stop();
    }
    this.#connector?.close();
    this.#connector = undefined;
  }

  demand(nodeCluster: string): () => void {
    const parsed = parseNodeCluster(nodeCluster);
    const connector = this.#connector;
    const sink = this.#sink;
    if (!parsed || !connector || !sink || this.#stopped) return () => {};
    let entry = this.#feeds.get(nodeCluster);
    if (!entry) {
      entry = {
        demand: 0,
        feed: new ParentFeed({
          ...parsed,
          nodeId: this.options.nodeId ?? `fleetplane-relay@${hostname()}`,
          connector,
          sink,
          log: this.options.log,
          metrics: this.options.metrics,
          reconnect: this.#reconnect,
          settleMs: this.options.settleMs ?? 1_000,
          ...(this.options.nackReporter ? { nackReporter: this.options.nackReporter } : {}),
        }),
      };
      this.#feeds.set(nodeCluster, entry);
    }
    const held = entry;
    held.demand++;
    clearTimeout(held.idleTimer);
    held.idleTimer = undefined;
    held.feed.start();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--held.demand > 0 || this.#stopped) return;
      held.idleTimer = setTimeout(
        () => {
          held.idleTimer = undefined;
          if (held.demand !== 0) return;
          held.feed.idle();
          // A gateway the parent never had (a typo, or a client trying names) is forgotten, so the
          // feeds cannot grow without bound; one with a snapshot stays for the next proxy.
          if (held.feed.version === 0 && this.#feeds.get(nodeCluster) === held) {
            held.feed.stop();
            this.#feeds.delete(nodeCluster);
          }
        },
        this.options.idleCloseMs ?? 5 * 60_000,
      );
      held.idleTimer.unref();
    };
  }

  /** Ready once the parent is reachable, or while a snapshot fetched from it is held. */
  ready(): { ready: boolean; reason?: string } {
    for (const { feed } of this.#feeds.values()) if (feed.version > 0) return { ready: true };
    const state = this.#connector?.state() ?? 'not started';
    return state === 'READY'
      ? { ready: true }
      : { ready: false, reason: `parent relay ${this.description} not reachable yet (${state})` };
  }

  status(): SourceStatus {
    let responses = 0;
    for (const { feed } of this.#feeds.values()) responses += feed.responses;
    return {
      description: this.description,
      scans: responses,
      gateways: [...this.#feeds.values()]
        .map(({ feed }) => feed.status())
        .sort((a, b) => a.nodeCluster.localeCompare(b.nodeCluster)),
    };
  }
}

/**
 * `xds://host:port` → the parent's address. (Any other scheme is not this source's; the caller
 * checks the scheme first.)
 */
export function parseParentUrl(value: string, flag: string): HostPort {
  const match = /^xds:\/\/(\[[^\]]+\]|[^/:[\]]+):(\d+)\/?$/.exec(value.trim());
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || !Number.isInteger(port) || port < 1 || port > 65_535)
    throw new RelayConfigError(
      `${flag} ${JSON.stringify(value)}: expected xds://<host>:<port> of a parent relay, e.g. xds://relay.internal:18000`,
    );
  const host = (match[1] as string).replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

/** StreamAggregatedResources over one grpc-js channel; responses stay bytes, so bad ones can be NACKed. */
export function grpcUpstreamConnector(
  parent: HostPort,
  options: { credentials?: ChannelCredentials; keepaliveMs: number; reconnect: BackoffPolicy },
): UpstreamConnector {
  const channelOptions: ChannelOptions = {
    'grpc.keepalive_time_ms': options.keepaliveMs,
    'grpc.keepalive_timeout_ms': 10_000,
    // The channel's own reconnects follow the same backoff as the streams on it.
    'grpc.initial_reconnect_backoff_ms': options.reconnect.baseMs,
    'grpc.max_reconnect_backoff_ms': options.reconnect.maxMs,
    // A large gateway's CDS or EDS response easily exceeds gRPC's 4 MiB default.
    'grpc.max_receive_message_length': -1,
  };
  const target = formatHostPort(parent);
  const client = new Client(target, options.credentials ?? credentials.createInsecure(), channelOptions);
  // The server-side method definition: requests encoded, responses left as bytes.
  const method = adsServiceDefinition.StreamAggregatedResources;
  return {
    target,
    open(handlers) {
      const call: ClientDuplexStream<SotwRequest, Uint8Array> = client.makeBidiStreamRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
      );
      call.on('data', (bytes: Uint8Array) => handlers.response(bytes));
      call.on('status', (status) => handlers.closed({ code: status.code, details: status.details }));
      call.on('error', () => {}); // the status event says the same
      return {
        write: (request) => {
          call.write(request);
        },
        cancel: () => call.cancel(),
      };
    },
    state: () => connectivityState[client.getChannel().getConnectivityState(true)] ?? 'UNKNOWN',
    close: () => client.close(),
  };
}
