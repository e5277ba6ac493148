// Beyond `--mode validate`: a real Envoy runs the upstream filter chains against a local HTTP server
// standing in for Lambda and an LLM provider, and the test looks at what arrives upstream. This pins
// the behaviour the builders rely on: credential_injector reads the key from a path-mode SDS file and
// overwrites the client's header; aws_lambda rewrites the request into an Invoke call; and
// aws_request_signing, running after it, signs with the credentials file of the Secret.

import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { awsCredentialsFile } from '../../../../shared/xds/clusters/aws-signing.ts';
import { buildBackendCluster } from '../../../../shared/xds/clusters/index.ts';
import type { BuiltCluster } from '../../../../shared/xds/types.ts';
import { freePort, type RunningEnvoy, startEnvoy } from '../../../support/envoy.ts';
import { bootstrapFor, sdsPathMode, writeSdsFiles } from './envoy-harness.ts';
import { kgwBackendId, lambdaBackend, openai, secretRef } from './fixtures.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A local upstream that records each request and answers with `reply`. */
async function upstream(reply: string): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end(reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, seen };
}

async function run(built: BuiltCluster): Promise<{ listenerPort: number; envoy: RunningEnvoy }> {
  const listenerPort = await freePort();
  const bootstrap = bootstrapFor([built], listenerPort);
  await writeSdsFiles(bootstrap);
  const envoy = await startEnvoy(bootstrap);
  cleanups.push(envoy.stop);
  return { listenerPort, envoy };
}

describe('upstream filter chains at runtime', () => {
  it('AI backend: the API key comes from SDS, replaces the client header, and host and path are rewritten', async () => {
    // Prepare
    const provider = await upstream('{"ok":true}');
    const ctx = { sds: await sdsPathMode() };
    const backend = {
      type: 'ai' as const,
      priorities: [[openai({ host: '127.0.0.1', port: provider.port })]],
    };
    const { listenerPort, envoy } = await run(buildBackendCluster(kgwBackendId('llm'), backend, ctx));

    // Act
    const res = await fetch(`http://127.0.0.1:${listenerPort}/0/anything`, {
      method: 'POST',
      headers: { authorization: 'Bearer client-chosen', 'content-type': 'application/json' },
      body: '{"model":"gpt-4o-mini"}',
    });

    // Assess
    expect(res.status, envoy.logs()).toBe(200);
    expect(provider.seen).toHaveLength(1);
    expect(provider.seen[0]).toMatchObject({
      url: '/v1/chat/completions',
      headers: { authorization: 'Bearer test-only-not-a-key', host: '127.0.0.1' },
    });
  });

  it('Lambda backend: aws_lambda turns the request into an Invoke call signed with the Secret`s keys', async () => {
    // Prepare
    const lambda = await upstream('{"statusCode":201,"headers":{"x-from":"lambda"},"body":"created"}');
    const ctx = { sds: await sdsPathMode() };
    const ref = secretRef('aws-creds');
    await writeFile(
      awsCredentialsFile(ref, ctx.sds).path,
      '[default]\naws_access_key_id = AKIDFLEETPLANETEST\naws_secret_access_key = not-a-real-secret\n',
    );
    const backend = lambdaBackend({
      endpoint: { host: '127.0.0.1', port: lambda.port, tls: false },
      auth: { mode: 'secret', secretRef: ref },
    });
    const { listenerPort, envoy } = await run(buildBackendCluster(kgwBackendId('lambda'), backend, ctx));

    // Act
    const res = await fetch(`http://127.0.0.1:${listenerPort}/0/orders?id=7`, { method: 'GET' });

    // Assess
    expect(res.status, envoy.logs()).toBe(201);
    expect(await res.text()).toBe('created');
    expect(res.headers.get('x-from')).toBe('lambda');
    const [call] = lambda.seen;
    expect(call?.method).toBe('POST');
    // Envoy 1.40 names the function by its full ARN (qualifier included), which Invoke accepts.
    expect(call?.url).toBe(
      '/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders:live/invocations',
    );
    expect(call?.headers['x-amz-invocation-type']).toBe('RequestResponse');
    expect(call?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDFLEETPLANETEST\/\d{8}\/eu-west-1\/lambda\/aws4_request/,
    );
    expect(JSON.parse(call?.body ?? '{}')).toMatchObject({ raw_path: '/0/orders?id=7', method: 'GET' });
  });
});
