// What every ADS stream shares, SotW or Delta: the node from the first message and the snapshot it
// selects, nonces, the ACK/NACK bookkeeping per type, and the send loop.
//
// The send loop holds at most one response in flight per stream and builds it from the current
// snapshot when the previous write has been flushed, so a slow stream skips straight to the latest
// version (coalescing) and gRPC/HTTP/2 flow control is respected. Types go out in make-before-break
// order, CDS → EDS → LDS → RDS → SDS, and listeners and routes also wait until the stream has
// answered the clusters and endpoints sent before them. Envoy ACKs CDS only once new clusters are
// warm, so routes never point at a cluster that has no endpoints yet (go-control-plane's ADS mode
// only orders the writes, which lets RDS arrive before the EDS of a new cluster). Nothing waits on
// what it warms: EDS not on CDS, RDS not on LDS, SDS on nothing, or the stream would deadlock.
// An unanswered response stops holding others back after `ackTimeoutMs`.
//
// With an authorization policy, the node's gateway is checked against the client certificate's
// identities when the node is first seen; a stream that may not read it is refused with
// PERMISSION_DENIED before anything is sent.

import { randomBytes } from 'node:crypto';
import { nodeCluster, parseNodeCluster } from '../../../shared/snapshot/layout.ts';
import type { Logger } from '../../common/log.ts';
import type { AuthzPolicy } from '../authz.ts';
import type { RelayMetrics } from '../relay-metrics.ts';
import {
  emptyServedType,
  type ServedResource,
  type ServedSnapshot,
  type ServedType,
} from '../served-snapshot.ts';
import type { SnapshotCache } from '../snapshot-cache.ts';
import { type ErrorDetail, joinFields, type NodeInfo } from './messages.ts';
import { isServedType, ROUTING_TYPES, SEND_ORDER, shortType, waitsFor } from './resource-types.ts';

export interface StreamTransport {
  /**
   * Writes one encoded response. `flushed` runs once gRPC has handed it to HTTP/2, which only
   * happens as the peer's flow-control window allows.
   */
  write(message: Uint8Array, flushed: () => void): void;
  /** Ends the stream with a gRPC status (a refusal). */
  fail(code: number, message: string): void;
}

/** Who is on the other end, for streams on a listener with an authorization policy. */
export interface StreamAccess {
  /** From the client certificate (tls.ts); empty without one. */
  readonly identities: readonly string[];
  allows(nodeCluster: string): boolean;
}

export interface NackEvent {
  streamId: string;
  node: NodeInfo | undefined;
  nodeCluster: string | undefined;
  typeUrl: string;
  versionInfo: string;
  code: number;
  message: string;
  at: string;
}

export interface StreamEnv {
  cache: SnapshotCache;
  metrics: RelayMetrics;
  log: Logger;
  /** How long an unanswered response holds back later types. */
  ackTimeoutMs: number;
  now: () => number;
  /** Which gateways a client certificate identity may read; every stream may read all without it. */
  authz?: AuthzPolicy;
  /** Every NACK, for reporting beyond metrics (relay.ts hands it to the NackReporter). */
  onNack?: (event: NackEvent) => void;
}

export type StreamStatus =
  | 'awaiting-node'
  | 'missing-node'
  | 'malformed-node-cluster'
  | 'unknown-gateway'
  | 'denied'
  | 'serving'
  | 'closed';

export interface SentRecord {
  nonce: string;
  versionInfo: string;
  at: number;
  resources: number;
  /** SotW: what the response carried (names and versions), to compare views and NACKs. */
  signature: string;
  /** SotW CDS: the clusters the response carried, so removals can be held back (make before break). */
  carried?: readonly ServedResource[];
  /** Delta: resources sent and removed. */
  updates?: Array<readonly [name: string, version: string]>;
  removed?: string[];
  timedOut?: boolean;
}

export interface TypeState {
  readonly typeUrl: string;
  /** A request for this type arrived. */
  requested: boolean;
  /** The client asked (first request, or a fresh one) and must get an answer even if nothing changed. */
  mustAnswer: boolean;
  lastSent?: SentRecord;
  /** The last response sent and not yet ACKed or NACKed. */
  awaiting?: SentRecord;
  acked?: { versionInfo: string; nonce: string; at: number };
  lastNack?: { versionInfo: string; nonce: string; code: number; message: string; at: number };
  counts: { sent: number; acks: number; nacks: number; stale: number };
}

export interface Outgoing {
  parts: Uint8Array[];
  record: Omit<SentRecord, 'nonce' | 'at'>;
}

export type Settled = 'first' | 'no-nonce' | 'ack' | 'nack' | 'stale' | 'repeat';

export interface ClientTypeInfo {
  subscribed: string[];
  sent?: { version: string; nonce: string; at: string; resources: number };
  acked?: { version: string; at: string };
  awaitingAck: boolean;
  lastNack?: { version: string; code: number; message: string; at: string };
  counts: TypeState['counts'];
}

export interface ClientInfo {
  id: string;
  protocol: 'sotw' | 'delta';
  peer: string;
  openedAt: string;
  status: StreamStatus;
  /** Client certificate identities, when the listener uses mTLS with an authorization policy. */
  identities?: string[];
  node?: NodeInfo;
  snapshotVersion?: number;
  types: Record<string, ClientTypeInfo>;
}

let streamSeq = 0;
const PERMISSION_DENIED = 7;

export abstract class AdsStream<
  Req extends { node?: NodeInfo; typeUrl: string; responseNonce: string; errorDetail?: ErrorDetail },
  S extends TypeState,
> {
  abstract readonly protocol: 'sotw' | 'delta';
  readonly id: string;
  readonly openedAt: number;
  node: NodeInfo | undefined;
  status: StreamStatus = 'awaiting-node';
  protected snapshot: ServedSnapshot | undefined;
  protected readonly types = new Map<string, S>();
  readonly #noncePrefix = randomBytes(4).toString('hex');
  #nonceSeq = 0;
  #inFlight = 0;
  #unwatch: (() => void) | undefined;
  #ackTimer: NodeJS.Timeout | undefined;
  #unknownTypesLogged = new Set<string>();

  constructor(
    protected readonly env: StreamEnv,
    protected readonly transport: StreamTransport,
    readonly peer: string,
    /** Absent: every gateway may be read (no authorization policy). */
    readonly access?: StreamAccess,
  ) {
    this.id = `s${++streamSeq}`;
    this.openedAt = env.now();
  }

  get nodeCluster(): string | undefined {
    return this.status === 'serving' || this.status === 'unknown-gateway' ? this.node?.cluster : undefined;
  }

  /** Refused by the authorization policy; the call has been ended. */
  get refused(): boolean {
    return this.status === 'denied';
  }

  handle(request: Req): void {
    if (this.status === 'closed' || this.status === 'denied') return;
    if (this.status === 'awaiting-node' || this.status === 'missing-node') {
      this.#identify(request.node);
      if (this.refused) return;
    }
    if (!isServedType(request.typeUrl)) {
      this.env.metrics.unknownTypes.inc();
      if (!this.#unknownTypesLogged.has(request.typeUrl)) {
        this.#unknownTypesLogged.add(request.typeUrl);
        this.env.log.warn('request for a type the relay does not serve', this.#logFields(request.typeUrl));
      }
      return;
    }
    let state = this.types.get(request.typeUrl);
    if (!state) {
      state = this.newTypeState(request.typeUrl);
      this.types.set(request.typeUrl, state);
    }
    this.onRequest(state, request);
    this.pump();
  }

  close(): void {
    if (this.status === 'closed') return;
    this.status = 'closed';
    this.#unwatch?.();
    this.#unwatch = undefined;
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
  }

  describe(): ClientInfo {
    const types: Record<string, ClientTypeInfo> = {};
    for (const typeUrl of SEND_ORDER) {
      const st = this.types.get(typeUrl);
      if (!st) continue;
      const iso = (ms: number) => new Date(ms).toISOString();
      types[shortType(typeUrl)] = {
        subscribed: this.subscription(st),
        ...(st.lastSent
          ? {
              sent: {
                version: st.lastSent.versionInfo,
                nonce: st.lastSent.nonce,
                at: iso(st.lastSent.at),
                resources: st.lastSent.resources,
              },
            }
          : {}),
        ...(st.acked ? { acked: { version: st.acked.versionInfo, at: iso(st.acked.at) } } : {}),
        awaitingAck: st.awaiting !== undefined,
        ...(st.lastNack
          ? {
              lastNack: {
                version: st.lastNack.versionInfo,
                code: st.lastNack.code,
                message: st.lastNack.message,
                at: iso(st.lastNack.at),
              },
            }
          : {}),
        counts: { ...st.counts },
      };
    }
    return {
      id: this.id,
      protocol: this.protocol,
      peer: this.peer,
      openedAt: new Date(this.openedAt).toISOString(),
      status: this.status,
      ...(this.access ? { identities: [...this.access.identities] } : {}),
      ...(this.node ? { node: this.node } : {}),
      ...(this.snapshot ? { snapshotVersion: this.snapshot.version } : {}),
      types,
    };
  }

  protected abstract newTypeState(typeUrl: string): S;
  protected abstract onRequest(state: S, request: Req): void;
  /** The next response for this type from `served`, or undefined when there is nothing to send. */
  protected abstract build(state: S, served: ServedType): Outgoing | undefined;
  protected abstract nonceField(nonce: string): Uint8Array;
  protected abstract subscription(state: S): string[];
  protected onSent(_state: S, _record: SentRecord): void {}
  protected onNack(_state: S, _rejected: SentRecord): void {}

  protected baseTypeState(typeUrl: string): TypeState {
    return { typeUrl, requested: false, mustAnswer: false, counts: { sent: 0, acks: 0, nacks: 0, stale: 0 } };
  }

  /**
   * Matches a request's nonce against what this stream sent. Only the nonce of the latest
   * response counts: an older one is stale and its ACK or NACK means nothing any more.
   */
  protected settle(state: S, nonce: string, error: ErrorDetail | undefined): Settled {
    if (!state.requested) return 'first';
    if (!state.lastSent || nonce === '') return 'no-nonce';
    const type = { type: shortType(state.typeUrl) };
    if (nonce !== state.lastSent.nonce) {
      state.counts.stale++;
      this.env.metrics.staleNonces.inc(type);
      return 'stale';
    }
    const sent = state.awaiting;
    if (!sent || sent.nonce !== nonce) return 'repeat';
    state.awaiting = undefined;
    const at = this.env.now();
    if (error) {
      state.lastNack = { versionInfo: sent.versionInfo, nonce, code: error.code, message: error.message, at };
      state.counts.nacks++;
      this.env.metrics.nacks.inc(type);
      this.onNack(state, sent);
      // The NACK reporter (nack-reporter.ts) logs it for operators; this is the protocol trace.
      this.env.log.debug('NACK: the client rejected a response; it will not be resent on this stream', {
        ...this.#logFields(state.typeUrl),
        version: sent.versionInfo,
        error: error.message,
      });
      this.env.onNack?.({
        streamId: this.id,
        node: this.node,
        nodeCluster: this.nodeCluster,
        typeUrl: state.typeUrl,
        versionInfo: sent.versionInfo,
        code: error.code,
        message: error.message,
        at: new Date(at).toISOString(),
      });
      return 'nack';
    }
    state.acked = { versionInfo: sent.versionInfo, nonce, at };
    state.counts.acks++;
    this.env.metrics.acks.inc(type);
    return 'ack';
  }

  /** Sends the next response, if any and if nothing is in flight. */
  protected pump(): void {
    if (this.status !== 'serving' || this.#inFlight > 0 || !this.snapshot) return;
    const snapshot = this.snapshot;
    for (const typeUrl of SEND_ORDER) {
      const state = this.types.get(typeUrl);
      if (!state?.requested || this.#unanswered(state)) continue;
      if (waitsFor(typeUrl).some((earlier) => this.#unanswered(this.types.get(earlier)))) continue;
      const out = this.build(state, this.#served(snapshot, typeUrl));
      if (!out) continue;
      this.#send(state, out);
      return;
    }
  }

  /**
   * True while listeners or routes still have a response to send or to be answered. Clusters a new
   * version drops stay until then: removing them in the same step would break the routes the proxy
   * still uses (the xDS rule: stale clusters are removed only after LDS and RDS have moved on).
   */
  protected routingPending(): boolean {
    const snapshot = this.snapshot;
    if (!snapshot) return false;
    for (const typeUrl of ROUTING_TYPES) {
      const state = this.types.get(typeUrl);
      if (!state?.requested) continue;
      if (this.#unanswered(state) || this.build(state, this.#served(snapshot, typeUrl))) return true;
    }
    return false;
  }

  #served(snapshot: ServedSnapshot, typeUrl: string): ServedType {
    return (
      snapshot.types.get(typeUrl) ??
      emptyServedType(typeUrl, String(snapshot.version), this.env.cache.options.controlPlane)
    );
  }

  /** True while the type's last response is unanswered and not yet overdue. */
  #unanswered(state: S | undefined): boolean {
    const waiting = state?.awaiting;
    if (!state || !waiting || waiting.timedOut) return false;
    const left = waiting.at + this.env.ackTimeoutMs - this.env.now();
    if (left > 0) {
      this.#armAckTimer(left);
      return true;
    }
    waiting.timedOut = true;
    this.env.metrics.ackTimeouts.inc({ type: shortType(state.typeUrl) });
    this.env.log.warn('no ACK within the timeout; no longer holding other types back', {
      ...this.#logFields(state.typeUrl),
      version: waiting.versionInfo,
    });
    return false;
  }

  #send(state: S, out: Outgoing): void {
    const nonce = `${this.#noncePrefix}-${++this.#nonceSeq}`;
    const record: SentRecord = { ...out.record, nonce, at: this.env.now() };
    state.lastSent = record;
    state.awaiting = record;
    state.mustAnswer = false;
    state.counts.sent++;
    this.onSent(state, record);
    this.env.metrics.responsesSent.inc({ protocol: this.protocol, type: shortType(state.typeUrl) });
    this.#inFlight++;
    this.transport.write(joinFields([...out.parts, this.nonceField(nonce)]), () => {
      this.#inFlight--;
      this.pump();
    });
  }

  #armAckTimer(ms: number): void {
    if (this.#ackTimer) return;
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = undefined;
      this.pump();
    }, ms);
    this.#ackTimer.unref();
  }

  #identify(node: NodeInfo | undefined): void {
    if (!node) {
      if (this.status === 'awaiting-node') {
        this.status = 'missing-node';
        this.env.log.warn('stream without a node in its first request; nothing will be sent', {
          stream: this.id,
          peer: this.peer,
        });
      }
      return;
    }
    this.node = node;
    const parsed = parseNodeCluster(node.cluster);
    if (!parsed) {
      this.status = 'malformed-node-cluster';
      this.env.log.warn('node.cluster is not <clusterId>/<namespace>/<gateway>; nothing will be sent', {
        stream: this.id,
        peer: this.peer,
        nodeId: node.id,
        nodeCluster: node.cluster,
      });
      return;
    }
    const key = nodeCluster(parsed.clusterId, parsed.gateway);
    if (this.access && !this.access.allows(key)) {
      this.#deny(key);
      return;
    }
    this.#unwatch = this.env.cache.watch(key, (snapshot) => {
      this.snapshot = snapshot;
      if (this.status === 'unknown-gateway') this.status = 'serving';
      this.pump();
    });
    this.snapshot = this.env.cache.get(key);
    this.status = this.snapshot ? 'serving' : 'unknown-gateway';
    if (!this.snapshot)
      this.env.log.warn('no snapshot for this node cluster (yet); the stream waits for one', {
        stream: this.id,
        peer: this.peer,
        nodeId: node.id,
        nodeCluster: key,
      });
  }

  #deny(key: string): void {
    const identities = this.access?.identities ?? [];
    const reason = identities.length === 0 ? 'no-identity' : 'not-authorized';
    this.status = 'denied';
    this.env.metrics.streamsDenied.inc({ reason });
    this.env.log.warn('stream refused: its identity may not read this gateway', {
      stream: this.id,
      peer: this.peer,
      nodeId: this.node?.id,
      nodeCluster: key,
      identities,
    });
    const who =
      identities.length === 0
        ? 'a client certificate with no URI SAN, DNS SAN or CN'
        : `client identity ${identities.join(', ')}`;
    this.transport.fail(
      PERMISSION_DENIED,
      `${who} may not read node.cluster ${key}: the relay's authorization policy does not grant it`,
    );
  }

  #logFields(typeUrl: string): Record<string, unknown> {
    return {
      stream: this.id,
      protocol: this.protocol,
      nodeId: this.node?.id,
      nodeCluster: this.node?.cluster,
      type: shortType(typeUrl),
    };
  }
}
