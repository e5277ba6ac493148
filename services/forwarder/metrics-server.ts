// The forwarder's HTTP endpoint (--metrics-addr): Prometheus metrics, liveness and readiness.

import { createServer } from 'node:http';
import { listenHttp, type RunningHttpServer } from '../common/http-server.ts';
import type { HostPort } from '../relay/options.ts';

export interface MetricsServerHandlers {
  metrics(): string;
  ready(): { ready: boolean; reason?: string };
}

export type RunningMetricsServer = RunningHttpServer;

export async function startMetricsServer(
  listen: HostPort,
  handlers: MetricsServerHandlers,
): Promise<RunningMetricsServer> {
  const server = createServer((req, res) => {
    const reply = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const text = 'text/plain; charset=utf-8';
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, text, 'GET only\n');
    switch (new URL(req.url ?? '/', 'http://forwarder').pathname) {
      case '/metrics':
        return reply(200, 'text/plain; version=0.0.4; charset=utf-8', handlers.metrics());
      case '/healthz':
        return reply(200, text, 'ok\n');
      case '/readyz': {
        const { ready, reason } = handlers.ready();
        return ready ? reply(200, text, 'ready\n') : reply(503, text, `not ready: ${reason}\n`);
      }
      default:
        return reply(404, text, 'not found; try /metrics /healthz /readyz\n');
    }
  });
  return listenHttp(server, listen);
}
