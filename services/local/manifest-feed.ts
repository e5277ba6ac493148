// A directory of manifests as a Kubernetes cluster's watch: every object becomes a change event
// (`origin: "watch"`) put on the bus, and every later change to the directory (a file added,
// edited, deleted; an object added to or removed from a file) becomes UPSERTs and DELETEs of the
// objects that changed. resourceVersions come from one counter, like etcd's revision, starting at
// the current time in microseconds so that a re-run against a long-lived emulator keeps going up.
//
// Events are built by the producers' one mapping (shared/pipeline/object-to-change-event.ts), the
// forwarder's and audit ingestion's: Secret data goes to the SecretSink (Secrets Manager) and the
// event carries the key names with empty values and a `secretRef`; large objects go through the
// claim check; a DELETE carries no object.

import { randomUUID } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import type { ChangeEventDetail } from '../../shared/events/change-event.ts';
import { type InputProblem, parseManifests } from '../../shared/input/parse.ts';
import {
  type KubeObjectLike,
  ObjectMappingError,
  objectToChangeEvent,
  toOutboundEvent,
} from '../../shared/pipeline/object-to-change-event.ts';
import type { ClaimCheck } from '../../shared/ports/claim-check.ts';
import type { EventPublisher } from '../../shared/ports/event-publisher.ts';
import type { SecretSink } from '../../shared/ports/secret-sink.ts';
import { stableStringify } from '../../shared/snapshot/layout.ts';
import { describeResource, type KubeObject, resourceId } from '../../shared/translate/common.ts';
import type { Json } from '../../shared/xds/types.ts';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export interface ManifestFeedOptions {
  dir: string;
  clusterId: string;
  publisher: EventPublisher;
  /** Where Secret data goes; a Secret in the directory without one is reported as a problem. */
  secretSink?: SecretSink;
  /** For objects above the claim-check threshold; without one they are reported as problems. */
  claimCheck?: ClaimCheck;
  /** Namespace of namespaced objects that name none. Default: `default`. */
  defaultNamespace?: string;
  /** Default: microseconds since the epoch. */
  firstResourceVersion?: bigint;
  now?: () => Date;
}

export interface FeedSync {
  upserts: string[];
  deletes: string[];
  /** Documents that could not be read; a file with problems keeps its previous objects. */
  problems: InputProblem[];
  warnings: string[];
}

interface LiveObject {
  object: KubeObject;
  /** Stable JSON of the object as written in the file: what decides whether it changed. */
  content: string;
  uid: string;
  generation: number;
}

interface Desired {
  object: KubeObject;
  content: string;
  source: string;
}

export class ManifestFeed {
  readonly dir: string;
  readonly #options: ManifestFeedOptions;
  readonly #defaultNamespace: string;
  readonly #now: () => Date;
  /** Last objects read from each file without problems. */
  readonly #files = new Map<string, Desired[]>();
  readonly #live = new Map<string, LiveObject>();
  #resourceVersion: bigint;
  #syncing: Promise<FeedSync> | undefined;

  constructor(options: ManifestFeedOptions) {
    this.dir = options.dir;
    this.#options = options;
    this.#defaultNamespace = options.defaultNamespace ?? 'default';
    this.#now = options.now ?? (() => new Date());
    this.#resourceVersion = options.firstResourceVersion ?? BigInt(Date.now()) * 1000n;
  }

  /** Objects currently live (sent and not deleted). */
  get objectCount(): number {
    return this.#live.size;
  }

  /** Reads the directory and puts an event on the bus for every object that changed. Serialised. */
  sync(): Promise<FeedSync> {
    const previous = this.#syncing ?? Promise.resolve(undefined);
    const next = previous.catch(() => undefined).then(() => this.#sync());
    this.#syncing = next;
    return next;
  }

  /**
   * Syncs after every change to the directory, debounced; falls back to polling where recursive
   * fs.watch is not available. Returns a function that stops watching.
   */
  watch(
    handlers: { onSync: (sync: FeedSync) => void; onError: (err: Error) => void },
    debounceMs = 150,
  ): () => Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    const run = () => {
      timer = undefined;
      if (closed) return;
      this.sync().then(
        (sync) => {
          if (sync.upserts.length + sync.deletes.length + sync.problems.length + sync.warnings.length > 0)
            handlers.onSync(sync);
        },
        (err) => {
          handlers.onError(err as Error);
          // A failed sync (the emulator or the bus refused) is tried again, not left for the next edit.
          if (!closed && !timer) timer = setTimeout(run, 2_000);
        },
      );
    };
    const schedule = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(run, debounceMs);
    };
    let watcher: FSWatcher | undefined;
    let poll: NodeJS.Timeout | undefined;
    try {
      watcher = watch(this.dir, { recursive: true }, schedule);
      watcher.on('error', (err) => {
        // A watcher that failed is dead: report it and keep going by polling.
        handlers.onError(err);
        watcher?.close();
        poll ??= setInterval(schedule, 1000);
      });
    } catch {
      poll = setInterval(schedule, 1000);
    }
    return async () => {
      closed = true;
      watcher?.close();
      if (poll) clearInterval(poll);
      if (timer) clearTimeout(timer);
      await this.#syncing?.catch(() => undefined);
    };
  }

  async #sync(): Promise<FeedSync> {
    const result: FeedSync = { upserts: [], deletes: [], problems: [], warnings: [] };
    const desired = new Map<string, Desired>();
    const seenFiles = new Set<string>();
    for (const file of await listManifestFiles(this.dir)) {
      const name = relative(process.cwd(), file) || file;
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      seenFiles.add(file);
      const parsed = parseManifests(text, name);
      let objects = parsed.objects.map(({ object, source }) => ({
        object,
        source,
        content: stableStringify(object as unknown as Json),
      }));
      if (parsed.problems.length > 0) {
        result.problems.push(...parsed.problems);
        const kept = this.#files.get(file);
        if (kept) {
          objects = kept;
          result.warnings.push(`${name}: kept its previous objects until it reads without problems`);
        }
      } else {
        this.#files.set(file, objects);
      }
      for (const entry of objects) {
        const key = this.#key(entry.object);
        const other = desired.get(key);
        if (other)
          result.warnings.push(`${entry.source}: ${key} is also defined in ${other.source}; this one wins`);
        desired.set(key, entry);
      }
    }
    for (const file of this.#files.keys()) if (!seenFiles.has(file)) this.#files.delete(file);

    const changes: Array<{ key: string; change: 'UPSERT' | 'DELETE'; live: LiveObject; source?: string }> =
      [];
    for (const [key, entry] of desired) {
      const live = this.#live.get(key);
      if (live?.content === entry.content) continue;
      const next: LiveObject = {
        object: entry.object,
        content: entry.content,
        uid: live?.uid ?? randomUUID(),
        generation: (live?.generation ?? 0) + 1,
      };
      changes.push({ key, change: 'UPSERT', live: next, source: entry.source });
    }
    for (const [key, live] of this.#live) {
      if (!desired.has(key)) changes.push({ key, change: 'DELETE', live });
    }
    if (changes.length === 0) return result;

    const details: ChangeEventDetail[] = [];
    const apply: Array<() => void> = [];
    for (const c of changes) {
      let detail: ChangeEventDetail;
      try {
        detail = await this.#event(c.change, c.live, this.#nextResourceVersion());
      } catch (err) {
        // The object's own fault (too large without a claim check, an invalid name): report it like
        // a bad document and leave the live state as it was.
        if (!(err instanceof ObjectMappingError)) throw err;
        result.problems.push({ source: c.source ?? c.key, message: err.message });
        continue;
      }
      details.push(detail);
      if (c.change === 'UPSERT') {
        result.upserts.push(c.key);
        apply.push(() => this.#live.set(c.key, c.live));
      } else {
        result.deletes.push(c.key);
        apply.push(() => this.#live.delete(c.key));
      }
    }
    if (details.length > 0) await this.#options.publisher.putEvents(details.map(toOutboundEvent));
    for (const change of apply) change();
    return result;
  }

  /**
   * The object as a cluster would serve it (namespace defaulted, uid, resourceVersion, generation)
   * through the producers' one mapping, shared with the forwarder and audit ingestion.
   */
  #event(change: 'UPSERT' | 'DELETE', live: LiveObject, resourceVersion: string): Promise<ChangeEventDetail> {
    const id = resourceId(live.object, { defaultNamespace: this.#defaultNamespace });
    const { namespace: _written, ...metadata } = live.object.metadata;
    const object: KubeObjectLike = {
      ...live.object,
      metadata: {
        ...metadata,
        ...(id.namespace ? { namespace: id.namespace } : {}),
        uid: live.uid,
        resourceVersion,
        generation: live.generation,
      },
    };
    return objectToChangeEvent(
      { clusterId: this.#options.clusterId, change, origin: 'watch', observedAt: this.#now(), object },
      { secretSink: this.#options.secretSink, claimCheck: this.#options.claimCheck },
    );
  }

  #key(object: KubeObject): string {
    const id = resourceId(object, { defaultNamespace: this.#defaultNamespace });
    return `${id.group ? `${id.group}/` : ''}${describeResource(id)}`;
  }

  #nextResourceVersion(): string {
    this.#resourceVersion += 1n;
    return String(this.#resourceVersion);
  }
}

async function listManifestFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && MANIFEST_EXTENSIONS.has(extname(e.name).toLowerCase()))
    .map((e) => join(e.parentPath, e.name))
    .filter(
      (path) =>
        !relative(dir, path)
          .split(/[\\/]/)
          .some((part) => part.startsWith('.')),
    )
    .sort();
}
