// Load client for the relay benchmark (relay-load.ts forks several of these): opens many ADS
// streams with @grpc/grpc-js and behaves on each like an Envoy would — CDS first (with the node),
// then EDS and SDS for the clusters' names, then LDS once endpoints arrived, then RDS for the
// listeners' route names — and ACKs every response. Responses are not decoded: a small protobuf
// scan reads version, type URL and nonce, so the client spends as little CPU as possible on the
// shared machine. When told which version each gateway will get next, it records per stream when
// that version first arrived and reports the times to the parent over IPC.

import { Client, type ClientDuplexStream, credentials } from '@grpc/grpc-js';
import {
  type DeltaRequest,
  encodeDeltaRequest,
  encodeSotwRequest,
  type SotwRequest,
} from '../../services/relay/ads/messages.ts';
import { TypeUrl } from '../../shared/xds/types.ts';

export interface GatewayPlan {
  nodeCluster: string;
  eds: string[];
  rds: string[];
  sds: string[];
}

export interface StreamPlan {
  gateway: number;
  delta: boolean;
}

export type ToClient =
  | {
      type: 'start';
      target: string;
      gateways: GatewayPlan[];
      streams: StreamPlan[];
      perConnection: number;
      openPerSecond: number;
    }
  /** Record when the response of `typeUrl` with at least versions[gateway] arrives. */
  | { type: 'expect'; round: number; versions: number[]; typeUrl: string }
  | { type: 'report'; round: number }
  | { type: 'stop' };

export type FromClient =
  | { type: 'hello' }
  | { type: 'progress'; opened: number; ready: number; errors: number; lastError?: string }
  | { type: 'expecting'; round: number }
  | {
      type: 'received';
      round: number;
      times: Array<number | null>;
      errors: number;
      /** Responses of any type received since the expect message. */
      responses: number;
    };

const ADS = '/envoy.service.discovery.v3.AggregatedDiscoveryService/';
const now = () => performance.timeOrigin + performance.now();
const send = (m: FromClient) => process.send?.(m);

interface Scanned {
  version: string;
  typeUrl: string;
  nonce: string;
}

/** Reads fields 1 (version), 4 (type_url) and 5 (nonce), the same numbers in SotW and Delta responses. */
export function scanResponse(buf: Buffer): Scanned {
  const out: Scanned = { version: '', typeUrl: '', nonce: '' };
  let i = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = buf[i++] ?? 0;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    switch (key & 7) {
      case 0:
        varint();
        break;
      case 1:
        i += 8;
        break;
      case 5:
        i += 4;
        break;
      case 2: {
        const len = varint();
        if (field === 1 || field === 4 || field === 5) {
          const s = buf.toString('utf8', i, i + len);
          if (field === 1) out.version = s;
          else if (field === 4) out.typeUrl = s;
          else out.nonce = s;
        }
        i += len;
        break;
      }
      default:
        throw new Error(`unexpected wire type in a response (key ${key})`);
    }
  }
  return out;
}

type Call = ClientDuplexStream<Uint8Array, Buffer>;

class LoadStream {
  #call!: Call;
  readonly #names: Map<string, string[]>;
  /** The types this stream subscribes to. */
  readonly #wanted: Set<string>;
  /** Subscribed types that have not had a response yet on the current call. */
  #awaited = new Set<string>();
  #requested = new Set<string>();
  #attempt = 0;
  #closed = false;
  ready = false;
  expectVersion = Number.POSITIVE_INFINITY;
  expectType = '';
  responses = 0;
  receivedAt: number | null = null;

  constructor(
    readonly client: Client,
    readonly id: number,
    readonly gatewayIndex: number,
    readonly gateway: GatewayPlan,
    readonly delta: boolean,
    readonly onReady: () => void,
    readonly onReceived: () => void,
    readonly onError: (message: string) => void,
  ) {
    this.#names = new Map([
      [TypeUrl.Cluster, []],
      [TypeUrl.ClusterLoadAssignment, gateway.eds],
      [TypeUrl.Listener, []],
      [TypeUrl.RouteConfiguration, gateway.rds],
      [TypeUrl.Secret, gateway.sds],
    ]);
    this.#wanted = new Set(
      [...this.#names].filter(([t, n]) => n.length > 0 || isWildcard(t)).map(([t]) => t),
    );
    this.#open();
  }

  /** Opens the call and subscribes from scratch; after a failure, Envoy-like backoff (0.5 s doubling to 8 s, jittered). */
  #open(): void {
    this.#awaited = new Set(this.#wanted);
    this.#requested = new Set();
    const call = this.client.makeBidiStreamRequest(
      ADS + (this.delta ? 'DeltaAggregatedResources' : 'StreamAggregatedResources'),
      (m: Uint8Array) => Buffer.from(m.buffer, m.byteOffset, m.byteLength),
      (b: Buffer) => b,
    );
    this.#call = call;
    call.on('data', (b: Buffer) => this.#onResponse(b));
    call.on('error', (e: Error) => {
      if (this.#closed || this.#call !== call) return;
      this.onError(e.message);
      const delay = Math.min(8000, 500 * 2 ** this.#attempt++) * (0.5 + Math.random());
      setTimeout(() => {
        if (!this.#closed) this.#open();
      }, delay);
    });
    call.on('status', () => {});
    this.#subscribe(TypeUrl.Cluster, true);
  }

  #subscribe(typeUrl: string, first = false): void {
    if (this.#requested.has(typeUrl) || !this.#wanted.has(typeUrl)) return;
    this.#requested.add(typeUrl);
    const names = this.#names.get(typeUrl) ?? [];
    const node = first
      ? {
          node: {
            id: `bench-${process.pid}-${this.id}`,
            cluster: this.gateway.nodeCluster,
            userAgent: 'envoy',
          },
        }
      : {};
    if (this.delta) {
      const request: DeltaRequest = {
        ...node,
        typeUrl,
        subscribe: names,
        unsubscribe: [],
        initialResourceVersions: {},
        responseNonce: '',
      };
      this.#call.write(encodeDeltaRequest(request));
    } else {
      const request: SotwRequest = {
        ...node,
        typeUrl,
        versionInfo: '',
        resourceNames: names,
        responseNonce: '',
      };
      this.#call.write(encodeSotwRequest(request));
    }
  }

  #onResponse(buf: Buffer): void {
    const at = now();
    const r = scanResponse(buf);
    this.responses++;
    if (
      this.receivedAt === null &&
      r.typeUrl === this.expectType &&
      Number(r.version) >= this.expectVersion
    ) {
      this.receivedAt = at;
      this.onReceived();
    }
    // ACK.
    if (this.delta) {
      const ack: DeltaRequest = {
        typeUrl: r.typeUrl,
        subscribe: [],
        unsubscribe: [],
        initialResourceVersions: {},
        responseNonce: r.nonce,
      };
      this.#call.write(encodeDeltaRequest(ack));
    } else {
      const ack: SotwRequest = {
        typeUrl: r.typeUrl,
        versionInfo: r.version,
        resourceNames: this.#names.get(r.typeUrl) ?? [],
        responseNonce: r.nonce,
      };
      this.#call.write(encodeSotwRequest(ack));
    }
    // Envoy's order: clusters, then their endpoints and secrets; listeners once clusters are warm;
    // routes once listeners arrived.
    if (r.typeUrl === TypeUrl.Cluster) {
      this.#subscribe(TypeUrl.ClusterLoadAssignment);
      this.#subscribe(TypeUrl.Secret);
      if (!this.#wanted.has(TypeUrl.ClusterLoadAssignment)) this.#subscribe(TypeUrl.Listener);
    } else if (r.typeUrl === TypeUrl.ClusterLoadAssignment) this.#subscribe(TypeUrl.Listener);
    else if (r.typeUrl === TypeUrl.Listener) this.#subscribe(TypeUrl.RouteConfiguration);
    this.#awaited.delete(r.typeUrl);
    if (this.#awaited.size === 0) {
      this.#attempt = 0;
      if (!this.ready) {
        this.ready = true;
        this.onReady();
      }
    }
  }

  close(): void {
    this.#closed = true;
    this.#call.cancel();
  }
}

function isWildcard(typeUrl: string): boolean {
  return typeUrl === TypeUrl.Cluster || typeUrl === TypeUrl.Listener;
}

function run(): void {
  const streams: LoadStream[] = [];
  const clients: Client[] = [];
  let ready = 0;
  let errors = 0;
  let lastError: string | undefined;
  let round = 0;
  let pending = 0;
  let progressTimer: NodeJS.Timeout | undefined;

  const report = () =>
    send({
      type: 'received',
      round,
      times: streams.map((s) => s.receivedAt),
      errors,
      responses: streams.reduce((n, s) => n + s.responses, 0),
    });

  process.on('message', (m: ToClient) => {
    switch (m.type) {
      case 'start': {
        const total = m.streams.length;
        let opened = 0;
        let client: Client | undefined;
        const openSome = () => {
          const batch = Math.max(1, Math.round(m.openPerSecond / 20));
          for (let k = 0; k < batch && opened < total; k++, opened++) {
            if (opened % m.perConnection === 0) {
              // A local subchannel pool gives each Client its own HTTP/2 connection.
              client = new Client(m.target, credentials.createInsecure(), {
                'grpc.use_local_subchannel_pool': 1,
                'grpc.max_receive_message_length': -1,
              });
              clients.push(client);
            }
            const plan = m.streams[opened] as StreamPlan;
            const gateway = m.gateways[plan.gateway] as GatewayPlan;
            streams.push(
              new LoadStream(
                client as Client,
                opened,
                plan.gateway,
                gateway,
                plan.delta,
                () => ready++,
                () => {
                  pending--;
                  if (pending === 0) report();
                },
                (message) => {
                  errors++;
                  lastError = message;
                },
              ),
            );
          }
          if (opened < total) setTimeout(openSome, 50);
        };
        openSome();
        progressTimer = setInterval(
          () =>
            send({
              type: 'progress',
              opened,
              ready,
              errors,
              ...(lastError ? { lastError } : {}),
            }),
          500,
        );
        break;
      }
      case 'expect':
        round = m.round;
        pending = 0;
        for (const s of streams) {
          s.receivedAt = null;
          s.responses = 0;
          s.expectType = m.typeUrl;
          s.expectVersion = m.versions[s.gatewayIndex] ?? Number.POSITIVE_INFINITY;
          pending++;
        }
        send({ type: 'expecting', round });
        break;
      case 'report':
        report();
        break;
      case 'stop':
        if (progressTimer) clearInterval(progressTimer);
        for (const s of streams) s.close();
        for (const c of clients) c.close();
        setTimeout(() => process.exit(0), 200).unref();
        process.disconnect?.();
        break;
    }
  });
  send({ type: 'hello' });
}

run();
