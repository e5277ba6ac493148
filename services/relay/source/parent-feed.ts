// One gateway's state-of-the-world ADS stream to a parent relay, as the relay's own clients would
// hold it: node.cluster is the gateway, CDS and LDS are wildcard subscriptions, and EDS, RDS and
// SDS subscribe to the names the clusters and listeners reference. Every response is ACKed, or
// NACKed with error_detail when a resource cannot be read (the last good state stays). What the
// stream holds becomes the gateway's snapshot: each type carries the parent's version_info, and
// the snapshot's own number is this relay's sequence. A stream that ends is reopened after a
// jittered exponential backoff; meanwhile the relay serves the last snapshot it published.

import { createHash } from 'node:crypto';
import type { AnyResource } from '../../../shared/codec/index.ts';
import { type GatewayRef, nodeCluster } from '../../../shared/snapshot/layout.ts';
import { TypeUrl } from '../../../shared/xds/types.ts';
import type { Logger } from '../../common/log.ts';
import type { ErrorDetail, NodeInfo, SotwRequest, SotwResponse } from '../ads/messages.ts';
import { decodeSotwResponse } from '../ads/messages.ts';
import { SEND_ORDER, shortType } from '../ads/resource-types.ts';
import { type BackoffPolicy, backoffDelay } from '../backoff.ts';
import { SnapshotLoadError, type SnapshotLoadFailure } from '../errors.ts';
import { type NackReporter, reportSafely } from '../nack-reporter.ts';
import type { RelayMetrics } from '../relay-metrics.ts';
import { type ResourceReferences, resourceReferences } from './resource-references.ts';
import type { SnapshotSink, SourceGatewayStatus, SourceTypeResources } from './snapshot-source.ts';

/** The end of an upstream call, as gRPC reports it. */
export interface UpstreamStatus {
  code: number;
  details: string;
}

export interface UpstreamHandlers {
  response(bytes: Uint8Array): void;
  /** Once per call, however it ended (including after `cancel`). */
  closed(status: UpstreamStatus): void;
}

export interface UpstreamCall {
  write(request: SotwRequest): void;
  cancel(): void;
}

/** Opens StreamAggregatedResources calls to the parent; responses arrive undecoded. */
export interface UpstreamConnector {
  readonly target: string;
  open(handlers: UpstreamHandlers): UpstreamCall;
  /** Channel connectivity (`READY`, `TRANSIENT_FAILURE`, …), asking it to connect if idle. */
  state(): string;
  close(): void;
}

export interface ParentFeedOptions {
  clusterId: string;
  gateway: GatewayRef;
  /** node.id this relay presents to its parent. */
  nodeId: string;
  connector: UpstreamConnector;
  sink: SnapshotSink;
  log: Logger;
  metrics: RelayMetrics;
  reconnect: BackoffPolicy;
  /** How long a new state waits for endpoints, routes and secrets it references. */
  settleMs: number;
  /** Responses arriving within this window become one snapshot. */
  debounceMs?: number;
  nackReporter?: NackReporter;
  random?: () => number;
  now?: () => number;
}

/** `open`: the call is up and nothing has come back yet (the parent may not hold the gateway). */
export type FeedState = 'idle' | 'open' | 'streaming' | 'backoff' | 'stopped';

interface HeldResource {
  any: AnyResource;
  hash: string;
  refs: ResourceReferences;
}

interface TypeFeed {
  readonly typeUrl: string;
  /** CDS and LDS: every resource the parent has. */
  readonly wildcard: boolean;
  /** EDS, RDS, SDS: the names subscribed, sorted. */
  names: string[];
  /** A request for this type went out on the current call. */
  requested: boolean;
  /** Nonce of the latest response on the current call. */
  nonce: string;
  /** version_info of the last response applied. */
  versionInfo?: string;
  held: Map<string, HeldResource>;
  applied: number;
}

const {
  Cluster: CDS,
  ClusterLoadAssignment: EDS,
  Listener: LDS,
  RouteConfiguration: RDS,
  Secret: SDS,
} = TypeUrl;
const INVALID_ARGUMENT = 3;
const USER_AGENT = 'fleetplane-relay';

export class ParentFeed {
  readonly nodeCluster: string;
  readonly #types = new Map<string, TypeFeed>();
  readonly #node: NodeInfo;
  readonly #now: () => number;
  #state: FeedState = 'idle';
  #generation = 0;
  #call: UpstreamCall | undefined;
  #nodeSent = false;
  #attempt = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryAt: number | undefined;
  #publishTimer: NodeJS.Timeout | undefined;
  #publishTimerKind: 'debounce' | 'settle' | undefined;
  #pendingSince: number | undefined;
  /** `<typeUrl> <name>` of references waited for once in vain; not waited for again. */
  readonly #gaveUpOn = new Set<string>();
  #version = 0;
  #publishedSignature: string | undefined;
  #lastLoadedAt: string | undefined;
  #lastError: SourceGatewayStatus['lastError'];
  /** The type the last error was about; `snapshot` when the relay refused what was published. */
  #lastErrorOf: string | undefined;
  #responses = 0;

  constructor(private readonly options: ParentFeedOptions) {
    this.nodeCluster = nodeCluster(options.clusterId, options.gateway);
    this.#node = { id: options.nodeId, cluster: this.nodeCluster, userAgent: USER_AGENT };
    this.#now = options.now ?? Date.now;
    for (const typeUrl of SEND_ORDER) {
      this.#types.set(typeUrl, {
        typeUrl,
        wildcard: typeUrl === CDS || typeUrl === LDS,
        names: [],
        requested: false,
        nonce: '',
        held: new Map(),
        applied: 0,
      });
    }
  }

  get state(): FeedState {
    return this.#state;
  }

  /** Responses received over the feed's life. */
  get responses(): number {
    return this.#responses;
  }

  /** The last snapshot version handed to the relay (0: none yet). */
  get version(): number {
    return this.#version;
  }

  /** Opens the stream unless it is open or about to be. */
  start(): void {
    if (this.#state === 'idle') this.#open();
  }

  /** Skips the rest of a backoff wait. */
  retryNow(): void {
    if (this.#state !== 'backoff') return;
    clearTimeout(this.#retryTimer);
    this.#open();
  }

  /** Closes the stream; what was published stays in the relay, and `start` resumes. */
  idle(): void {
    if (this.#state === 'stopped') return;
    this.#hangUp();
    this.#state = 'idle';
  }

  stop(): void {
    this.#hangUp();
    clearTimeout(this.#publishTimer);
    this.#publishTimer = undefined;
    this.#state = 'stopped';
  }

  status(): SourceGatewayStatus {
    const typeVersions: Record<string, string> = {};
    for (const t of this.#types.values())
      if (t.versionInfo !== undefined) typeVersions[shortType(t.typeUrl)] = t.versionInfo;
    const retryIn = this.#retryAt === undefined ? 0 : Math.max(0, this.#retryAt - this.#now());
    return {
      nodeCluster: this.nodeCluster,
      ...(this.#version > 0 ? { latestVersion: this.#version, loadedVersion: this.#version } : {}),
      ...(this.#lastLoadedAt ? { lastLoadedAt: this.#lastLoadedAt } : {}),
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
      connection: this.#state === 'backoff' ? `backoff (retry in ${retryIn} ms)` : this.#state,
      typeVersions,
    };
  }

  #open(): void {
    clearTimeout(this.#retryTimer);
    this.#retryAt = undefined;
    const generation = ++this.#generation;
    this.#state = 'open';
    this.#nodeSent = false;
    for (const t of this.#types.values()) {
      t.requested = false;
      t.nonce = '';
    }
    const call = this.options.connector.open({
      response: (bytes) => {
        if (generation === this.#generation) this.#onResponse(bytes);
      },
      closed: (status) => {
        if (generation === this.#generation) this.#onClosed(status);
      },
    });
    if (generation !== this.#generation || this.#state !== 'open') return; // it failed at once
    this.#call = call;
    for (const t of this.#types.values()) if (t.wildcard || t.names.length > 0) this.#request(t);
  }

  #hangUp(): void {
    clearTimeout(this.#retryTimer);
    this.#retryAt = undefined;
    this.#generation++;
    const call = this.#call;
    this.#call = undefined;
    call?.cancel();
  }

  #onClosed(status: UpstreamStatus): void {
    this.#call = undefined;
    this.#generation++;
    this.options.metrics.parentStreamErrors.inc({ code: String(status.code) });
    this.#fail('io', `stream to ${this.options.connector.target} ended: ${status.code} ${status.details}`);
    this.#retry();
  }

  #retry(): void {
    if (this.#state === 'stopped' || this.#state === 'idle') return;
    this.#attempt++;
    const delay = backoffDelay(this.#attempt, this.options.reconnect, this.options.random);
    this.#state = 'backoff';
    this.#retryAt = this.#now() + delay;
    this.options.log.warn('parent relay stream down; serving the last snapshot and retrying', {
      nodeCluster: this.nodeCluster,
      parent: this.options.connector.target,
      attempt: this.#attempt,
      retryInMs: delay,
      error: this.#lastError?.message,
    });
    this.#retryTimer = setTimeout(() => this.#open(), delay);
    this.#retryTimer.unref();
  }

  /**
   * Asks for `type` again: an ACK of its latest response (`version_info` is the last one applied,
   * which is also what a NACK carries), or a new subscription.
   */
  #request(type: TypeFeed, errorDetail?: ErrorDetail): void {
    type.requested = true;
    this.#write({
      typeUrl: type.typeUrl,
      versionInfo: type.versionInfo ?? '',
      resourceNames: type.wildcard ? [] : type.names,
      responseNonce: type.nonce,
      ...(errorDetail ? { errorDetail } : {}),
    });
  }

  #write(request: SotwRequest): void {
    if (!this.#nodeSent) {
      request.node = this.#node;
      this.#nodeSent = true;
    }
    this.#call?.write(request);
  }

  #onResponse(bytes: Uint8Array): void {
    this.#responses++;
    let response: SotwResponse;
    try {
      response = decodeSotwResponse(bytes);
    } catch (error) {
      // Without its nonce a response cannot be answered; the stream starts over.
      this.#fail('decode', `undecodable DiscoveryResponse: ${(error as Error).message}`);
      this.options.metrics.parentStreamErrors.inc({ code: 'undecodable' });
      this.#hangUp();
      this.#retry();
      return;
    }
    this.#state = 'streaming';
    this.options.metrics.parentResponses.inc({ type: shortType(response.typeUrl) });
    const type = this.#types.get(response.typeUrl);
    if (!type?.requested) {
      this.#nack(response, [`type ${response.typeUrl} was not requested`]);
      return;
    }
    type.nonce = response.nonce;
    if (olderVersion(response.versionInfo, type.versionInfo)) {
      // A parent behind a load balancer may be a replica that has not seen the newest snapshot yet.
      // Its versions are the root source's numbers, so an older one is never applied; it is ACKed
      // with the version held, and the next newer version comes as usual.
      this.options.log.warn('parent sent an older version than the one held; not applied', {
        nodeCluster: this.nodeCluster,
        type: shortType(response.typeUrl),
        parentVersion: response.versionInfo,
        held: type.versionInfo,
      });
      this.#request(type);
      return;
    }
    const parsed = this.#parse(type, response);
    if (parsed.errors.length > 0) {
      this.#nack(response, parsed.errors, type);
      return;
    }
    if (type.wildcard) type.held = parsed.resources;
    // EDS, RDS and SDS responses need not repeat what did not change (the xDS rule for SotW).
    else for (const [name, held] of parsed.resources) type.held.set(name, held);
    type.versionInfo = response.versionInfo;
    type.applied++;
    this.#attempt = 0;
    if (this.#lastErrorOf === undefined || this.#lastErrorOf === type.typeUrl) this.#clearError();
    const resubscribe = this.#relearn();
    this.#request(type);
    for (const t of resubscribe) if (t !== type && (t.requested || t.names.length > 0)) this.#request(t);
    this.#schedulePublish('debounce');
  }

  #parse(type: TypeFeed, response: SotwResponse): { resources: Map<string, HeldResource>; errors: string[] } {
    const known = new Map<string, HeldResource>();
    for (const held of type.held.values()) known.set(held.hash, held);
    const resources = new Map<string, HeldResource>();
    const errors: string[] = [];
    for (const [i, any] of response.resources.entries()) {
      if (any.typeUrl !== type.typeUrl) {
        errors.push(`resources[${i}]: a ${any.typeUrl} in a ${shortType(type.typeUrl)} response`);
        continue;
      }
      const hash = hashBytes(any.value);
      let held = known.get(hash);
      if (!held) {
        try {
          held = { any, hash, refs: resourceReferences(any) };
        } catch (error) {
          errors.push(`resources[${i}]: cannot decode: ${(error as Error).message}`);
          continue;
        }
      }
      if (resources.has(held.refs.name)) {
        errors.push(`resources[${i}]: a second resource named "${held.refs.name}"`);
        continue;
      }
      resources.set(held.refs.name, held);
    }
    return { resources, errors };
  }

  /** Rejects a response: the type keeps its last applied version, which the NACK names. */
  #nack(response: SotwResponse, errors: string[], type?: TypeFeed): void {
    const message =
      errors.slice(0, 5).join('; ') + (errors.length > 5 ? `; and ${errors.length - 5} more` : '');
    const typeUrl = response.typeUrl;
    this.options.metrics.parentNacks.inc({ type: shortType(typeUrl) });
    this.#fail(
      'rejected',
      `NACKed ${shortType(typeUrl)} version ${response.versionInfo}: ${message}`,
      typeUrl,
    );
    const errorDetail = { code: INVALID_ARGUMENT, message };
    if (type) this.#request(type, errorDetail);
    else
      this.#write({
        typeUrl,
        versionInfo: '',
        resourceNames: [],
        responseNonce: response.nonce,
        errorDetail,
      });
    if (this.options.nackReporter)
      reportSafely(
        this.options.nackReporter,
        {
          clusterId: this.options.clusterId,
          gateway: this.options.gateway,
          nodeId: this.options.nodeId,
          typeUrl,
          version: response.versionInfo,
          message,
          at: new Date(this.#now()).toISOString(),
        },
        this.options.log,
      );
  }

  /** Recomputes what EDS, RDS and SDS subscribe to; returns the types whose names changed. */
  #relearn(): TypeFeed[] {
    const wanted = new Map<string, Set<string>>([
      [EDS, new Set()],
      [RDS, new Set()],
      [SDS, new Set()],
    ]);
    const add = (typeUrl: string, names: string[]) => {
      for (const name of names) wanted.get(typeUrl)?.add(name);
    };
    for (const wildcardType of [CDS, LDS])
      for (const { refs } of this.#types.get(wildcardType)?.held.values() ?? []) {
        add(EDS, refs.endpoints);
        add(RDS, refs.routes);
        add(SDS, refs.secrets);
      }
    const changed: TypeFeed[] = [];
    for (const [typeUrl, set] of wanted) {
      const type = this.#types.get(typeUrl) as TypeFeed;
      const names = [...set].sort();
      if (names.join('\n') === type.names.join('\n')) continue;
      for (const name of type.names) if (!set.has(name)) this.#gaveUpOn.delete(`${typeUrl} ${name}`);
      type.names = names;
      for (const name of [...type.held.keys()]) if (!set.has(name)) type.held.delete(name);
      changed.push(type);
    }
    return changed;
  }

  /** Referenced names not received yet (and not already waited for in vain). */
  #pending(): string[] {
    const pending: string[] = [];
    for (const typeUrl of [EDS, RDS, SDS]) {
      const type = this.#types.get(typeUrl) as TypeFeed;
      for (const name of type.names) {
        const key = `${typeUrl} ${name}`;
        if (!type.held.has(name) && !this.#gaveUpOn.has(key)) pending.push(key);
      }
    }
    return pending;
  }

  #schedulePublish(kind: 'debounce' | 'settle', delayMs = this.options.debounceMs ?? 10): void {
    if (this.#publishTimer && (this.#publishTimerKind === 'debounce' || kind === 'settle')) return;
    clearTimeout(this.#publishTimer);
    this.#publishTimerKind = kind;
    this.#publishTimer = setTimeout(() => {
      this.#publishTimer = undefined;
      this.#publishTimerKind = undefined;
      this.#maybePublish();
    }, delayMs);
    this.#publishTimer.unref();
  }

  #maybePublish(): void {
    if (this.#state === 'stopped') return;
    // Clusters and listeners make a snapshot; without both a proxy could not do anything with it.
    if ((this.#types.get(CDS)?.applied ?? 0) === 0 || (this.#types.get(LDS)?.applied ?? 0) === 0) return;
    const pending = this.#pending();
    if (pending.length > 0) {
      const now = this.#now();
      this.#pendingSince ??= now;
      const left = this.#pendingSince + this.options.settleMs - now;
      if (left > 0) {
        this.#schedulePublish('settle', left);
        return;
      }
      for (const key of pending) this.#gaveUpOn.add(key);
      this.options.log.warn('parent has not sent referenced resources; publishing without them', {
        nodeCluster: this.nodeCluster,
        missing: pending,
      });
    }
    this.#pendingSince = undefined;
    this.#publish();
  }

  #publish(): void {
    const types: SourceTypeResources[] = [];
    const content = createHash('sha256');
    const signature: string[] = [];
    for (const type of this.#types.values()) {
      if (type.applied === 0) continue;
      const held = [...type.held.values()].sort((a, b) => (a.refs.name < b.refs.name ? -1 : 1));
      const versionInfo = type.versionInfo ?? '';
      types.push({ typeUrl: type.typeUrl, versionInfo, resources: held.map((h) => h.any) });
      for (const h of held) content.update(`${type.typeUrl}\0${h.refs.name}\0${h.hash}\n`);
      signature.push(`${type.typeUrl}@${versionInfo}:${held.map((h) => h.hash).join(',')}`);
    }
    const joined = signature.join('\n');
    if (joined === this.#publishedSignature) return;
    const version = this.#version + 1;
    const versions = types.map((t) => `${shortType(t.typeUrl)}@${t.versionInfo}`).join(' ');
    try {
      this.options.sink.accept({
        clusterId: this.options.clusterId,
        gateway: this.options.gateway,
        version,
        contentHash: content.digest('hex'),
        origin: `xds://${this.options.connector.target} ${versions}`,
        types,
      });
    } catch (error) {
      const reason = error instanceof SnapshotLoadError ? error.reason : 'rejected';
      this.options.metrics.snapshotLoadFailures.inc({ node_cluster: this.nodeCluster, reason });
      this.#fail(reason, (error as Error).message, 'snapshot');
      return;
    }
    this.#version = version;
    this.#publishedSignature = joined;
    this.#lastLoadedAt = new Date(this.#now()).toISOString();
    if (this.#lastErrorOf === 'snapshot') this.#clearError();
  }

  /** Connection errors (`of` undefined) clear on the next response; others when their type recovers. */
  #fail(reason: SnapshotLoadFailure, message: string, of?: string): void {
    this.#lastError = { message, reason, at: new Date(this.#now()).toISOString() };
    this.#lastErrorOf = of;
    if (of !== undefined)
      this.options.log.warn('parent relay response not used; the last good snapshot stays', {
        nodeCluster: this.nodeCluster,
        reason,
        error: message,
      });
  }

  #clearError(): void {
    this.#lastError = undefined;
    this.#lastErrorOf = undefined;
  }
}

function hashBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/** Whether `next` is a lower version than `held`, when both are the decimal versions sources give. */
function olderVersion(next: string, held: string | undefined): boolean {
  if (held === undefined || !/^\d+$/.test(next) || !/^\d+$/.test(held)) return false;
  return BigInt(next) < BigInt(held);
}
