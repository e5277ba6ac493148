// A Kubernetes API server over plain HTTP (node:http) for the forwarder's tests: it answers list
// and watch requests of collection paths from scripts the test queues, in the shapes a real
// kube-apiserver sends (list JSON with metadata.resourceVersion and `continue`, a watch stream of
// one JSON event per line, BOOKMARK events, a 410 Expired Status as a watch ERROR event or as the
// HTTP answer, resets of the connection). With no script queued a list answers 404 and a watch
// stays open and quiet, as a server does between events; `send` pushes events into open watches.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RecordedRequest {
  path: string;
  query: URLSearchParams;
  watch: boolean;
  authorization?: string;
}

export interface ListReply {
  status?: number;
  body: unknown;
}

export interface WatchScript {
  /** Non-200: answered with `body` (a Status) and closed, like a refused watch. */
  status?: number;
  body?: unknown;
  /** Lines written at once (each JSON.stringified onto one line). */
  events?: unknown[];
  /** After the events: keep the stream open (default), end it cleanly, or reset the connection. */
  end?: 'hold' | 'close' | 'reset';
}

interface OpenWatch {
  path: string;
  res: ServerResponse;
  socket: Socket;
}

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  readonly #lists = new Map<string, ListReply[]>();
  readonly #watches = new Map<string, WatchScript[]>();
  readonly #open = new Set<OpenWatch>();
  readonly #sockets = new Set<Socket>();
  readonly #server = createServer((req, res) => this.#handle(req, res));
  url = '';

  async start(): Promise<string> {
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Queues answers to the next list requests of `path` (each page of a paged list is one). */
  list(path: string, ...replies: ListReply[]): this {
    this.#lists.set(path, [...(this.#lists.get(path) ?? []), ...replies]);
    return this;
  }

  /** Queues scripts for the next watch requests of `path`. */
  watch(path: string, ...scripts: WatchScript[]): this {
    this.#watches.set(path, [...(this.#watches.get(path) ?? []), ...scripts]);
    return this;
  }

  /** Writes events to every open watch of `path`; returns how many streams got them. */
  send(path: string, ...events: unknown[]): number {
    let n = 0;
    for (const w of this.#open) {
      if (w.path !== path) continue;
      for (const e of events) w.res.write(`${JSON.stringify(e)}\n`);
      n++;
    }
    return n;
  }

  /** Ends (cleanly) or resets every open watch of `path`. */
  endWatches(path: string, how: 'close' | 'reset'): void {
    for (const w of [...this.#open]) {
      if (w.path !== path) continue;
      this.#open.delete(w);
      if (how === 'close') w.res.end();
      else w.socket.resetAndDestroy();
    }
  }

  openWatches(path: string): number {
    return [...this.#open].filter((w) => w.path === path).length;
  }

  requestsOf(path: string, kind: 'list' | 'watch'): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path && r.watch === (kind === 'watch'));
  }

  /** A kubeconfig file whose current context points at this server, with a bearer token. */
  writeKubeconfig(token = 'test-token'): string {
    const dir = mkdtempSync(join(tmpdir(), 'fleetplane-kubeconfig-'));
    const file = join(dir, 'config');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: fake',
        '  cluster:',
        `    server: ${this.url}`,
        // client-node refuses plain HTTP unless TLS verification is off.
        '    insecure-skip-tls-verify: true',
        'users:',
        '- name: forwarder',
        '  user:',
        `    token: ${token}`,
        'contexts:',
        '- name: fake',
        '  context:',
        '    cluster: fake',
        '    user: forwarder',
        'current-context: fake',
        '',
      ].join('\n'),
    );
    return file;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const watch = url.searchParams.get('watch') === 'true';
    this.requests.push({
      path: url.pathname,
      query: url.searchParams,
      watch,
      authorization: req.headers.authorization,
    });
    if (watch) this.#watch(url.pathname, req, res);
    else this.#list(url.pathname, res);
  }

  #list(path: string, res: ServerResponse): void {
    const reply = this.#lists.get(path)?.shift() ?? {
      status: 404,
      body: status(404, 'NotFound', `the server could not find the requested resource (get ${path})`),
    };
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.body));
  }

  #watch(path: string, req: IncomingMessage, res: ServerResponse): void {
    const script = this.#watches.get(path)?.shift() ?? {};
    if (script.status && script.status !== 200) {
      res.writeHead(script.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(script.body ?? status(script.status, 'InternalError', 'scripted failure')));
      return;
    }
    // kube-apiserver streams watch events chunked, one JSON object per line.
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    for (const e of script.events ?? []) res.write(`${JSON.stringify(e)}\n`);
    const end = script.end ?? 'hold';
    if (end === 'close') {
      res.end();
      return;
    }
    if (end === 'reset') {
      // Let the events reach the client first, then drop the connection without a final chunk.
      setTimeout(() => req.socket.resetAndDestroy(), 50);
      return;
    }
    const open: OpenWatch = { path, res, socket: req.socket };
    this.#open.add(open);
    res.on('close', () => this.#open.delete(open));
  }
}

/** A metav1.Status as the API server writes it. */
export function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/** The watch ERROR event a server sends when the requested resourceVersion was compacted. */
export function expiredEvent(requested: string, oldest: string): Record<string, unknown> {
  return {
    type: 'ERROR',
    object: status(410, 'Expired', `too old resource version: ${requested} (${oldest})`),
  };
}

/** A BOOKMARK event: only kind, apiVersion and metadata.resourceVersion are meaningful. */
export function bookmark(apiVersion: string, kind: string, resourceVersion: string): Record<string, unknown> {
  return {
    type: 'BOOKMARK',
    object: { kind, apiVersion, metadata: { resourceVersion, creationTimestamp: null } },
  };
}

/** Polls `check` until it holds; fails with `what` after `timeoutMs`. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
