// One client-node informer (ListWatch) for one watched kind, in one namespace or all of them. It
// lists, then watches from the list's resourceVersion with bookmarks, and relists on 410 Gone;
// that much is ListWatch's own. What it adds:
// - ListWatch stops for good on any other error (a failed list, a reset connection, a 403), so
//   the `error` event restarts it here, with exponential backoff and jitter; it resumes watching
//   from the last resourceVersion and relists only if that is gone;
// - its own reconnect delay after a clean close is jittered and scaled the same way;
// - a delete noticed on relist (the object is simply missing from the new list) carries the
//   list's resourceVersion: the cached object only knows the version before the delete, and the
//   delete happened after it and no later than the list;
// - after every successful list (first list, relist after 410), once each listed object has been
//   handed to `onChange`, `onListed` gets the names the list returned and its resourceVersion, so
//   the pipeline can drop objects deleted while nothing watched (a cache lost on restart sends no
//   DELETE for them).

import { type KubeConfig, type KubernetesObject, ListWatch } from '@kubernetes/client-node';
import type { KubeObjectLike } from '../../shared/pipeline/object-to-change-event.ts';
import { apiVersionOf, collectionPath, type WatchedKind } from '../../shared/pipeline/watched-kinds.ts';
import type { Logger } from '../common/log.ts';
import { type Backoff, reconnectDelayMs } from './backoff.ts';
import type { ForwarderMetrics } from './forwarder-metrics.ts';
import { BookmarkingWatch, createLister, type ListFunction } from './kube-api.ts';

export interface Observation {
  kind: WatchedKind;
  change: 'UPSERT' | 'DELETE';
  origin: 'watch' | 'resync';
  object: KubeObjectLike;
  /** Set on deletes found by a relist: the list's resourceVersion. */
  resourceVersion?: string;
  observedAt: Date;
}

/** One successful list of the informer's collection. */
export interface Listing {
  kind: WatchedKind;
  /** The namespace scope; absent when the list covered every namespace (or a cluster-scoped kind). */
  namespace?: string;
  resourceVersion: string;
  names: Array<{ namespace?: string; name: string }>;
  observedAt: Date;
}

export interface KindInformerOptions {
  kubeConfig: KubeConfig;
  kind: WatchedKind;
  /** Watch one namespace; every namespace when absent. Ignored for cluster-scoped kinds. */
  namespace?: string;
  fieldSelector?: string;
  backoff: Backoff;
  onChange: (observation: Observation) => void;
  /** After each successful list, once its objects went to `onChange`. */
  onListed?: (listing: Listing) => void;
  log: Logger;
  metrics: ForwarderMetrics;
  pageSize?: number;
  random?: () => number;
  now?: () => Date;
}

export type InformerState = 'stopped' | 'starting' | 'synced' | 'failing' | 'notServed';

export class KindInformer {
  readonly kind: WatchedKind;
  readonly namespace: string | undefined;
  readonly path: string;
  readonly #options: KindInformerOptions;
  readonly #labels: { kind: string };
  readonly #informer: ListWatch<KubernetesObject>;
  readonly #watch: BookmarkingWatch;
  #state: InformerState = 'stopped';
  #synced = false;
  #listVersion: string | undefined;
  #failures = 0;
  #restartTimer: NodeJS.Timeout | undefined;

  constructor(options: KindInformerOptions) {
    this.#options = options;
    this.kind = options.kind;
    this.namespace = options.kind.namespaced ? options.namespace : undefined;
    this.path = collectionPath(options.kind, this.namespace);
    this.#labels = { kind: options.kind.name };
    const list = createLister(options.kubeConfig, this.path, {
      fieldSelector: options.fieldSelector,
      pageSize: options.pageSize,
    });
    this.#watch = new BookmarkingWatch(options.kubeConfig, {
      onEvent: (type, object) => this.#onWatchEvent(type, object),
      onOpen: () => this.#healthy(),
      onDone: (err) => {
        if ((err as { statusCode?: number } | null)?.statusCode === 410) this.#expired();
      },
    });
    this.#informer = new ListWatch(
      this.path,
      this.#watch,
      () => this.#list(list),
      false,
      undefined,
      options.fieldSelector,
      {
        delayFn: (ms) => this.#reconnectDelay(ms),
      },
    );
    this.#informer.on('add', (object) => this.#emit('UPSERT', object));
    this.#informer.on('update', (object) => this.#emit('UPSERT', object));
    this.#informer.on('delete', (object) => this.#emitDelete(object));
    this.#informer.on('error', (err) => this.#onError(err));
  }

  get state(): InformerState {
    return this.#state;
  }

  /** Whether a list has completed since start: the cache holds the collection. */
  get synced(): boolean {
    return this.#synced;
  }

  /** The resourceVersion the next watch starts from ('' before the first list or after a 410). */
  get resourceVersion(): string {
    return this.#informer.latestResourceVersion();
  }

  start(): void {
    if (this.#state !== 'stopped') return;
    this.#state = 'starting';
    this.#synced = false;
    this.#run();
  }

  async stop(): Promise<void> {
    this.#state = 'stopped';
    clearTimeout(this.#restartTimer);
    this.#watch.close();
    await this.#informer.stop();
  }

  /** Every cached object, as the last list and watch events left them. */
  cached(): KubeObjectLike[] {
    return this.#informer.list().map((object) => this.#typed(object));
  }

  #run(): void {
    this.#informer.start().catch((err: unknown) => this.#onError(err));
  }

  async #list(list: ListFunction) {
    this.#options.metrics.lists.inc(this.#labels);
    const result = await list();
    this.#listVersion = result.metadata?.resourceVersion || undefined;
    this.#failures = 0;
    this.#synced = true;
    if (this.#state !== 'stopped') this.#state = 'synced';
    this.#afterList(result.items, this.#listVersion);
    return result;
  }

  /**
   * ListWatch hands the returned list to its add/update/delete handlers synchronously, in the
   * microtasks that follow this promise; a macrotask runs after all of them, so by then every
   * UPSERT of the list is with `onChange`.
   */
  #afterList(items: readonly KubernetesObject[], resourceVersion: string | undefined): void {
    const onListed = this.#options.onListed;
    if (!onListed) return;
    if (!resourceVersion) {
      this.#options.log.warn('list without a resourceVersion; deletes it implies cannot be sent', {
        kind: this.kind.name,
        path: this.path,
      });
      return;
    }
    const names = items.map((o) =>
      o.metadata?.namespace
        ? { namespace: o.metadata.namespace, name: o.metadata.name ?? '' }
        : { name: o.metadata?.name ?? '' },
    );
    const observedAt = this.#now();
    setImmediate(() => {
      if (this.#state === 'stopped') return;
      const listing: Listing = { kind: this.kind, resourceVersion, names, observedAt };
      if (this.namespace) listing.namespace = this.namespace;
      onListed(listing);
    });
  }

  #onWatchEvent(type: string, object: unknown): void {
    if (type === 'ERROR') {
      if ((object as { code?: number } | undefined)?.code === 410) this.#expired();
      return;
    }
    this.#healthy();
    if (type === 'BOOKMARK') this.#options.metrics.bookmarks.inc(this.#labels);
  }

  /** A watch is open or delivering: the backoff starts over. */
  #healthy(): void {
    this.#failures = 0;
    if (this.#state === 'failing' && this.#synced) this.#state = 'synced';
  }

  #expired(): void {
    this.#options.metrics.watchExpired.inc(this.#labels);
    this.#options.log.info('watch expired (410 Gone); relisting', { kind: this.kind.name, path: this.path });
  }

  #emit(change: 'UPSERT', object: KubernetesObject): void {
    if (this.#state === 'stopped') return;
    this.#options.onChange({
      kind: this.kind,
      change,
      origin: 'watch',
      object: this.#typed(object),
      observedAt: this.#now(),
    });
  }

  #emitDelete(object: KubernetesObject): void {
    if (this.#state === 'stopped') return;
    const typed = this.#typed(object);
    const observation: Observation = {
      kind: this.kind,
      change: 'DELETE',
      origin: 'watch',
      object: typed,
      observedAt: this.#now(),
    };
    const own = typed.metadata.resourceVersion;
    // A watch DELETED event carries the deletion's version, always newer than the last list; only
    // a delete found by relisting has an older one.
    if (this.#listVersion && (!own || newer(this.#listVersion, own))) {
      observation.resourceVersion = this.#listVersion;
    }
    this.#options.onChange(observation);
  }

  #onError(err: unknown): void {
    if (this.#state === 'stopped') return;
    this.#failures++;
    const status = (err as { statusCode?: number } | undefined)?.statusCode;
    this.#state = status === 404 ? 'notServed' : 'failing';
    const delayMs = reconnectDelayMs(this.#failures, this.#options.backoff, this.#options.random);
    this.#options.metrics.informerRestarts.inc(this.#labels);
    this.#options.log.warn(
      status === 404
        ? 'the API server does not serve this resource (is its CRD installed?); retrying'
        : 'informer stopped on an error; restarting',
      { kind: this.kind.name, path: this.path, attempt: this.#failures, delayMs, error: err as Error },
    );
    clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#state !== 'stopped') this.#run();
    }, delayMs);
  }

  /** ListWatch's own reconnect delay (1 s doubling to 30 s), rescaled to our backoff and jittered. */
  #reconnectDelay(ms: number): Promise<void> {
    const attempt = Math.max(1, Math.round(Math.log2(ms / 1000)) + 1);
    const delay = reconnectDelayMs(attempt, this.#options.backoff, this.#options.random);
    return new Promise((resolve) => setTimeout(resolve, delay).unref());
  }

  /** Items of core-group lists come without apiVersion and kind; events need both. */
  #typed(object: KubernetesObject): KubeObjectLike {
    const typed =
      object.apiVersion && object.kind
        ? object
        : { ...object, apiVersion: apiVersionOf(this.kind), kind: this.kind.kind };
    return typed as KubeObjectLike;
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }
}

/** Whether resourceVersion `a` is newer than `b`; both are decimal strings from etcd-backed servers. */
function newer(a: string, b: string): boolean {
  try {
    return BigInt(a) > BigInt(b);
  } catch {
    return false;
  }
}
