// The polling engine behind the directory and S3 sources: any SnapshotReader in the snapshot
// layout. Gateways are discovered by listing clusters/<id>/gateways/<ns>/<name>/ (every poll for a
// directory, every `discoverIntervalMs` for a bucket), and each gateway's `latest.json` is read
// conditionally (a stat stamp or an S3 ETag with If-None-Match), so an unchanged pointer costs a
// stat or a 304. A changed pointer naming a newer version has that version loaded and verified
// through the shared loader; a version that fails is reported in status and metrics and retried
// after `retryFailedMs` (or as soon as the pointer changes), while the last good one keeps being
// served. Notifications (SQS, HTTP) make it look at one gateway, or all, at once.

import type { SnapshotReader } from '../../../shared/ports/snapshot-reader.ts';
import {
  type GatewayRef,
  type LatestPointer,
  latestKey,
  nodeCluster,
} from '../../../shared/snapshot/layout.ts';
import { parseLatest } from '../../../shared/snapshot/publish.ts';
import type { Logger } from '../../common/log.ts';
import { SnapshotLoadError, type SnapshotLoadFailure } from '../errors.ts';
import type { RelayMetrics } from '../relay-metrics.ts';
import { loadSnapshotVersion } from './load-version.ts';
import type { NotificationReceiver, NotificationTarget, NotifiedGateway } from './notifications.ts';
import type { SnapshotSink, SnapshotSource, SourceGatewayStatus, SourceStatus } from './snapshot-source.ts';

export interface PolledSourceOptions {
  reader: SnapshotReader;
  /** How often every known gateway's `latest.json` is checked. */
  pollIntervalMs: number;
  /** How often the root is listed for new gateways; 0 lists it on every poll. */
  discoverIntervalMs: number;
  /** How long a version that failed waits before it is tried again (unless its pointer changes). Default 30 s. */
  retryFailedMs?: number;
  /** Gateways checked at the same time during a poll. Default 1. */
  concurrency?: number;
  /** Started after the first scan, stopped with the source. */
  notifications?: NotificationReceiver[];
  log: Logger;
  metrics: RelayMetrics;
  now?: () => number;
}

interface GatewayEntry {
  clusterId: string;
  gateway: GatewayRef;
  nodeCluster: string;
  key: string;
  /** ETag (or stat stamp) of the `latest.json` last read. */
  etag?: string;
  latestVersion?: number;
  loadedVersion?: number;
  lastLoadedAt?: string;
  lastError?: SourceGatewayStatus['lastError'];
  retryAt?: number;
  vanished?: boolean;
  /** Checks of one gateway run one at a time, so versions reach the sink in order. */
  chain: Promise<void>;
}

interface NotificationCounters {
  received: number;
  ignored: number;
  lastAt?: string;
  lastIgnored?: { reason: string; at: string };
  lastError?: { message: string; at: string };
}

export class PolledSnapshotSource implements SnapshotSource, NotificationTarget {
  readonly description: string;
  readonly #reader: SnapshotReader;
  readonly #entries = new Map<string, GatewayEntry>();
  readonly #notifications = new Map<string, NotificationCounters>();
  readonly #pollMs: number;
  readonly #discoverMs: number;
  readonly #retryMs: number;
  readonly #concurrency: number;
  readonly #now: () => number;
  #sink: SnapshotSink | undefined;
  #scanChain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #started = false;
  #scans = 0;
  #lastScanAt: number | undefined;
  #lastDiscoverAt: number | undefined;
  #discoverError: SourceStatus['lastError'];
  #emptyLogged = false;

  constructor(readonly options: PolledSourceOptions) {
    this.#reader = options.reader;
    this.description = options.reader.description;
    this.#pollMs = options.pollIntervalMs;
    this.#discoverMs = options.discoverIntervalMs;
    this.#retryMs = options.retryFailedMs ?? 30_000;
    this.#concurrency = Math.max(1, options.concurrency ?? 1);
    this.#now = options.now ?? Date.now;
  }

  async start(sink: SnapshotSink): Promise<void> {
    this.#sink = sink;
    this.#stopped = false;
    await this.refresh();
    const started: NotificationReceiver[] = [];
    try {
      for (const receiver of this.options.notifications ?? []) {
        await receiver.start(this);
        started.push(receiver);
        this.#counters(receiver.via);
      }
    } catch (error) {
      for (const receiver of started) await receiver.stop();
      this.#stopped = true;
      throw error;
    }
    this.#started = true;
    this.#schedule();
  }

  /** Lists the root again and checks every gateway now. */
  refresh(): Promise<void> {
    return this.#enqueueScan(true);
  }

  /** Checks one gateway now, adding it when it is new; resolves with its status. */
  async refreshGateway(target: NotifiedGateway): Promise<SourceGatewayStatus> {
    const known = this.#entries.has(latestKey(target.clusterId, target.gateway));
    const entry = this.#entry(target.clusterId, target.gateway);
    await this.#check(entry);
    // A gateway only a notification named, with no latest.json behind it, is not kept (and polled
    // forever): a mistaken or hostile sender cannot grow the list. Discovery adds it when it appears.
    if (
      !known &&
      entry.etag === undefined &&
      entry.lastError === undefined &&
      entry.loadedVersion === undefined
    )
      this.#entries.delete(entry.key);
    return this.#statusOf(entry);
  }

  async notify(via: string, target?: NotifiedGateway): Promise<SourceGatewayStatus[]> {
    const counters = this.#counters(via);
    counters.received++;
    counters.lastAt = new Date(this.#now()).toISOString();
    counters.lastError = undefined;
    this.options.log.debug('notified', {
      via,
      nodeCluster: target ? nodeCluster(target.clusterId, target.gateway) : '*',
    });
    if (this.#stopped) return [];
    if (target) return [await this.refreshGateway(target)];
    await this.refresh();
    return this.status().gateways;
  }

  notificationIgnored(via: string, reason: string): void {
    const counters = this.#counters(via);
    counters.ignored++;
    counters.lastIgnored = { reason, at: new Date(this.#now()).toISOString() };
    this.options.log.warn('notification ignored', { via, reason });
  }

  notificationFailed(via: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#counters(via).lastError = { message, at: new Date(this.#now()).toISOString() };
    this.options.log.warn('notification receiver failed; polling goes on', { via, error: message });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#started) for (const receiver of this.options.notifications ?? []) await receiver.stop();
    this.#started = false;
    await this.#scanChain;
    await Promise.all([...this.#entries.values()].map((e) => e.chain));
  }

  status(): SourceStatus {
    return {
      description: this.description,
      scans: this.#scans,
      ...(this.#lastScanAt ? { lastScanAt: new Date(this.#lastScanAt).toISOString() } : {}),
      ...(this.#discoverError ? { lastError: this.#discoverError } : {}),
      ...(this.#notifications.size > 0
        ? { notifications: Object.fromEntries([...this.#notifications].map(([k, v]) => [k, { ...v }])) }
        : {}),
      gateways: [...this.#entries.values()]
        .sort((a, b) => a.nodeCluster.localeCompare(b.nodeCluster))
        .map((e) => this.#statusOf(e)),
    };
  }

  #statusOf(e: GatewayEntry): SourceGatewayStatus {
    return {
      nodeCluster: e.nodeCluster,
      ...(e.latestVersion !== undefined ? { latestVersion: e.latestVersion } : {}),
      ...(e.loadedVersion !== undefined ? { loadedVersion: e.loadedVersion } : {}),
      ...(e.lastLoadedAt ? { lastLoadedAt: e.lastLoadedAt } : {}),
      ...(e.lastError ? { lastError: e.lastError } : {}),
    };
  }

  #counters(via: string): NotificationCounters {
    let counters = this.#notifications.get(via);
    if (!counters) {
      counters = { received: 0, ignored: 0 };
      this.#notifications.set(via, counters);
    }
    return counters;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      const now = this.#now();
      const discover = this.#lastDiscoverAt === undefined || now - this.#lastDiscoverAt >= this.#discoverMs;
      this.#enqueueScan(discover).finally(() => this.#schedule());
    }, this.#pollMs);
    this.#timer.unref();
  }

  #enqueueScan(discover: boolean): Promise<void> {
    this.#scanChain = this.#scanChain.then(() => this.#scan(discover));
    return this.#scanChain;
  }

  async #scan(discover: boolean): Promise<void> {
    if (this.#stopped && this.#scans > 0) return;
    if (discover) await this.#discover();
    const entries = [...this.#entries.values()];
    let next = 0;
    const worker = async () => {
      while (next < entries.length) {
        const entry = entries[next++];
        if (entry) await this.#check(entry);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, entries.length) }, worker));
    this.#scans++;
    this.#lastScanAt = this.#now();
  }

  async #discover(): Promise<void> {
    const found: Array<{ clusterId: string; gateway: GatewayRef }> = [];
    try {
      for (const clusterId of await this.#reader.listFolders('clusters/'))
        for (const namespace of await this.#reader.listFolders(`clusters/${clusterId}/gateways/`))
          for (const name of await this.#reader.listFolders(`clusters/${clusterId}/gateways/${namespace}/`))
            found.push({ clusterId, gateway: { namespace, name } });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#discoverError = { message, at: new Date(this.#now()).toISOString() };
      this.options.log.error('cannot list the source; checking the gateways already known', {
        source: this.description,
        error: message,
      });
      return;
    }
    this.#discoverError = undefined;
    this.#lastDiscoverAt = this.#now();
    if (found.length === 0 && this.#entries.size === 0 && !this.#emptyLogged) {
      this.#emptyLogged = true;
      this.options.log.warn('no gateways under the source yet (clusters/<id>/gateways/<ns>/<name>/)', {
        source: this.description,
      });
    }
    for (const target of found) this.#entry(target.clusterId, target.gateway);
  }

  #entry(clusterId: string, gateway: GatewayRef): GatewayEntry {
    const key = latestKey(clusterId, gateway);
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = {
        clusterId,
        gateway: { namespace: gateway.namespace, name: gateway.name },
        nodeCluster: nodeCluster(clusterId, gateway),
        key,
        chain: Promise.resolve(),
      };
      this.#entries.set(key, entry);
    }
    return entry;
  }

  #check(entry: GatewayEntry): Promise<void> {
    entry.chain = entry.chain.then(() => this.#checkNow(entry));
    return entry.chain;
  }

  async #checkNow(entry: GatewayEntry): Promise<void> {
    if (this.#stopped && this.#scans > 0) return;
    const now = this.#now();
    const retryDue = entry.retryAt !== undefined && now >= entry.retryAt;
    let result: Awaited<ReturnType<SnapshotReader['getIfChanged']>>;
    try {
      result = await this.#reader.getIfChanged(entry.key, retryDue ? undefined : entry.etag);
    } catch (error) {
      return this.#fail(entry, error, 'io', undefined);
    }
    if (result.kind === 'notModified') return;
    if (result.kind === 'notFound') {
      if (entry.loadedVersion !== undefined && !entry.vanished) {
        entry.vanished = true;
        this.options.log.warn('latest.json disappeared; still serving the last good version', {
          nodeCluster: entry.nodeCluster,
          version: entry.loadedVersion,
        });
      }
      entry.etag = undefined;
      return;
    }
    entry.vanished = false;
    // Remembered even when the version fails: it is retried after retryFailedMs, or at once when
    // the pointer changes, not on every poll.
    entry.etag = result.etag;
    let pointer: LatestPointer;
    try {
      pointer = parseLatest(result.body, entry.key);
    } catch (error) {
      return this.#fail(entry, error, 'pointer', undefined);
    }
    entry.latestVersion = pointer.version;
    try {
      if (entry.loadedVersion !== undefined && pointer.version <= entry.loadedVersion) {
        if (pointer.version < entry.loadedVersion)
          this.options.log.warn('latest.json went backwards; ignored', {
            nodeCluster: entry.nodeCluster,
            pointer: pointer.version,
            serving: entry.loadedVersion,
          });
        entry.retryAt = undefined;
        entry.lastError = undefined;
        return;
      }
      const snapshot = await loadSnapshotVersion(this.#reader, entry, pointer);
      this.#sink?.accept(snapshot);
      entry.loadedVersion = pointer.version;
      entry.lastLoadedAt = new Date(this.#now()).toISOString();
      entry.retryAt = undefined;
      entry.lastError = undefined;
    } catch (error) {
      // Verification failures carry their reason; anything else is the reader failing (network, I/O).
      this.#fail(entry, error, error instanceof SnapshotLoadError ? error.reason : 'io', pointer.version);
    }
  }

  #fail(entry: GatewayEntry, error: unknown, reason: SnapshotLoadFailure, version: number | undefined): void {
    const message = error instanceof Error ? error.message : String(error);
    const now = this.#now();
    entry.lastError = {
      message,
      reason,
      ...(version !== undefined ? { version } : {}),
      at: new Date(now).toISOString(),
    };
    entry.retryAt = now + this.#retryMs;
    this.options.metrics.snapshotLoadFailures.inc({ node_cluster: entry.nodeCluster, reason });
    this.options.log.warn('snapshot version not loaded; still serving the last good one', {
      nodeCluster: entry.nodeCluster,
      version,
      serving: entry.loadedVersion,
      reason,
      error: message,
    });
  }
}
