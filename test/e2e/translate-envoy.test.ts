// End to end: manifests → `fleetplane translate --to bootstrap` → a real Envoy → real HTTP requests
// to loopback backends (Services whose EndpointSlices point at 127.0.0.1 ports).

import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runTranslate } from '../../cli/translate.ts';
import { freePort, type RunningEnvoy, startEnvoy } from '../support/envoy.ts';

interface Echo {
  backend: string;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

const HOST = 'e2e.example.com';
const servers: Server[] = [];
let envoy: RunningEnvoy | undefined;
let listenerPort = 0;

async function startBackend(name: string): Promise<number> {
  const server = createServer((req, res) => {
    const body: Echo = { backend: name, method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  return address.port;
}

function service(name: string, port: number) {
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'e2e' },
      spec: { ports: [{ name: 'http', port: 80 }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-1`, namespace: 'e2e', labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port }],
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
    },
  ];
}

const ref = (name: string, weight?: number) => ({
  name,
  port: 80,
  ...(weight === undefined ? {} : { weight }),
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** node:http, because fetch() silently drops a `host` header and virtual hosts match on it. */
function get(
  path: string,
  init: { method?: string; headers?: Record<string, string>; host?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: listenerPort,
        path,
        method: init.method ?? 'GET',
        headers: { host: init.host ?? HOST, ...init.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function echo(
  path: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<Echo> {
  const res = await get(path, init);
  expect(res.status, `${path}: ${res.body}`).toBe(200);
  return JSON.parse(res.body) as Echo;
}

beforeAll(async () => {
  // Prepare: three loopback backends, manifests pointing at them, a bootstrap, a running Envoy.
  const [a, b, c] = [await startBackend('a'), await startBackend('b'), await startBackend('c')];
  listenerPort = await freePort();
  const manifests = [
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: 'fp' },
      spec: { controllerName: 'fleetplane.dev/gateway-controller' },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: 'e2e' },
      spec: { gatewayClassName: 'fp', listeners: [{ name: 'http', protocol: 'HTTP', port: listenerPort }] },
    },
    ...service('svc-a', a),
    ...service('svc-b', b),
    ...service('svc-c', c),
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'routes', namespace: 'e2e' },
      spec: {
        parentRefs: [{ name: 'gw' }],
        hostnames: [HOST],
        rules: [
          { matches: [{ path: { type: 'Exact', value: '/exact' } }], backendRefs: [ref('svc-a')] },
          { matches: [{ path: { type: 'PathPrefix', value: '/prefix' } }], backendRefs: [ref('svc-b')] },
          { matches: [{ path: { type: 'PathPrefix', value: '/hdr' } }], backendRefs: [ref('svc-a')] },
          {
            matches: [
              { path: { type: 'PathPrefix', value: '/hdr' }, headers: [{ name: 'x-env', value: 'canary' }] },
            ],
            backendRefs: [ref('svc-c')],
          },
          {
            matches: [
              { path: { type: 'PathPrefix', value: '/query' }, queryParams: [{ name: 'flag', value: 'on' }] },
            ],
            backendRefs: [ref('svc-c')],
          },
          { matches: [{ path: { type: 'PathPrefix', value: '/query' } }], backendRefs: [ref('svc-a')] },
          {
            matches: [{ path: { type: 'PathPrefix', value: '/method' }, method: 'POST' }],
            backendRefs: [ref('svc-b')],
          },
          { matches: [{ path: { type: 'PathPrefix', value: '/method' } }], backendRefs: [ref('svc-a')] },
          {
            matches: [{ path: { type: 'PathPrefix', value: '/split' } }],
            backendRefs: [ref('svc-a', 50), ref('svc-b', 50)],
          },
          {
            matches: [{ path: { type: 'PathPrefix', value: '/headers' } }],
            filters: [
              {
                type: 'RequestHeaderModifier',
                requestHeaderModifier: { set: [{ name: 'x-added', value: 'yes' }], remove: ['x-remove-me'] },
              },
              {
                type: 'ResponseHeaderModifier',
                responseHeaderModifier: { add: [{ name: 'x-resp', value: 'r' }] },
              },
            ],
            backendRefs: [ref('svc-a')],
          },
          {
            matches: [{ path: { type: 'PathPrefix', value: '/redirect' } }],
            filters: [
              { type: 'RequestRedirect', requestRedirect: { hostname: 'example.org', statusCode: 301 } },
            ],
          },
          {
            matches: [{ path: { type: 'PathPrefix', value: '/rewrite' } }],
            filters: [
              {
                type: 'URLRewrite',
                urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/rewritten' } },
              },
            ],
            backendRefs: [ref('svc-b')],
          },
        ],
      },
    },
  ];
  const dir = await mkdtemp(join(tmpdir(), 'fleetplane-e2e-'));
  const input = join(dir, 'input.yaml');
  await writeFile(input, manifests.map((m) => stringify(m)).join('---\n'));
  const out = join(dir, 'bootstraps');
  const lines: string[] = [];
  const code = await runTranslate(
    {
      file: [input],
      to: 'bootstrap',
      out,
      clusterId: 'e2e',
      namespace: 'default',
      controllerName: 'fleetplane.dev/gateway-controller',
      secretsDir: dir,
    },
    { stdout: { write: (s: string) => lines.push(s) }, stderr: { write: (s: string) => lines.push(s) } },
  );
  expect(code, lines.join('')).toBe(0);
  const bootstrap = parse(await readFile(join(out, 'e2e.gw.yaml'), 'utf8')) as Record<string, unknown>;
  envoy = await startEnvoy(bootstrap);
  // The listener may take a moment after /ready; wait until it answers.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      await get('/exact');
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}, 60_000);

afterAll(async () => {
  await envoy?.stop();
  for (const s of servers) s.close();
});

describe('Envoy serving a translated bootstrap', () => {
  it('routes exact and prefix path matches', async () => {
    expect((await echo('/exact')).backend).toBe('a');
    expect((await get('/exact/more')).status).toBe(404);
    expect((await echo('/prefix/x')).backend).toBe('b');
    // Gateway API prefixes match whole path segments.
    expect((await get('/prefixed')).status).toBe(404);
  });

  it('routes on headers, query parameters and method', async () => {
    expect((await echo('/hdr', { headers: { 'x-env': 'canary' } })).backend).toBe('c');
    expect((await echo('/hdr')).backend).toBe('a');
    expect((await echo('/query?flag=on')).backend).toBe('c');
    expect((await echo('/query?flag=off')).backend).toBe('a');
    expect((await echo('/method', { method: 'POST' })).backend).toBe('b');
    expect((await echo('/method')).backend).toBe('a');
  });

  it('splits traffic by weight', async () => {
    const seen = { a: 0, b: 0 } as Record<string, number>;
    for (let i = 0; i < 60; i++) {
      const { backend } = await echo('/split');
      seen[backend] = (seen[backend] ?? 0) + 1;
    }
    expect(seen.a).toBeGreaterThan(5);
    expect(seen.b).toBeGreaterThan(5);
  });

  it('modifies request and response headers', async () => {
    const res = await get('/headers', { headers: { 'x-remove-me': 'please' } });
    const body = JSON.parse(res.body) as Echo;
    expect(body.headers['x-added']).toBe('yes');
    expect(body.headers['x-remove-me']).toBeUndefined();
    expect(res.headers['x-resp']).toBe('r');
  });

  it('redirects', async () => {
    const res = await get('/redirect/path');
    expect(res.status).toBe(301);
    // Gateway API: without a scheme the listener's port is kept (it is not 80 here).
    expect(res.headers.location).toBe(`http://example.org:${listenerPort}/redirect/path`);
  });

  it('rewrites the path prefix', async () => {
    expect((await echo('/rewrite/foo')).url).toBe('/rewritten/foo');
  });

  it('answers 404 for another host', async () => {
    const res = await fetch(`http://127.0.0.1:${listenerPort}/exact`, {
      headers: { host: 'other.example.com' },
    });
    expect(res.status).toBe(404);
  });
});
