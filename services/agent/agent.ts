// The agent: keeps one Gateway's snapshot on local disk as files Envoy loads through path-based
// config sources. Each poll is a conditional read of `latest.json`; a new version is downloaded,
// verified end to end (shared/snapshot/verified-version.ts), rewritten to file-based config sources
// and encoded once (plan-files.ts), and only then written, file by file, by atomic rename. Any
// failure (source unreachable, sha256 mismatch, partial download, decode or rewrite error) leaves
// the last good files untouched; it is logged, counted, and retried on the next interval, then
// with a doubling backoff while `latest.json` still names the same broken version.

import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeDiscoveryResponse } from '../../shared/codec/index.ts';
import type { SnapshotReader } from '../../shared/ports/snapshot-reader.ts';
import {
  type GatewayRef,
  type LatestPointer,
  latestKey,
  parseNodeCluster,
} from '../../shared/snapshot/layout.ts';
import { parseLatest } from '../../shared/snapshot/publish.ts';
import { loadVerifiedVersion, SnapshotVerifyError } from '../../shared/snapshot/verified-version.ts';
import type { JsonObject } from '../../shared/xds/types.ts';
import { type Logger, silentLogger } from '../common/log.ts';
import { type AgentState, readAgentState, STATE_SCHEMA_VERSION, writeAgentState } from './agent-state.ts';
import { AgentConfigError, type AgentFailure, ConfigSourceRewriteError } from './errors.ts';
import { type AgentLayout, agentLayout, RESOURCE_DIRS, RelativePath, STATE_FILE } from './file-layout.ts';
import { isTemporaryName, LocalOutputDir, type OutputDir } from './output-dir.ts';
import { type FilePlan, planFiles } from './plan-files.ts';

export interface AgentOptions {
  reader: SnapshotReader;
  /** `<clusterId>/<gatewayNamespace>/<gatewayName>`. */
  nodeCluster: string;
  /** Where Envoy's files go. */
  dir: string;
  /** Operator-provided SDS secret files. Default `<dir>/secrets`. */
  secretsDir?: string;
  log?: Logger;
  /** Wait before the second retry of a version that keeps failing; doubles after. Default 2 s. */
  retryBaseMs?: number;
  /** Cap of that backoff. Default 60 s. */
  retryMaxMs?: number;
  /**
   * When clusters go away: the wait between writing the routes that stop using them and the CDS
   * file that removes them, for Envoy to apply the routes. Default 1 s.
   */
  settleMs?: number;
  /** The directory implementation; tests wrap it to observe the writes. */
  output?: OutputDir;
  now?: () => number;
}

export type PollOutcome =
  | { status: 'written'; version: number; written: string[]; unchanged: number; removed: string[] }
  /** The version `latest.json` names is already on disk (e.g. after a restart). */
  | { status: 'current'; version: number }
  /** `latest.json` has not changed since the last poll. */
  | { status: 'unchanged'; version: number | undefined }
  /** `latest.json` went backwards; the newer version on disk stays. */
  | { status: 'ignored'; version: number; pointer: number }
  /** Nothing published for this Gateway yet. */
  | { status: 'missing' }
  /** The version failed; `serving` is the last good version on disk, if any. */
  | { status: 'failed'; reason: AgentFailure; message: string; version?: number; serving?: number }
  /** Still the version that failed, and its retry is not due yet. */
  | { status: 'backoff'; version?: number; serving?: number; retryInMs: number };

export interface AgentCounters {
  polls: number;
  notModified: number;
  versionsWritten: number;
  filesWritten: number;
  failures: Partial<Record<AgentFailure, number>>;
}

interface FailedPointer {
  etag: string;
  version?: number;
  attempts: number;
  retryAt: number;
}

export class SnapshotAgent {
  readonly layout: AgentLayout;
  readonly nodeCluster: string;
  readonly counters: AgentCounters = {
    polls: 0,
    notModified: 0,
    versionsWritten: 0,
    filesWritten: 0,
    failures: {},
  };
  readonly #target: { clusterId: string; gateway: GatewayRef };
  readonly #reader: SnapshotReader;
  readonly #output: OutputDir;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #retryBaseMs: number;
  readonly #retryMaxMs: number;
  readonly #settleMs: number;
  #state: AgentState | undefined;
  #stateLoaded = false;
  #etag: string | undefined;
  #failed: FailedPointer | undefined;
  #missingLogged = false;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(options: AgentOptions) {
    const target = parseNodeCluster(options.nodeCluster);
    if (!target)
      throw new AgentConfigError(
        `--node-cluster ${JSON.stringify(options.nodeCluster)}: expected <clusterId>/<namespace>/<gateway>, e.g. prod-eu/infra/edge`,
      );
    this.#target = target;
    this.nodeCluster = options.nodeCluster;
    this.layout = agentLayout(options.dir, options.secretsDir);
    this.#reader = options.reader;
    this.#output = options.output ?? new LocalOutputDir(this.layout.dir);
    this.#log = options.log ?? silentLogger;
    this.#now = options.now ?? Date.now;
    this.#retryBaseMs = options.retryBaseMs ?? 2_000;
    this.#retryMaxMs = options.retryMaxMs ?? 60_000;
    this.#settleMs = options.settleMs ?? 1_000;
  }

  /** The version whose files are complete on disk, if any. */
  get servingVersion(): number | undefined {
    return this.#state && !this.#state.writing && this.#state.version > 0 ? this.#state.version : undefined;
  }

  /** One fetch-verify-write round. Calls are serialised. */
  poll(): Promise<PollOutcome> {
    const next = this.#chain.then(() => this.#poll());
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** Polls every `intervalMs` (±10% jitter, so a fleet does not poll in step) until `signal` aborts. */
  async run(options: { intervalMs: number; signal: AbortSignal }): Promise<void> {
    const { intervalMs, signal } = options;
    while (!signal.aborted) {
      await this.poll();
      const delay = intervalMs * (0.9 + Math.random() * 0.2);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, delay);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done, { once: true });
      });
    }
    await this.#chain;
  }

  async #poll(): Promise<PollOutcome> {
    this.counters.polls++;
    if (!this.#stateLoaded) {
      this.#state = await readAgentState(this.#output).catch(() => undefined);
      this.#stateLoaded = true;
      if (this.#state && !this.#sameOrigin(this.#state)) this.#state = undefined;
    }
    const key = latestKey(this.#target.clusterId, this.#target.gateway);
    const failed = this.#failed;
    const inBackoff = failed !== undefined && this.#now() < failed.retryAt;
    let result: Awaited<ReturnType<SnapshotReader['getIfChanged']>>;
    try {
      result = await this.#reader.getIfChanged(key, inBackoff ? failed.etag : this.#etag);
    } catch (error) {
      return this.#fail('source', error, undefined, undefined);
    }
    if (result.kind === 'notModified') {
      if (inBackoff && failed)
        return {
          status: 'backoff',
          ...(failed.version !== undefined ? { version: failed.version } : {}),
          ...this.#serving(),
          retryInMs: failed.retryAt - this.#now(),
        };
      this.counters.notModified++;
      return { status: 'unchanged', version: this.servingVersion };
    }
    if (result.kind === 'notFound') {
      if (!this.#missingLogged) {
        this.#missingLogged = true;
        this.#log.warn('nothing published for this gateway yet', {
          nodeCluster: this.nodeCluster,
          key,
          source: this.#reader.description,
        });
      }
      return { status: 'missing' };
    }
    this.#missingLogged = false;
    const etag = result.etag;

    let pointer: LatestPointer;
    try {
      pointer = parseLatest(result.body, key);
    } catch (error) {
      return this.#fail('pointer', error, undefined, etag);
    }
    // While a write is unfinished, the version being written counts too: files of it may be on disk.
    const state = this.#state;
    const serving = state && state.version > 0 ? Math.max(state.version, state.writing ?? 0) : undefined;
    if (serving !== undefined && pointer.version < serving) {
      this.#log.warn('latest.json went backwards; keeping the newer version on disk', {
        nodeCluster: this.nodeCluster,
        pointer: pointer.version,
        serving,
      });
      this.#succeeded(etag);
      return { status: 'ignored', version: serving, pointer: pointer.version };
    }
    let onDisk: boolean;
    try {
      onDisk = await this.#isOnDisk(pointer);
    } catch (error) {
      return this.#fail('write', error, pointer.version, etag);
    }
    if (onDisk) {
      this.#succeeded(etag);
      this.#log.debug('version already on disk', { nodeCluster: this.nodeCluster, version: pointer.version });
      return { status: 'current', version: pointer.version };
    }

    let plan: FilePlan;
    try {
      const version = await loadVerifiedVersion(this.#reader, this.#target, pointer, {
        decode: (body) => decodeDiscoveryResponse(body),
      });
      plan = planFiles(version, this.layout, { currentClusters: await this.#currentClusters() });
    } catch (error) {
      const reason: AgentFailure =
        error instanceof SnapshotVerifyError
          ? error.reason
          : error instanceof ConfigSourceRewriteError
            ? 'rewrite'
            : 'source';
      return this.#fail(reason, error, pointer.version, etag);
    }

    let outcome: Extract<PollOutcome, { status: 'written' }>;
    try {
      outcome = await this.#write(plan, pointer);
    } catch (error) {
      return this.#fail('write', error, pointer.version, etag);
    }
    this.#succeeded(etag);
    this.counters.versionsWritten++;
    this.counters.filesWritten += outcome.written.length;
    this.#log.info('snapshot version written', {
      nodeCluster: this.nodeCluster,
      version: plan.version,
      written: outcome.written.length,
      unchanged: outcome.unchanged,
      removed: outcome.removed.length,
    });
    if (plan.dangling.length > 0)
      this.#log.warn('config refers to resources the snapshot does not hold; Envoy goes on without them', {
        nodeCluster: this.nodeCluster,
        version: plan.version,
        dangling: plan.dangling.map((r) => `${r.kind}:${r.name}`),
      });
    return outcome;
  }

  async #write(plan: FilePlan, pointer: LatestPointer): Promise<Extract<PollOutcome, { status: 'written' }>> {
    await this.#output.ensure([...RESOURCE_DIRS, 'state']);
    if (plan.externalSecrets.length > 0) {
      // Envoy cannot watch a directory that does not exist; the files themselves are the operator's.
      await mkdir(this.layout.secretsDir, { recursive: true }).catch((error) =>
        this.#log.warn('cannot create the secrets directory', { dir: this.layout.secretsDir, error }),
      );
    }
    const previous = this.#state?.files ?? {};
    const changed = [];
    for (const file of plan.files) {
      const unchanged =
        file.phase === undefined &&
        previous[file.relPath] === file.contentHash &&
        (await this.#output.exists(file.relPath));
      if (!unchanged) changed.push(file);
    }
    const base = this.#stateFor(pointer, plan);
    if (changed.length > 0 && this.#state) {
      const stillValid = { ...this.#state.files };
      for (const file of changed) delete stillValid[file.relPath];
      this.#state = { ...this.#state, files: stillValid, writing: plan.version };
      await writeAgentState(this.#output, this.#state);
    }
    for (const file of changed) {
      // Give Envoy time to apply the routes that moved traffic off the leaving clusters.
      if (file.phase === 'break') await sleep(this.#settleMs);
      await this.#output.replace(file.relPath, file.body);
    }
    this.#state = base;
    await writeAgentState(this.#output, base);
    const removed = await this.#prune(plan);
    return {
      status: 'written',
      version: plan.version,
      written: [...new Set(changed.map((f) => f.relPath))],
      unchanged: plan.files.length - changed.length,
      removed,
    };
  }

  /** Removes per-resource files the new version no longer has, and temporary files left by a crash. */
  async #prune(plan: FilePlan): Promise<string[]> {
    const keep = new Set(plan.files.map((f) => f.relPath));
    const removed: string[] = [];
    for (const dir of ['', 'state', ...RESOURCE_DIRS]) {
      for (const name of await this.#output.list(dir)) {
        const rel = dir === '' ? name : `${dir}/${name}`;
        const stale = isTemporaryName(name) || (dir !== '' && dir !== 'state' && !keep.has(rel));
        if (!stale || rel === STATE_FILE) continue;
        await this.#output.remove(rel);
        if (!isTemporaryName(name)) removed.push(rel);
      }
    }
    return removed;
  }

  #stateFor(pointer: LatestPointer, plan: FilePlan): AgentState {
    return {
      schemaVersion: STATE_SCHEMA_VERSION,
      nodeCluster: this.nodeCluster,
      source: this.#reader.description,
      dir: this.layout.dir,
      secretsDir: this.layout.secretsDir,
      version: plan.version,
      manifestSha256: pointer.sha256,
      contentHash: pointer.contentHash,
      writtenAt: new Date(this.#now()).toISOString(),
      files: Object.fromEntries(plan.files.map((f) => [f.relPath, f.contentHash])),
    };
  }

  /** The clusters Envoy has from the CDS file on disk (our own file), if it reads. */
  async #currentClusters(): Promise<JsonObject[]> {
    if (!this.#state) return [];
    try {
      const body = await this.#output.read(RelativePath.cds);
      return body ? decodeDiscoveryResponse(body).resources : [];
    } catch {
      return [];
    }
  }

  async #isOnDisk(pointer: LatestPointer): Promise<boolean> {
    const state = this.#state;
    if (!state || state.writing !== undefined) return false;
    if (state.version !== pointer.version || state.manifestSha256 !== pointer.sha256) return false;
    for (const rel of Object.keys(state.files)) if (!(await this.#output.exists(rel))) return false;
    return true;
  }

  #sameOrigin(state: AgentState): boolean {
    return (
      state.nodeCluster === this.nodeCluster &&
      state.source === this.#reader.description &&
      state.dir === this.layout.dir &&
      state.secretsDir === this.layout.secretsDir
    );
  }

  #succeeded(etag: string): void {
    this.#etag = etag;
    this.#failed = undefined;
  }

  #serving(): { serving?: number } {
    const serving = this.servingVersion;
    return serving === undefined ? {} : { serving };
  }

  #fail(
    reason: AgentFailure,
    error: unknown,
    version: number | undefined,
    etag: string | undefined,
  ): PollOutcome {
    const message = error instanceof Error ? error.message : String(error);
    this.counters.failures[reason] = (this.counters.failures[reason] ?? 0) + 1;
    if (etag !== undefined) {
      const attempts = this.#failed?.etag === etag ? this.#failed.attempts + 1 : 1;
      // The first retry is the next poll; after that the wait doubles.
      const delay = attempts === 1 ? 0 : Math.min(this.#retryBaseMs * 2 ** (attempts - 2), this.#retryMaxMs);
      this.#failed = {
        etag,
        attempts,
        retryAt: this.#now() + delay,
        ...(version !== undefined ? { version } : {}),
      };
    }
    this.#log.warn('snapshot version not written; the last good files stay in place', {
      nodeCluster: this.nodeCluster,
      version,
      serving: this.servingVersion,
      reason,
      error: message,
      failures: this.counters.failures,
    });
    return {
      status: 'failed',
      reason,
      message,
      ...(version !== undefined ? { version } : {}),
      ...this.#serving(),
    };
  }
}
