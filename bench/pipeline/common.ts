// What the pipeline benchmarks share: flags, the machine they ran on (CPU, memory, Node, moto,
// load average, since the machine is shared), percentiles, the JSON result written to
// bench/out/<name>.json, and change events for the synthetic fleet shaped as the bus delivers them.

import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SQSRecord } from 'aws-lambda';
import { FleetplaneError } from '../../shared/errors.ts';
import {
  CHANGE_EVENT_DETAIL_TYPE,
  CHANGE_EVENT_SCHEMA_VERSION,
  CHANGE_EVENT_SOURCE,
  type ChangeEventDetail,
  splitApiVersion,
} from '../../shared/events/change-event.ts';
import type { KubeObject } from '../../shared/translate/common.ts';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export class BenchFlagError extends FleetplaneError {}

/**
 * `--kebab-name=value` flags for the camelCase keys of `defaults`, each checked against its default's
 * type (numbers are non-negative integers, lists comma-separated ones). Unknown flags are an error.
 */
export function parseFlags<T extends Record<string, number | number[] | boolean>>(
  defaults: T,
  argv = process.argv.slice(2),
): T {
  const out: Record<string, number | number[] | boolean> = { ...defaults };
  for (const arg of argv) {
    const match = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    const key = match?.[1]?.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    if (!match || key === undefined || !(key in defaults)) {
      const known = Object.keys(defaults).map(
        (k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
      );
      throw new BenchFlagError(`${arg}: unknown flag; known: ${known.join(', ')}`);
    }
    const current = defaults[key];
    const raw = match[2];
    if (typeof current === 'boolean') {
      if (raw !== undefined && raw !== 'true' && raw !== 'false')
        throw new BenchFlagError(`--${match[1]}: must be true or false, got ${raw}`);
      out[key] = raw !== 'false';
      continue;
    }
    const parts = (raw ?? '').split(',');
    const numbers = parts.map(Number);
    if (raw === undefined || raw === '' || numbers.some((n) => !Number.isInteger(n) || n < 0)) {
      throw new BenchFlagError(
        `--${match[1]}: must be ${Array.isArray(current) ? 'a list of' : 'a'} non-negative integer(s), got ${raw ?? 'nothing'}`,
      );
    }
    if (!Array.isArray(current) && numbers.length !== 1)
      throw new BenchFlagError(`--${match[1]}: takes one number, got ${raw}`);
    out[key] = Array.isArray(current) ? numbers : (numbers[0] as number);
  }
  return out as T;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  moto: string;
  /** 1, 5 and 15 minute load averages when the run started and ended. */
  loadAverage: { start: number[]; end?: number[] };
}

export function machineInfo(): Machine {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    moto: motoVersion(),
    loadAverage: { start: loadavg().map(round2) },
  };
}

function motoVersion(): string {
  try {
    const lib = join(repoRoot, '.venv', 'lib');
    for (const python of readdirSync(lib)) {
      const dist = readdirSync(join(lib, python, 'site-packages')).find((d) =>
        /^moto-[\d.]+\.dist-info$/.test(d),
      );
      if (dist) return dist.slice('moto-'.length, -'.dist-info'.length);
    }
  } catch {
    // .venv not set up yet: startEmulator sets it up, or AWS_ENDPOINT_URL points elsewhere.
  }
  return process.env.AWS_ENDPOINT_URL ? `external (${process.env.AWS_ENDPOINT_URL})` : 'unknown';
}

export interface Distribution {
  n: number;
  min: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles, in the unit of the input, rounded to 0.1. */
export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
  const r = (x: number | undefined) => (x === undefined ? Number.NaN : Math.round(x * 10) / 10);
  return {
    n: sorted.length,
    min: r(sorted[0]),
    p50: r(rank(0.5)),
    p95: r(rank(0.95)),
    max: r(sorted.at(-1)),
    mean: r(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)),
  };
}

export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Prints the result as JSON and writes it to bench/out/<name>.json. */
export async function writeResult(name: string, result: { machine: Machine } & Record<string, unknown>) {
  result.machine.loadAverage.end = loadavg().map(round2);
  const text = `${JSON.stringify(result, null, 2)}\n`;
  const out = join(repoRoot, 'bench', 'out', `${name}.json`);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, text);
  process.stdout.write(text);
  process.stderr.write(`wrote ${out}\n`);
}

/**
 * The change event a producer would send for `object`, as the forwarder and the dev manifest feed
 * send it. A Secret travels keys-only with a `secretRef` (here a made-up one: the benchmarks that
 * use this do not read Secrets Manager).
 */
export function changeEventFor(
  object: KubeObject,
  options: { clusterId: string; resourceVersion: string; change?: 'UPSERT' | 'DELETE' },
): ChangeEventDetail {
  const { group, version } = splitApiVersion(object.apiVersion);
  const namespace = object.metadata.namespace ?? '';
  const secret = group === '' && object.kind === 'Secret';
  const raw = object as unknown as Record<string, unknown>;
  const data = secret && typeof raw.data === 'object' && raw.data !== null ? raw.data : {};
  const busObject: Record<string, unknown> = {
    ...raw,
    metadata: { ...object.metadata, resourceVersion: options.resourceVersion },
    ...(secret ? { data: Object.fromEntries(Object.keys(data).map((k) => [k, ''])) } : {}),
  };
  const change = options.change ?? 'UPSERT';
  return {
    schemaVersion: CHANGE_EVENT_SCHEMA_VERSION,
    clusterId: options.clusterId,
    group,
    version,
    kind: object.kind,
    namespace,
    name: object.metadata.name,
    resourceVersion: options.resourceVersion,
    change,
    origin: 'watch',
    observedAt: new Date().toISOString(),
    ...(change === 'UPSERT' ? { object: busObject } : {}),
    ...(secret && change === 'UPSERT'
      ? {
          secretRef: {
            secretName: `fleetplane/${options.clusterId}/${namespace}/${object.metadata.name}`,
            versionId: 'bench',
          },
        }
      : {}),
  };
}

/** An SQS record whose body is the EventBridge event a bus rule delivers to the translate queue. */
export function sqsRecordFor(detail: ChangeEventDetail, queueArn: string): SQSRecord {
  const id = randomUUID();
  const body = JSON.stringify({
    version: '0',
    id,
    'detail-type': CHANGE_EVENT_DETAIL_TYPE,
    source: CHANGE_EVENT_SOURCE,
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail,
  });
  const now = String(Date.now());
  return {
    messageId: id,
    receiptHandle: id,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: now,
      SenderId: 'events.amazonaws.com',
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}

/** Splits into chunks of `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
