// The forwarder's access to the Kubernetes API through @kubernetes/client-node: the kubeconfig,
// the paged list function an informer starts from, and a Watch that asks for bookmarks.

import {
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  RequestContext,
  Watch,
} from '@kubernetes/client-node';
import { ForwarderConfigError, KubeApiError } from './errors.ts';

/** `--kubeconfig <path>`, else the default chain: $KUBECONFIG, ~/.kube/config, in-cluster. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  const source = path ? `--kubeconfig ${path}` : 'the default kubeconfig';
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new ForwarderConfigError(
      `${source} has no current cluster; set current-context or pass --kubeconfig`,
    );
  }
  // client-node refuses every request to an http:// server unless TLS verification is off; say so
  // now instead of retrying forever.
  if (cluster.server.startsWith('http://') && !cluster.skipTLSVerify) {
    throw new ForwarderConfigError(
      `${source}: cluster ${cluster.name} has server ${cluster.server} over plain HTTP; use https, or set insecure-skip-tls-verify: true (test servers only)`,
    );
  }
  return kc;
}

export interface ListOptions {
  /** Items per page (`limit`); pages follow `continue`. Default 500. */
  pageSize?: number;
  fieldSelector?: string;
  labelSelector?: string;
  /** Per page. Default 60 s. */
  timeoutMs?: number;
}

interface RawList {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubernetesObject[];
}

export type ListFunction = () => Promise<KubernetesListObject<KubernetesObject>>;

/**
 * Lists a collection page by page and returns one list whose resourceVersion is the first page's
 * (every page of a paged list is read at that version). A 410 means the continue token expired.
 */
export function createLister(kc: KubeConfig, path: string, options: ListOptions = {}): ListFunction {
  const http = new IsomorphicFetchHttpLibrary();
  const pageSize = options.pageSize ?? 500;
  return async () => {
    const items: KubernetesObject[] = [];
    let resourceVersion = '';
    let token: string | undefined;
    do {
      const cluster = kc.getCurrentCluster();
      if (!cluster) throw new ForwarderConfigError('the kubeconfig has no current cluster');
      const url = new URL(cluster.server + path);
      url.searchParams.set('limit', String(pageSize));
      if (token) url.searchParams.set('continue', token);
      if (options.fieldSelector) url.searchParams.set('fieldSelector', options.fieldSelector);
      if (options.labelSelector) url.searchParams.set('labelSelector', options.labelSelector);
      const ctx = new RequestContext(url.toString(), HttpMethod.GET);
      ctx.setHeaderParam('Accept', 'application/json');
      ctx.setSignal(AbortSignal.timeout(options.timeoutMs ?? 60_000));
      await kc.applySecurityAuthentication(ctx);
      const res = await http.send(ctx).toPromise();
      const text = await res.body.text();
      if (res.httpStatusCode !== 200) {
        throw new KubeApiError(
          `GET ${path}: HTTP ${res.httpStatusCode} ${statusMessage(text)}`,
          res.httpStatusCode,
        );
      }
      // Raw JSON, so `continue` keeps its wire name (client-node's model calls it `_continue`).
      const page = JSON.parse(text) as RawList;
      if (!resourceVersion) resourceVersion = page.metadata?.resourceVersion ?? '';
      items.push(...(page.items ?? []));
      token = page.metadata?.continue || undefined;
    } while (token);
    return { metadata: { resourceVersion }, items };
  };
}

export interface WatchHooks {
  /** Every watch event, before the informer sees it. */
  onEvent?(type: string, object: unknown): void;
  /** A watch request was answered 200 and its stream is open. */
  onOpen?(): void;
  /** Every end of a watch request: `err` is null for a clean close by the server. */
  onDone?(err: unknown): void;
}

/**
 * client-node's Watch with `allowWatchBookmarks=true`, so quiet watches keep a fresh
 * resourceVersion and reconnect without a 410. Once closed it starts no new request: ListWatch
 * can still try to reconnect after its stop() while it was waiting out a reconnect delay.
 */
export class BookmarkingWatch extends Watch {
  readonly #hooks: WatchHooks;
  #closed = false;

  constructor(kc: KubeConfig, hooks: WatchHooks = {}) {
    super(kc);
    this.#hooks = hooks;
  }

  close(): void {
    this.#closed = true;
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    if (this.#closed) return new AbortController();
    let ended = false;
    const controller = await super.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true },
      (phase, object, raw) => {
        this.#hooks.onEvent?.(phase, object);
        callback(phase, object, raw);
      },
      (err) => {
        ended = true;
        this.#hooks.onDone?.(err);
        done(err);
      },
    );
    // super.watch resolves once the response is in: either done() ran (refused, failed) or the
    // stream is open.
    if (!ended) this.#hooks.onOpen?.();
    return controller;
  }
}

function statusMessage(body: string): string {
  try {
    const status = JSON.parse(body) as { message?: string; reason?: string };
    return status.message ?? status.reason ?? '';
  } catch {
    return body.slice(0, 200);
  }
}
