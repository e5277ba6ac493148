// buildSnapshots output checked by a real Envoy: `--mode validate` on a snapshot that uses every
// route feature, and one request through a running Envoy to a Node backend.

import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyIrItem, GatewayListenerIR, HTTPRouteFilterIR } from '../../../shared/ir/types.ts';
import { staticBootstrap } from '../../../shared/xds/bootstrap.ts';
import { buildSnapshots } from '../../../shared/xds/build-snapshots.ts';
import { sdsFileName, sdsSecretName } from '../../../shared/xds/names.ts';
import { type GatewaySnapshot, type SnapshotOptions, TypeUrl } from '../../../shared/xds/types.ts';
import { freePort, type RunningEnvoy, startEnvoy, validateEnvoyConfig } from '../../support/envoy.ts';
import {
  CONTROLLER,
  endpointSlice,
  gateway,
  gatewayClass,
  httpListener,
  httpRoute,
  item,
  rule,
  service,
  serviceRef,
} from './ir-builders.ts';

function bootstrapOf(snapshot: GatewaySnapshot | undefined) {
  if (snapshot === undefined) throw new Error('no snapshot');
  return staticBootstrap(snapshot, {
    nodeCluster: `test/${snapshot.gateway.namespace}/${snapshot.gateway.name}`,
    nodeId: 'build-snapshots-test',
    adminPort: 0,
  });
}

const KGATEWAY = 'gateway.kgateway.dev';
const kgatewayBackend = (name: string) => ({ group: KGATEWAY, kind: 'Backend', namespace: 'default', name });

const prefix = (value: string) => ({
  path: { type: 'PathPrefix' as const, value },
  headers: [],
  queryParams: [],
});

describe('Envoy accepts what buildSnapshots emits', () => {
  it('validates a Gateway with HTTP and HTTPS listeners and every route feature', async () => {
    // Prepare
    const sdsDir = await mkdtemp(join(tmpdir(), 'fleetplane-sds-'));
    const cert = { kind: 'Secret' as const, namespace: 'default', name: 'secure-cert' };
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=secure.example.com',
      ].concat(['-keyout', join(sdsDir, 'tls.key'), '-out', join(sdsDir, 'tls.crt')]),
      { stdio: 'ignore' },
    );
    await writeFile(
      join(sdsDir, sdsFileName(cert)),
      JSON.stringify({
        resources: [
          {
            '@type': TypeUrl.Secret,
            name: sdsSecretName(cert),
            tls_certificate: {
              certificate_chain: { filename: join(sdsDir, 'tls.crt') },
              private_key: { filename: join(sdsDir, 'tls.key') },
            },
          },
        ],
      }),
    );
    const https: GatewayListenerIR = {
      ...httpListener('https', 10443, 'secure.example.com'),
      protocol: 'HTTPS',
      tls: { mode: 'Terminate', certificateRefs: [cert] },
    };
    const headers: HTTPRouteFilterIR = {
      type: 'RequestHeaderModifier',
      requestHeaderModifier: {
        set: [{ name: 'x-set', value: '1' }],
        add: [{ name: 'x-add', value: '2' }],
        remove: ['x-drop'],
      },
    };
    const mirrorRef = serviceRef('shadow', 8080);
    const items: AnyIrItem[] = [
      gatewayClass(),
      gateway('gw', [httpListener('http', 10080), httpListener('api', 10080, 'api.example.com'), https]),
      service('echo', [8080]),
      endpointSlice('echo', 9000, ['127.0.0.1']),
      service('shadow', [8080]),
      endpointSlice('shadow', 9001, ['127.0.0.2']),
      httpRoute('features', {
        rules: [
          rule([serviceRef('echo', 8080, { weight: 3 }), serviceRef('missing', 8080)], {
            matches: [
              {
                path: { type: 'Exact', value: '/split' },
                method: 'GET',
                headers: [{ type: 'RegularExpression', name: 'x-version', value: 'v[0-9]+' }],
                queryParams: [{ type: 'Exact', name: 'debug', value: 'true' }],
              },
            ],
            filters: [headers],
            timeouts: { request: '30s', backendRequest: '1500ms' },
          }),
          rule([serviceRef('echo', 8080)], {
            matches: [prefix('/rewrite')],
            filters: [
              {
                type: 'URLRewrite',
                urlRewrite: {
                  hostname: 'internal',
                  path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' },
                },
              },
              { type: 'RequestMirror', requestMirror: { backendRef: mirrorRef, percent: 10 } },
              {
                type: 'ResponseHeaderModifier',
                responseHeaderModifier: {
                  set: [],
                  add: [{ name: 'x-served-by', value: 'fleetplane' }],
                  remove: [],
                },
              },
            ],
          }),
          rule([], {
            matches: [prefix('/old')],
            filters: [
              {
                type: 'RequestRedirect',
                requestRedirect: {
                  scheme: 'https',
                  statusCode: 301,
                  path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '' },
                },
              },
            ],
          }),
          rule([serviceRef('missing', 8080)], {
            matches: [{ ...prefix('/'), path: { type: 'RegularExpression', value: '/broken/.*' } }],
          }),
        ],
      }),
      httpRoute('api', {
        hostnames: ['api.example.com', '*.example.com'],
        rules: [rule([serviceRef('echo', 8080)])],
      }),
      item(
        'Backend',
        'httpbin',
        {
          type: 'static',
          endpoints: [{ address: { kind: 'fqdn', hostname: 'httpbin.org', port: 80 }, priority: 0 }],
        },
        { group: KGATEWAY },
      ),
      item('Backend', 'dfp', { type: 'dynamicForwardProxy', enableTls: false }, { group: KGATEWAY }),
      item(
        'Backend',
        'fn',
        {
          type: 'lambda',
          arn: 'arn:aws:lambda:us-east-1:123456789012:function:hello',
          functionName: 'hello',
          qualifier: '$LATEST',
          region: 'us-east-1',
          accountId: '123456789012',
          invocationMode: 'Sync',
          payloadTransformMode: 'Envelope',
          endpoint: { host: 'lambda.us-east-1.amazonaws.com', port: 443, tls: true },
          auth: { mode: 'defaultChain' },
        },
        { group: KGATEWAY },
      ),
      httpRoute('mixed', {
        hostnames: ['mixed.example.com'],
        rules: [
          rule([
            { ref: kgatewayBackend('httpbin'), weight: 2, filters: [headers] },
            { ref: kgatewayBackend('fn'), weight: 1, filters: [] },
            { ref: kgatewayBackend('dfp'), weight: 1, filters: [] },
          ]),
        ],
      }),
    ];
    const options: SnapshotOptions = { controllerName: CONTROLLER, sds: { type: 'path', dir: sdsDir } };

    // Act
    const result = buildSnapshots(items, options);
    const run = await validateEnvoyConfig(bootstrapOf(result.snapshots[0]), 'envoy.json');

    // Assess
    expect(result.snapshots[0]?.resources.routes.map((r) => r.name)).toEqual([
      'route_10080',
      'route_10443_https',
    ]);
    const http = JSON.stringify(result.snapshots[0]?.resources.routes[0]);
    expect(http).toContain('"host_rewrite_literal":"lambda.us-east-1.amazonaws.com"');
    expect(http).toContain('"cluster_not_found_response_code":"INTERNAL_SERVER_ERROR"');
    expect(JSON.stringify(result.snapshots[0]?.resources.listeners)).toContain(
      'envoy.filters.http.dynamic_forward_proxy',
    );
    expect(run.output).not.toMatch(/error|exception/i);
    expect(run.ok).toBe(true);
  });
});

describe('a request through Envoy', () => {
  let envoy: RunningEnvoy | undefined;
  let backend: Server | undefined;

  afterEach(async () => {
    await envoy?.stop();
    await new Promise<void>((resolve) => (backend ? backend.close(() => resolve()) : resolve()));
  });

  it('reaches a Node backend behind a Service and answers 500 for missing backends', async () => {
    // Prepare
    let seen: IncomingHttpHeaders | undefined;
    let seenPath: string | undefined;
    backend = createServer((req, res) => {
      seen = req.headers;
      seenPath = req.url;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('hello from node');
    });
    await new Promise<void>((resolve) => backend?.listen(0, '127.0.0.1', () => resolve()));
    const backendPort = (backend.address() as AddressInfo).port;
    const listenerPort = await freePort();
    const items: AnyIrItem[] = [
      gatewayClass(),
      gateway('gw', [httpListener('http', listenerPort)]),
      service('echo', [8080]),
      endpointSlice('echo', backendPort, ['127.0.0.1']),
      httpRoute('echo', {
        rules: [
          rule([serviceRef('echo', 8080)], {
            matches: [prefix('/app')],
            filters: [
              {
                type: 'RequestHeaderModifier',
                requestHeaderModifier: {
                  set: [{ name: 'x-gateway', value: 'fleetplane' }],
                  add: [],
                  remove: [],
                },
              },
              {
                type: 'URLRewrite',
                urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } },
              },
            ],
          }),
          rule([serviceRef('missing', 8080)], { matches: [prefix('/missing')] }),
          // A one-in-a-million share to the real backend: the unresolved share must answer 500.
          rule([serviceRef('echo', 8080, { weight: 1 }), serviceRef('missing', 8080, { weight: 999_999 })], {
            matches: [prefix('/split')],
          }),
        ],
      }),
    ];
    const result = buildSnapshots(items, { controllerName: CONTROLLER, sds: { type: 'ads' } });
    envoy = await startEnvoy(bootstrapOf(result.snapshots[0]));

    // Act
    const ok = await fetch(`http://127.0.0.1:${listenerPort}/app/hello?x=1`);
    const okBody = await ok.text();
    const missing = await fetch(`http://127.0.0.1:${listenerPort}/missing`);
    const unmatched = await fetch(`http://127.0.0.1:${listenerPort}/elsewhere`);
    const split = await fetch(`http://127.0.0.1:${listenerPort}/split`);

    // Assess
    expect(ok.status).toBe(200);
    expect(okBody).toBe('hello from node');
    expect(seen?.['x-gateway']).toBe('fleetplane');
    expect(seenPath).toBe('/hello?x=1');
    expect(missing.status).toBe(500);
    expect(unmatched.status).toBe(404);
    expect(split.status).toBe(500);
  });
});
