// The AWS emulator the local runtime and the integration tests run against: moto from .venv on a
// free loopback port (set up with `npm run setup` when missing), or whatever endpoint is given
// (LocalStack: http://localhost:4566). The client config it returns carries the endpoint, a region
// and dummy credentials, which are for the emulator only: nothing is put in the environment.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AwsClientConfig } from '../../shared/aws/clients.ts';
import { FleetplaneError } from '../../shared/errors.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const EMULATOR_REGION = 'us-east-1';

export interface Emulator {
  endpoint: string;
  /** Pass to every SDK client (or adapter `clientConfig`). */
  clientConfig: Required<Pick<AwsClientConfig, 'endpoint' | 'region' | 'credentials'>>;
  /** Set when this process started moto; undefined for an endpoint given from outside. */
  pid?: number;
  stop(): Promise<void>;
}

export interface StartEmulatorOptions {
  /** Use this endpoint instead of starting moto. Default: AWS_ENDPOINT_URL, if set. */
  endpoint?: string;
  /** Where `npm run setup` writes its output when .venv is missing. Default: inherit stderr. */
  setupOutput?: 'inherit' | 'ignore';
  env?: NodeJS.ProcessEnv;
}

export class EmulatorError extends FleetplaneError {}

export async function startEmulator(options: StartEmulatorOptions = {}): Promise<Emulator> {
  const external = options.endpoint ?? (options.env ?? process.env).AWS_ENDPOINT_URL;
  if (external) return emulator(external.replace(/\/+$/, ''), async () => {});

  const bin = join(repoRoot, '.venv', 'bin', 'moto_server');
  if (!existsSync(bin)) {
    const out = options.setupOutput === 'ignore' ? 'ignore' : 2;
    const setup = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'setup-venv.mjs'), '--quiet'], {
      stdio: ['ignore', out, out],
    });
    if (setup.status !== 0 || !existsSync(bin)) {
      throw new EmulatorError(`${bin} is missing and \`npm run setup\` failed; run it and try again`);
    }
  }
  const port = await freePort();
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  // moto logs every request to stderr; keep only the tail, for the error message if it dies.
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
  return { ...emulator(endpoint, () => stopChild(child)), pid: child.pid };
}

function emulator(endpoint: string, stop: () => Promise<void>): Emulator {
  return {
    endpoint,
    clientConfig: {
      endpoint,
      region: EMULATOR_REGION,
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
    if (child.exitCode !== null) {
      throw new EmulatorError(`moto_server exited with ${child.exitCode}: ${stderr()}`);
    }
    try {
      const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new EmulatorError(`moto_server did not answer on ${endpoint} within 30 s: ${stderr()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
