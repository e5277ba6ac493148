// Helpers for the relay's end-to-end tests: loopback HTTP backends, Gateway API manifests that
// route to them, `translate --to snapshot` into a directory, a relay on free ports, and polling.

import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runTranslate, translateFiles } from '../../../cli/translate.ts';
import { silentLogger } from '../../../services/common/log.ts';
import { type RelayOptions, type RunningRelay, startRelay } from '../../../services/relay/relay.ts';
import { RelayMetrics } from '../../../services/relay/relay-metrics.ts';
import { DirectorySnapshotSource } from '../../../services/relay/source/directory-source.ts';
import { FsSnapshotStore } from '../../../shared/fs/fs-snapshot-store.ts';
import { type PublishResult, publishSnapshot } from '../../../shared/snapshot/publish.ts';
import type { XdsResources } from '../../../shared/xds/types.ts';

export const CLUSTER_ID = 'e2e';
export const GATEWAY = { namespace: 'e2e', name: 'gw' };
export const NODE_CLUSTER = `${CLUSTER_ID}/${GATEWAY.namespace}/${GATEWAY.name}`;
export const HOST = 'relay.e2e.example.com';
const CONTROLLER = 'fleetplane.dev/gateway-controller';

export interface Backend {
  name: string;
  port: number;
  server: Server;
}

/** An HTTP server on 127.0.0.1 that answers with its own name. */
export async function startBackend(name: string): Promise<Backend> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ backend: name, url: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('backend has no address');
  return { name, port: address.port, server };
}

/** A Gateway on `listenerPort` and one HTTPRoute sending `/app` to `routeTo`. */
export function manifests(listenerPort: number, backends: Backend[], routeTo: string): object[] {
  const service = (b: Backend) => [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: b.name, namespace: GATEWAY.namespace },
      spec: { ports: [{ name: 'http', port: 80 }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${b.name}-1`,
        namespace: GATEWAY.namespace,
        labels: { 'kubernetes.io/service-name': b.name },
      },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: b.port }],
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
    },
  ];
  return [
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: 'fp' },
      spec: { controllerName: CONTROLLER },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: GATEWAY,
      spec: { gatewayClassName: 'fp', listeners: [{ name: 'http', protocol: 'HTTP', port: listenerPort }] },
    },
    ...backends.flatMap(service),
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'app', namespace: GATEWAY.namespace },
      spec: {
        parentRefs: [{ name: GATEWAY.name }],
        hostnames: [HOST],
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: '/app' } }],
            backendRefs: [{ name: routeTo, port: 80 }],
          },
        ],
      },
    },
  ];
}

async function writeManifests(objects: object[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetplane-relay-e2e-in-'));
  const file = join(dir, 'input.yaml');
  await writeFile(file, objects.map((o) => stringify(o)).join('---\n'));
  return file;
}

/** `fleetplane translate --to snapshot --out <dir>` on the manifests, in process. */
export async function translateToSnapshot(objects: object[], out: string): Promise<string> {
  const file = await writeManifests(objects);
  const lines: string[] = [];
  const io = {
    stdout: { write: (s: string) => lines.push(s) },
    stderr: { write: (s: string) => lines.push(s) },
  };
  const code = await runTranslate(
    {
      file: [file],
      to: 'snapshot',
      out,
      clusterId: CLUSTER_ID,
      namespace: 'default',
      controllerName: CONTROLLER,
      secretsDir: out,
    },
    io,
  );
  if (code !== 0) throw new Error(`translate failed (${code}):\n${lines.join('')}`);
  return lines.join('');
}

/** The xDS resources translate builds for the manifests (to derive a broken variant). */
export async function translateToResources(objects: object[]): Promise<XdsResources> {
  const file = await writeManifests(objects);
  const outcome = await translateFiles([file], {
    namespace: 'default',
    controllerName: CONTROLLER,
    sds: { type: 'ads' },
  });
  const snapshot = outcome.build.snapshots.find(
    (s) => s.gateway.namespace === GATEWAY.namespace && s.gateway.name === GATEWAY.name,
  );
  if (!snapshot) throw new Error('translate built no snapshot for the gateway');
  return snapshot.resources;
}

export function publishResources(out: string, resources: XdsResources): Promise<PublishResult> {
  return publishSnapshot(new FsSnapshotStore(out), { clusterId: CLUSTER_ID, gateway: GATEWAY }, resources);
}

export function startDirectoryRelay(
  root: string,
  ports: { ads: number; admin: number },
  extra: Partial<RelayOptions> = {},
): Promise<RunningRelay> {
  const log = extra.log ?? silentLogger;
  const metrics = extra.metrics ?? new RelayMetrics();
  const source = new DirectorySnapshotSource({ root, pollIntervalMs: 200, log, metrics });
  return startRelay({
    source,
    listen: { host: '127.0.0.1', port: ports.ads },
    admin: { host: '127.0.0.1', port: ports.admin },
    log,
    metrics,
    ...extra,
  });
}

/** Retries `probe` until it returns without throwing, or throws its last error after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T>, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}

/**
 * GET through Envoy with a Host header. (fetch cannot do this: undici drops a `host` header and
 * sends the URL's authority.)
 */
export function getVia(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, timeout: 2_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}
