// An AWS emulator endpoint for integration tests: moto from .venv (started once per test file on a
// free port), or whatever AWS_ENDPOINT_URL points at (LocalStack: http://localhost:4566). The
// client config it returns carries the endpoint, region us-east-1 and dummy credentials, so the
// code under test never depends on the process environment.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import type { AwsClientConfig } from '../../shared/aws/clients.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Emulator {
  endpoint: string;
  /** Pass to every SDK client (or adapter `clientConfig`). */
  clientConfig: Required<Pick<AwsClientConfig, 'endpoint' | 'region' | 'credentials'>>;
  stop(): Promise<void>;
}

export async function startEmulator(): Promise<Emulator> {
  const external = process.env.AWS_ENDPOINT_URL;
  if (external) return emulator(external, async () => {});

  const bin = join(repoRoot, '.venv', 'bin', 'moto_server');
  if (!existsSync(bin)) {
    const setup = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'setup-venv.mjs'), '--quiet'], {
      stdio: 'inherit',
    });
    if (setup.status !== 0 || !existsSync(bin))
      throw new Error(`${bin} is missing and \`npm run setup\` failed`);
  }
  const port = await freePort();
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(endpoint, child, () => stderr);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return emulator(endpoint, () => stopChild(child));
}

/** Starts the emulator before the file's tests and stops it after; read `.current` inside tests. */
export function useEmulator(): { readonly current: Emulator } {
  let current: Emulator | undefined;
  beforeAll(async () => {
    current = await startEmulator();
  });
  afterAll(async () => {
    await current?.stop();
  });
  return {
    get current() {
      if (!current) throw new Error('the emulator is not started yet: use it inside a test or hook');
      return current;
    },
  };
}

/** A name no other test file (or earlier run against a shared emulator) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

function emulator(endpoint: string, stop: () => Promise<void>): Emulator {
  return {
    endpoint,
    clientConfig: {
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    },
    stop,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilAnswering(
  endpoint: string,
  child: ChildProcess,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}: ${stderr()}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`moto_server did not answer on ${endpoint} within 30 s: ${stderr()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
