// SnapshotSource over a directory in the S3 layout (what `fleetplane translate --to snapshot`
// writes). Every poll walks clusters/<clusterId>/gateways/<ns>/<name>/latest.json; a pointer whose
// stat is unchanged costs one stat, a changed one is read and, if it names a newer version, that
// version is loaded and verified. A version that fails is reported and retried later (or as soon
// as the pointer changes); the relay keeps serving the last good one meanwhile.

import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FleetplaneError } from '../../../shared/errors.ts';
import {
  type GatewayRef,
  type LatestPointer,
  latestKey,
  nodeCluster,
  sha256Hex,
} from '../../../shared/snapshot/layout.ts';
import { parseLatest } from '../../../shared/snapshot/publish.ts';
import { SnapshotLoadError, type SnapshotLoadFailure } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { RelayMetrics } from '../relay-metrics.ts';
import { loadSnapshotVersion, type ObjectReader } from './load-version.ts';
import type { SnapshotSink, SnapshotSource, SourceGatewayStatus, SourceStatus } from './snapshot-source.ts';

export interface DirectorySourceOptions {
  root: string;
  /** How often pointers are checked. Default 1000 ms. */
  pollIntervalMs?: number;
  /** How long a version that failed waits before it is tried again (unless its pointer changes). Default 30 s. */
  retryFailedMs?: number;
  log: Logger;
  metrics: RelayMetrics;
  now?: () => number;
}

interface GatewayEntry {
  clusterId: string;
  gateway: GatewayRef;
  nodeCluster: string;
  key: string;
  /** stat of latest.json when it was last read. */
  stamp?: string;
  /** sha256 of the latest.json that was last loaded. */
  etag?: string;
  latestVersion?: number;
  loadedVersion?: number;
  lastLoadedAt?: string;
  lastError?: SourceGatewayStatus['lastError'];
  retryAt?: number;
  vanished?: boolean;
}

export class DirectorySnapshotSource implements SnapshotSource {
  readonly description: string;
  readonly #entries = new Map<string, GatewayEntry>();
  readonly #pollMs: number;
  readonly #retryMs: number;
  readonly #now: () => number;
  #sink: SnapshotSink | undefined;
  #chain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #scans = 0;
  #lastScanAt: number | undefined;
  #rootMissingLogged = false;

  constructor(readonly options: DirectorySourceOptions) {
    this.description = `dir:${options.root}`;
    this.#pollMs = options.pollIntervalMs ?? 1000;
    this.#retryMs = options.retryFailedMs ?? 30_000;
    this.#now = options.now ?? Date.now;
  }

  async start(sink: SnapshotSink): Promise<void> {
    this.#sink = sink;
    this.#stopped = false;
    await this.refresh();
    this.#schedule();
  }

  refresh(): Promise<void> {
    this.#chain = this.#chain.then(() => this.#scan());
    return this.#chain;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#chain;
  }

  status(): SourceStatus {
    return {
      description: this.description,
      scans: this.#scans,
      ...(this.#lastScanAt ? { lastScanAt: new Date(this.#lastScanAt).toISOString() } : {}),
      gateways: [...this.#entries.values()]
        .sort((a, b) => a.nodeCluster.localeCompare(b.nodeCluster))
        .map((e) => ({
          nodeCluster: e.nodeCluster,
          ...(e.latestVersion !== undefined ? { latestVersion: e.latestVersion } : {}),
          ...(e.loadedVersion !== undefined ? { loadedVersion: e.loadedVersion } : {}),
          ...(e.lastLoadedAt ? { lastLoadedAt: e.lastLoadedAt } : {}),
          ...(e.lastError ? { lastError: e.lastError } : {}),
        })),
    };
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.refresh().finally(() => this.#schedule());
    }, this.#pollMs);
    this.#timer.unref();
  }

  async #scan(): Promise<void> {
    if (this.#stopped && this.#scans > 0) return;
    let targets: Array<{ clusterId: string; gateway: GatewayRef }>;
    try {
      targets = await this.#discover();
    } catch (error) {
      this.options.log.error('cannot list the source directory', { source: this.description, error });
      return;
    }
    for (const target of targets) {
      const key = latestKey(target.clusterId, target.gateway);
      let entry = this.#entries.get(key);
      if (!entry) {
        entry = { ...target, nodeCluster: nodeCluster(target.clusterId, target.gateway), key };
        this.#entries.set(key, entry);
      }
      await this.#check(entry);
    }
    this.#scans++;
    this.#lastScanAt = this.#now();
  }

  async #discover(): Promise<Array<{ clusterId: string; gateway: GatewayRef }>> {
    const found: Array<{ clusterId: string; gateway: GatewayRef }> = [];
    const clusters = join(this.options.root, 'clusters');
    const clusterIds = await this.#dirs(clusters);
    if (clusterIds === undefined) {
      if (!this.#rootMissingLogged) {
        this.#rootMissingLogged = true;
        this.options.log.warn('no clusters/ folder under the source directory yet', {
          source: this.description,
        });
      }
      return found;
    }
    for (const clusterId of clusterIds) {
      const gateways = join(clusters, clusterId, 'gateways');
      for (const namespace of (await this.#dirs(gateways)) ?? [])
        for (const name of (await this.#dirs(join(gateways, namespace))) ?? [])
          found.push({ clusterId, gateway: { namespace, name } });
    }
    return found;
  }

  async #dirs(path: string): Promise<string[] | undefined> {
    let entries: Dirent[];
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  }

  async #check(entry: GatewayEntry): Promise<void> {
    const path = join(this.options.root, entry.key);
    const now = this.#now();
    let stamp: string;
    try {
      const s = await stat(path);
      stamp = `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch (error) {
      if (!isMissing(error)) return this.#fail(entry, error, undefined);
      if (entry.loadedVersion !== undefined && !entry.vanished) {
        entry.vanished = true;
        this.options.log.warn('latest.json disappeared; still serving the last good version', {
          nodeCluster: entry.nodeCluster,
          version: entry.loadedVersion,
        });
      }
      return;
    }
    entry.vanished = false;
    const retryDue = entry.retryAt !== undefined && now >= entry.retryAt;
    if (stamp === entry.stamp && !retryDue) return;
    entry.stamp = stamp;
    let pointer: LatestPointer | undefined;
    try {
      const body = await this.#read(entry.key);
      if (!body) return;
      const etag = sha256Hex(body);
      if (etag === entry.etag) return;
      pointer = parseLatest(body, entry.key);
      entry.latestVersion = pointer.version;
      if (entry.loadedVersion !== undefined && pointer.version <= entry.loadedVersion) {
        if (pointer.version < entry.loadedVersion)
          this.options.log.warn('latest.json went backwards; ignored', {
            nodeCluster: entry.nodeCluster,
            pointer: pointer.version,
            serving: entry.loadedVersion,
          });
        entry.etag = etag;
        entry.retryAt = undefined;
        return;
      }
      const snapshot = await loadSnapshotVersion(this.#read, entry, pointer);
      this.#sink?.accept(snapshot);
      entry.etag = etag;
      entry.loadedVersion = pointer.version;
      entry.lastLoadedAt = new Date(now).toISOString();
      entry.retryAt = undefined;
      entry.lastError = undefined;
    } catch (error) {
      this.#fail(entry, error, pointer?.version);
    }
  }

  #fail(entry: GatewayEntry, error: unknown, version: number | undefined): void {
    const reason: SnapshotLoadFailure =
      error instanceof SnapshotLoadError ? error.reason : error instanceof FleetplaneError ? 'pointer' : 'io';
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

  readonly #read: ObjectReader = async (key) => {
    try {
      return new Uint8Array(await readFile(join(this.options.root, key)));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  };
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
