// `fleetplane dev` as users run it: spawned as a process on a copy of examples/, on its own moto.
// Adding and deleting an HTTPRoute file each print a higher snapshot version; SIGTERM stops the
// process cleanly and takes moto down with it. AWS_ENDPOINT_URL is cleared for the child, because
// what is checked here includes the lifecycle of the moto it starts itself.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../shared/aws/clients.ts';
import { repoRoot } from '../support/envoy.ts';

const SNAPSHOT_LINE =
  /^snapshot infra\/edge version (\d+) s3:\/\/(\S+)\/(clusters\/local\/gateways\/infra\/edge\/versions\/(\d{10})\/manifest\.json)$/;

const ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: e2e-added
  namespace: shop
spec:
  parentRefs:
    - name: edge
      namespace: infra
  hostnames: ["e2e-added.example.com"]
  rules:
    - backendRefs:
        - name: api
          port: 8080
`;

class Output {
  lines: string[] = [];
  #waiters: Array<() => void> = [];

  constructor(stream: NodeJS.ReadableStream) {
    let buffer = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffer += chunk;
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      this.lines.push(...parts);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** The first line from index `from` on that matches (and passes `accept`), waiting up to `timeoutMs`. */
  async waitFor(
    pattern: RegExp,
    from: number,
    timeoutMs: number,
    what: string,
    accept: (match: RegExpMatchArray) => Promise<boolean> | boolean = () => true,
  ): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    const checked = new Set<number>();
    for (;;) {
      for (let i = from; i < this.lines.length; i++) {
        if (checked.has(i)) continue;
        checked.add(i);
        const match = this.lines[i]?.match(pattern);
        if (match && (await accept(match))) return match;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms; output:\n${this.lines.join('\n')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** The RDS DiscoveryResponse (JSON) next to the manifest a snapshot line names. */
async function rdsOf(s3: S3Client, match: RegExpMatchArray): Promise<string> {
  const [, , bucket, manifestKey] = match;
  const res = await s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: manifestKey?.replace(/manifest\.json$/, 'rds.json') }),
  );
  return (await res.Body?.transformToString()) ?? '';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('fleetplane dev', () => {
  it('prints a version per change to the watched directory, and stops cleanly on SIGTERM', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'fleetplane-dev-'));
    cpSync(join(repoRoot, 'examples'), dir, { recursive: true });
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'bin', 'fleetplane.mjs'), 'dev', '--manifests', dir, '--log-level', 'error'],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AWS_ENDPOINT_URL: '' } },
    );
    children.push(child);
    const stdout = new Output(child.stdout as NodeJS.ReadableStream);
    const stderr = new Output(child.stderr as NodeJS.ReadableStream);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    // Act + Assess: the first version of the examples.
    const first = await stdout.waitFor(SNAPSHOT_LINE, 0, 120_000, 'version 1 line');
    expect(first[1]).toBe('1');
    expect(first[4]).toBe('0000000001');
    const moto = await stderr.waitFor(/moto on (\S+) \(pid (\d+)\)/, 0, 5_000, 'moto pid');
    const motoPid = Number(moto[2]);
    expect(alive(motoPid)).toBe(true);
    const s3 = createS3Client({
      endpoint: moto[1],
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    expect(await rdsOf(s3, first)).toContain('shop.example.com');

    // An added HTTPRoute file gives a higher version that routes its hostname.
    const file = join(dir, '50-e2e-added.yaml');
    let mark = stdout.lines.length;
    writeFileSync(file, ROUTE);
    const added = await stdout.waitFor(
      SNAPSHOT_LINE,
      mark,
      60_000,
      'a version with the added route',
      async (m) => (await rdsOf(s3, m)).includes('e2e-added.example.com'),
    );
    expect(Number(added[1])).toBeGreaterThan(1);

    // Deleting it gives a higher version again, without it.
    mark = stdout.lines.length;
    rmSync(file);
    const removed = await stdout.waitFor(
      SNAPSHOT_LINE,
      mark,
      60_000,
      'a version without the route',
      async (m) => !(await rdsOf(s3, m)).includes('e2e-added.example.com'),
    );
    expect(Number(removed[1])).toBeGreaterThan(Number(added[1]));
    s3.destroy();

    // SIGTERM: exit 0, and moto is gone.
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(alive(motoPid)).toBe(false);
  }, 240_000);

  it('refuses a --manifests that is not a directory, naming the flag', async () => {
    // Act
    const res = spawnSync(
      process.execPath,
      [join(repoRoot, 'bin', 'fleetplane.mjs'), 'dev', '--manifests', join(repoRoot, 'README.md')],
      { cwd: repoRoot, encoding: 'utf8' },
    );

    // Assess
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('--manifests must be a directory of manifests');
    expect(res.stderr).toContain('README.md');
    expect(res.stdout).toBe('');
  });
});
