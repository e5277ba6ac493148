// The relay's admin HTTP interface: liveness, readiness, what it holds, who is connected, and
// Prometheus metrics. Plain node:http; read-only.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenHttp, type RunningHttpServer } from '../common/http-server.ts';
import type { HostPort } from './options.ts';

export interface AdminHandlers {
  ready(): { ready: boolean; reason?: string };
  snapshots(): unknown;
  clients(): unknown;
  metrics(): string;
}

export type RunningAdmin = RunningHttpServer;

export async function startAdminServer(listen: HostPort, handlers: AdminHandlers): Promise<RunningAdmin> {
  const server = createServer((req, res) => route(req, res, handlers));
  return listenHttp(server, listen);
}

interface Reply {
  status: number;
  type: string;
  body: string;
}

function route(req: IncomingMessage, res: ServerResponse, handlers: AdminHandlers): void {
  let reply: Reply;
  try {
    reply = answer(req, handlers);
  } catch (error) {
    reply = text(500, `${(error as Error).message}\n`);
  }
  res.writeHead(reply.status, { 'content-type': reply.type, 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : reply.body);
}

function answer(req: IncomingMessage, handlers: AdminHandlers): Reply {
  if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'GET only\n');
  switch (new URL(req.url ?? '/', 'http://admin').pathname) {
    case '/healthz':
      return text(200, 'ok\n');
    case '/readyz': {
      const { ready, reason } = handlers.ready();
      return ready ? text(200, 'ready\n') : text(503, `not ready: ${reason}\n`);
    }
    case '/debug/snapshots':
      return json(handlers.snapshots());
    case '/debug/clients':
      return json(handlers.clients());
    case '/metrics':
      return { status: 200, type: 'text/plain; version=0.0.4; charset=utf-8', body: handlers.metrics() };
    default:
      return text(404, 'not found; try /healthz /readyz /debug/snapshots /debug/clients /metrics\n');
  }
}

function text(status: number, body: string): Reply {
  return { status, type: 'text/plain; charset=utf-8', body };
}

function json(value: unknown): Reply {
  return { status: 200, type: 'application/json', body: `${JSON.stringify(value, null, 2)}\n` };
}
