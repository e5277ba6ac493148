// Benchmark: throughput of the translate function's handler (functions/translate/create-handler.ts)
// in change events per second, over SQS-shaped events of the synthetic fleet (bench/fleet.ts), in
// batches of 10 as the translate queue's event source mapping delivers them:
//   memory  — the IR store is the in-memory fake of the unit tests: parse, validate, translate and
//             the order-safe write rule, with no I/O (all 15,151 objects of the default fleet);
//   dynamodb — the real DynamoDbIrStore on moto: one conditional PutItem per event
//             (a prefix of the fleet, --moto-events, since moto answers a few hundred writes a second).
// The bare translators (translateObject on each object) are timed too, as the floor.
// Run: node --import tsx bench/pipeline/translator-throughput.ts [--flags]; see bench/README.md.

import { performance } from 'node:perf_hooks';
import type { SQSRecord } from 'aws-lambda';
import { createHandler } from '../../functions/translate/create-handler.ts';
import { startEmulator } from '../../services/local/moto.ts';
import { createDynamoDbClient } from '../../shared/aws/clients.ts';
import { DynamoDbIrStore } from '../../shared/aws/dynamodb-ir-store.ts';
import { ensureIrTable } from '../../shared/aws/provision.ts';
import type { IrStore } from '../../shared/ports/ir-store.ts';
import { translateObject } from '../../shared/translate/index.ts';
import { lambdaContext, quietObservability } from '../../test/unit/functions/lambda.ts';
import { MemoryIrStore } from '../../test/unit/pipeline/fakes.ts';
import { DEFAULT_FLEET, generateFleet } from '../fleet.ts';
import {
  changeEventFor,
  chunks,
  distribution,
  machineInfo,
  parseFlags,
  sqsRecordFor,
  writeResult,
} from './common.ts';

const flags = parseFlags({
  ...DEFAULT_FLEET,
  /** Rounds of the in-memory measurement (a fresh store each round); the median is reported. */
  rounds: 3,
  /** Events sent through the handler with the DynamoDB store on moto. 0 skips it. */
  motoEvents: 3000,
  /** Invocations in flight at once; the local mapping runs 2 pollers, Lambda scales further. */
  concurrency: [1, 2, 4],
  batchSize: 10,
});

const CLUSTER = 'bench';
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:fleetplane-bench-translate';
const machine = machineInfo();
const objects = generateFleet({
  backends: flags.backends,
  routes: flags.routes,
  gateways: flags.gateways,
  namespaces: flags.namespaces,
});
// resourceVersions increase through the fleet, as a watch's would.
const records = objects.map((object, i) =>
  sqsRecordFor(
    changeEventFor(object, { clusterId: CLUSTER, resourceVersion: String(1_000_000 + i) }),
    QUEUE_ARN,
  ),
);
const observability = quietObservability();

interface Run {
  events: number;
  concurrency: number;
  ms: number;
  eventsPerSecond: number;
  /** Events not reported in batchItemFailures (written, or dropped as stale). */
  succeeded: number;
  failed: number;
  invocationMs: ReturnType<typeof distribution>;
}

/** Sends `records` through a fresh handler on `irStore`, `concurrency` batches at a time. */
async function run(irStore: IrStore, input: SQSRecord[], concurrency: number): Promise<Run> {
  const handler = createHandler({ irStore, ...observability });
  const batches = chunks(input, flags.batchSize);
  const invocationMs: number[] = [];
  let failed = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++] ?? [];
      const t = performance.now();
      const res = await handler({ Records: batch }, lambdaContext('translate'));
      invocationMs.push(performance.now() - t);
      failed += res.batchItemFailures.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - started;
  return {
    events: input.length,
    concurrency,
    ms: Math.round(ms),
    eventsPerSecond: Math.round(input.length / (ms / 1000)),
    succeeded: input.length - failed,
    failed,
    invocationMs: distribution(invocationMs),
  };
}

function median(runs: Run[]): Run {
  const sorted = [...runs].sort((a, b) => a.ms - b.ms);
  return sorted[Math.floor(sorted.length / 2)] as Run;
}

// Floor: the translators alone.
const translateOnly: number[] = [];
for (let r = 0; r < flags.rounds; r++) {
  const t = performance.now();
  for (const object of objects)
    translateObject(object, { defaultNamespace: object.metadata.namespace ?? '' });
  translateOnly.push(performance.now() - t);
}
const translateOnlyMs = [...translateOnly].sort((a, b) => a - b)[Math.floor(translateOnly.length / 2)] ?? 0;

// Warm-up (JIT, Powertools, zod), then the in-memory rounds.
await run(new MemoryIrStore(), records.slice(0, 500), 1);
const memoryRuns: Run[] = [];
for (let r = 0; r < flags.rounds; r++) {
  const store = new MemoryIrStore();
  const result = await run(store, records, 1);
  if (store.items.size !== objects.length)
    throw new Error(`memory store holds ${store.items.size} items after ${objects.length} events`);
  memoryRuns.push(result);
}
// Same events again: every write is stale (duplicate delivery), the other order-safety path.
const dupStore = new MemoryIrStore();
await run(dupStore, records, 1);
const duplicates = await run(dupStore, records, 1);

const moto: Run[] = [];
let motoEndpoint: string | undefined;
if (flags.motoEvents > 0) {
  const emulator = await startEmulator({ setupOutput: 'ignore' });
  motoEndpoint = emulator.endpoint;
  const client = createDynamoDbClient(emulator.clientConfig);
  try {
    const input = records.slice(0, flags.motoEvents);
    for (const concurrency of flags.concurrency) {
      // A table per run, so every write is a first write, as in the in-memory runs.
      const tableName = `fleetplane-bench-ir-c${concurrency}-${Date.now()}`;
      await ensureIrTable(client, tableName);
      const result = await run(new DynamoDbIrStore({ tableName, client }), input, Math.max(1, concurrency));
      if (result.failed > 0)
        throw new Error(`${result.failed} events failed on moto (concurrency ${concurrency})`);
      moto.push(result);
      process.stderr.write(`moto, concurrency ${concurrency}: ${result.eventsPerSecond} events/s\n`);
    }
  } finally {
    client.destroy();
    await emulator.stop();
  }
}

const memory = median(memoryRuns);
await writeResult('translator-throughput', {
  benchmark: 'translator-throughput',
  date: new Date().toISOString(),
  machine,
  fleet: {
    ...DEFAULT_FLEET,
    backends: flags.backends,
    routes: flags.routes,
    gateways: flags.gateways,
    namespaces: flags.namespaces,
    objects: objects.length,
  },
  batchSize: flags.batchSize,
  translateObjectOnly: {
    events: objects.length,
    ms: Math.round(translateOnlyMs),
    eventsPerSecond: Math.round(objects.length / (translateOnlyMs / 1000)),
  },
  memoryStore: { rounds: memoryRuns.map((r) => r.eventsPerSecond), median: memory },
  memoryStoreDuplicates: duplicates,
  dynamodbOnMoto: { endpoint: motoEndpoint, runs: moto },
});
