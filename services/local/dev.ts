// The local runtime behind `fleetplane dev`: an emulator (moto, or a given endpoint), the pipeline
// on it (local-pipeline.ts), a manifest directory fed in and watched (manifest-feed.ts). Prints one
// line per published snapshot (`snapshot <ns>/<name> version <n> s3://<bucket>/<manifest key>`, the
// immutable version's manifest) and each status problem as it appears and when it is gone, relay
// NACKs included; stops everything cleanly on SIGINT, SIGTERM or the given signal.

import { stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { FleetplaneError, InputError } from '../../shared/errors.ts';
import type { ResourceStatus } from '../../shared/ir/types.ts';
import type { SnapshotPublishedDetail } from '../../shared/pipeline/snapshot-events.ts';
import { describeResource } from '../../shared/translate/common.ts';
import { untilStopped } from '../common/stop-signal.ts';
import { type HandlerLogLevel, localPipelineNames, startLocalPipeline } from './local-pipeline.ts';
import { type FeedSync, ManifestFeed } from './manifest-feed.ts';
import { startEmulator } from './moto.ts';

export interface DevOptions {
  manifests: string;
  clusterId: string;
  endpoint?: string;
  controllerName: string;
  prefix: string;
  logLevel: Lowercase<HandlerLogLevel>;
}

export interface DevIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  /** Stops the runtime when aborted; SIGINT and SIGTERM do otherwise. */
  signal?: AbortSignal;
}

const CLUSTER_ID = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export async function runDev(opts: DevOptions, io: DevIo): Promise<number> {
  const dir = resolve(opts.manifests);
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) {
    throw new InputError('--manifests must be a directory of manifests, e.g. examples/', opts.manifests);
  }
  if (!CLUSTER_ID.test(opts.clusterId)) {
    throw new FleetplaneError(`--cluster-id ${opts.clusterId}: must be a DNS label, e.g. local`);
  }
  const note = (message: string) => io.stderr.write(`fleetplane dev: ${message}\n`);
  const print = (line: string) => io.stdout.write(`${line}\n`);

  const emulator = await startEmulator(opts.endpoint ? { endpoint: opts.endpoint } : {});
  note(emulator.pid ? `moto on ${emulator.endpoint} (pid ${emulator.pid})` : `using ${emulator.endpoint}`);
  const stops: Array<() => Promise<void>> = [() => emulator.stop()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err) => note(`while stopping: ${err.message}`));
  };

  try {
    const names = localPipelineNames(opts.prefix);
    const problems = new ProblemReporter(print);
    let bucket = names.bucket;
    const pipeline = await startLocalPipeline({
      clientConfig: emulator.clientConfig,
      names,
      controllerName: opts.controllerName,
      logLevel: opts.logLevel.toUpperCase() as HandlerLogLevel,
      onSnapshotPublished: (d: SnapshotPublishedDetail) => {
        if (d.clusterId !== opts.clusterId) return;
        print(snapshotLine(d, bucket));
      },
      afterBuild: async () => problems.update(await pipeline.irStore.listStatuses(opts.clusterId)),
      onError: (err) => note(err.message),
    });
    stops.push(() => pipeline.stop());
    bucket = pipeline.resources.bucketName;
    note(
      `bus ${pipeline.resources.eventBusName}, table ${pipeline.resources.tableName}, bucket ${bucket}, ` +
        `translate queue ${pipeline.resources.translateQueue.name} (DLQ ${pipeline.resources.translateDlq.name})`,
    );

    const shown = relative(process.cwd(), dir) || '.';
    const feed = new ManifestFeed({
      dir,
      clusterId: opts.clusterId,
      publisher: pipeline.publisher,
      secretSink: pipeline.secretSink,
      claimCheck: pipeline.claimCheck,
    });
    const report = (sync: FeedSync) => {
      for (const p of sync.problems) note(`${p.source}: ${p.message}`);
      for (const w of sync.warnings) note(w);
      if (sync.upserts.length + sync.deletes.length > 0) {
        print(
          `sent ${sync.upserts.length + sync.deletes.length} watch event(s) from ${shown}/ ` +
            `(${sync.upserts.length} UPSERT, ${sync.deletes.length} DELETE)`,
        );
      }
    };
    report(await feed.sync());
    stops.push(feed.watch({ onSync: report, onError: (err) => note(`watching ${shown}: ${err.message}`) }));
    note(`watching ${shown}/ for changes (cluster ${opts.clusterId}); Ctrl-C stops`);

    await untilStopped(io.signal);
    note('stopping');
    await stopAll();
    return 0;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** `snapshot infra/edge version 2 s3://<bucket>/clusters/local/gateways/infra/edge/versions/0000000002/manifest.json` */
export function snapshotLine(d: SnapshotPublishedDetail, bucket: string): string {
  return `snapshot ${d.gateway.namespace}/${d.gateway.name} version ${d.version} s3://${bucket}/${d.manifestKey}`;
}

/** Prints each False condition once when it appears, and once more when it is gone. */
export class ProblemReporter {
  readonly #shown = new Map<string, string>();

  constructor(private readonly print: (line: string) => void) {}

  update(statuses: ResourceStatus[]): void {
    const current = new Map<string, string>();
    for (const status of statuses) {
      const name = describeResource(status.resource);
      for (const c of status.conditions) {
        if (c.status === 'False') current.set(`${name} ${c.type}=False (${c.reason}): ${c.message}`, name);
      }
      for (const parent of status.parents ?? []) {
        const ref = `${parent.parentRef.namespace ? `${parent.parentRef.namespace}/` : ''}${parent.parentRef.name}`;
        for (const c of parent.conditions) {
          if (c.status === 'False') {
            current.set(`${name} on ${ref} ${c.type}=False (${c.reason}): ${c.message}`, name);
          }
        }
      }
    }
    for (const line of current.keys()) if (!this.#shown.has(line)) this.print(`problem ${line}`);
    for (const line of this.#shown.keys()) if (!current.has(line)) this.print(`resolved ${line}`);
    this.#shown.clear();
    for (const [line, name] of current) this.#shown.set(line, name);
  }
}
