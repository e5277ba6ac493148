// The relay's notification endpoint over HTTP, for publishers that cannot reach an SQS queue (a CI
// job, a webhook, `curl`): `POST /notify` with `Authorization: Bearer <token>` makes the source look
// at once. The body is optional: empty or `{}` looks at every gateway (and lists the source again);
// a "Snapshot Published" event, its `detail`, or `{"clusterId", "gateway": {"namespace", "name"}}`
// looks at that gateway. The reply (200, JSON) is the status of the gateways looked at, after the
// look, so a caller can see whether its version loaded. It has its own listener (`--notify-listen`)
// because the admin listener is read-only and usually bound to loopback.
//
//   401 no or wrong token · 405 not POST · 404 another path · 400 bad JSON or fields · 413 > 64 KiB
//
// The token is compared in constant time; the endpoint refuses to start without one of at least
// 16 characters. A notification can only make the relay read sooner: what it serves is still what
// verifies in the source.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../common/log.ts';
import { RelayConfigError } from '../errors.ts';
import { formatHostPort, type HostPort } from '../options.ts';
import { type NotificationReceiver, type NotificationTarget, parseNotification } from './notifications.ts';

export const NOTIFY_PATH = '/notify';
export const NOTIFY_TOKEN_ENV = 'FLEETPLANE_NOTIFY_TOKEN';
const MAX_BODY_BYTES = 64 * 1024;
const MIN_TOKEN_LENGTH = 16;

export interface HttpNotificationOptions {
  listen: HostPort;
  token: string;
  log: Logger;
}

export class HttpNotificationReceiver implements NotificationReceiver {
  readonly via = 'http';
  readonly #options: HttpNotificationOptions;
  readonly #tokenHash: Buffer;
  #server: Server | undefined;
  #address: HostPort | undefined;

  constructor(options: HttpNotificationOptions) {
    checkToken(options.token, 'notification token');
    this.#options = options;
    this.#tokenHash = hash(options.token);
  }

  get description(): string {
    return `http://${formatHostPort(this.#address ?? this.#options.listen)}${NOTIFY_PATH}`;
  }

  /** The bound address (the kernel's port when 0 was asked for); set once started. */
  get address(): HostPort | undefined {
    return this.#address;
  }

  async start(target: NotificationTarget): Promise<void> {
    const server = createServer((req, res) => {
      this.#handle(req, res, target).catch((error) => {
        this.#options.log.error('notification endpoint failed', { error: (error as Error).message });
        if (!res.headersSent) reply(res, 500, { error: 'internal error' });
      });
    });
    const { host, port } = this.#options.listen;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) =>
        reject(
          new RelayConfigError(
            `--notify-listen ${formatHostPort(this.#options.listen)}: ${(error as Error).message}`,
            { cause: error },
          ),
        ),
      );
      server.listen(port, host, () => resolve());
    });
    this.#server = server;
    this.#address = { host, port: (server.address() as AddressInfo).port };
    this.#options.log.info('listening for snapshot notifications', { endpoint: this.description });
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse, target: NotificationTarget): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://relay').pathname;
    if (path !== NOTIFY_PATH) return reply(res, 404, { error: `not found; POST ${NOTIFY_PATH}` });
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return reply(res, 405, { error: `${req.method} not allowed; POST ${NOTIFY_PATH}` });
    }
    if (!this.#authorized(req.headers.authorization)) {
      res.setHeader('www-authenticate', 'Bearer realm="fleetplane-relay"');
      target.notificationIgnored(this.via, 'unauthorized request');
      return reply(res, 401, { error: 'missing or wrong bearer token' });
    }
    const body = await readBody(req);
    if (body === 'too-large') {
      target.notificationIgnored(this.via, 'body too large');
      return reply(res, 413, { error: `body larger than ${MAX_BODY_BYTES} bytes` });
    }
    let value: unknown;
    if (body.trim() !== '') {
      try {
        value = JSON.parse(body);
      } catch (error) {
        target.notificationIgnored(this.via, 'body is not JSON');
        return reply(res, 400, { error: `body: not JSON (${(error as Error).message})` });
      }
    }
    const parsed = parseNotification(value);
    if (!parsed.valid) {
      target.notificationIgnored(this.via, parsed.error);
      return reply(res, 400, { error: parsed.error });
    }
    const gateways = await target.notify(this.via, parsed.target);
    reply(res, 200, { gateways });
  }

  #authorized(header: string | undefined): boolean {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match?.[1]) return false;
    return timingSafeEqual(hash(match[1]), this.#tokenHash);
  }
}

/**
 * The notification token: the trimmed content of `file` when given, else the FLEETPLANE_NOTIFY_TOKEN
 * environment variable; at least 16 characters. Errors name the flag and say how to fix it.
 */
export function readNotifyToken(file: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  let token: string | undefined;
  let from: string;
  if (file !== undefined) {
    from = `--notify-token-file ${file}`;
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new RelayConfigError(`${from}: cannot read it (${(error as Error).message})`, { cause: error });
    }
  } else {
    from = NOTIFY_TOKEN_ENV;
    token = env[NOTIFY_TOKEN_ENV]?.trim();
    if (!token)
      throw new RelayConfigError(
        `--notify-listen needs a bearer token: pass --notify-token-file <file> or set ${NOTIFY_TOKEN_ENV}`,
      );
  }
  checkToken(token, from);
  return token;
}

function checkToken(token: string, from: string): void {
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token))
    throw new RelayConfigError(
      `${from}: the token must be at least ${MIN_TOKEN_LENGTH} characters without spaces, ` +
        'e.g. the output of `openssl rand -hex 32`',
    );
}

function hash(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function readBody(req: IncomingMessage): Promise<string | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body)}\n`);
}
