// Runs the real Envoy from .venv (installed by `npm run setup`): config validation and
// short-lived proxies for end-to-end tests.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function envoyBinary(): string {
  const bin = join(repoRoot, '.venv', 'bin', 'envoy');
  if (!existsSync(bin))
    throw new Error(`${bin} is missing: run \`npm run setup\` to install the pinned Envoy`);
  return bin;
}

export interface EnvoyRun {
  ok: boolean;
  output: string;
}

function toText(config: object | string): string {
  return typeof config === 'string' ? config : JSON.stringify(config, null, 2);
}

/** `envoy --mode validate` on a config (object → JSON file, string written as is, YAML or JSON). */
export async function validateEnvoyConfig(
  config: object | string,
  fileName = 'envoy.yaml',
): Promise<EnvoyRun> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetplane-envoy-validate-'));
  const file = join(dir, fileName);
  await writeFile(file, toText(config));
  return validateEnvoyFile(file);
}

export function validateEnvoyFile(file: string): Promise<EnvoyRun> {
  return new Promise((resolve) => {
    const child = spawn(
      envoyBinary(),
      ['--mode', 'validate', '-c', file, '--disable-hot-restart', '--log-level', 'warn'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.on('close', (code) => resolve({ ok: code === 0, output }));
  });
}

/** A free TCP port on loopback (there is a small race; tests retry start-up on bind errors). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RunningEnvoy {
  adminPort: number;
  process: ChildProcess;
  logs: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts Envoy with `config` (its admin port is overwritten with a free one) and waits until the
 * admin `/ready` endpoint answers LIVE.
 */
export async function startEnvoy(config: Record<string, unknown>, timeoutMs = 20_000): Promise<RunningEnvoy> {
  const adminPort = await freePort();
  const withAdmin = {
    ...config,
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: adminPort } } },
  };
  const dir = await mkdtemp(join(tmpdir(), 'fleetplane-envoy-'));
  const file = join(dir, 'envoy.json');
  await writeFile(file, JSON.stringify(withAdmin, null, 2));
  const child = spawn(
    envoyBinary(),
    ['-c', file, '--disable-hot-restart', '--concurrency', '1', '--log-level', 'info'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let logs = '';
  child.stdout?.on('data', (d) => {
    logs += d;
  });
  child.stderr?.on('data', (d) => {
    logs += d;
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`envoy exited with ${child.exitCode}:\n${logs}`);
    try {
      const res = await fetch(`http://127.0.0.1:${adminPort}/ready`);
      if (res.ok && (await res.text()).trim() === 'LIVE')
        return { adminPort, process: child, logs: () => logs, stop };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`envoy did not become ready within ${timeoutMs} ms:\n${logs}`);
}
