// `fleetplane translate`: manifests in, IR / xDS / status / bootstraps / snapshots out.
// Exits non-zero only for unreadable input; invalid resources show up in the status.

import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { FsSnapshotStore } from '../shared/fs/fs-snapshot-store.ts';
import type { InputProblem } from '../shared/input/parse.ts';
import { readManifests } from '../shared/input/read.ts';
import { type AnyIrItem, IR_SCHEMA_VERSION, type ResourceStatus } from '../shared/ir/types.ts';
import { gatewayRefOf, nodeCluster } from '../shared/snapshot/layout.ts';
import { publishSnapshot } from '../shared/snapshot/publish.ts';
import { compareIds, translateAll } from '../shared/translate/index.ts';
import { sdsFilePaths, staticBootstrap } from '../shared/xds/bootstrap.ts';
import { buildSnapshots } from '../shared/xds/build-snapshots.ts';
import type { BuildResult, GatewaySnapshot, SdsMode } from '../shared/xds/types.ts';

export const OUTPUT_TARGETS = ['ir', 'xds', 'status', 'bootstrap', 'snapshot'] as const;
export type OutputTarget = (typeof OUTPUT_TARGETS)[number];

export interface TranslateCliOptions {
  file: string[];
  to: OutputTarget;
  output?: 'yaml' | 'json';
  out?: string;
  clusterId: string;
  gateway?: string;
  namespace: string;
  controllerName: string;
  /** Where static bootstraps read SDS files; default `<out>/secrets`, or /etc/envoy/secrets without --out. */
  secretsDir?: string;
}

export interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

export interface TranslationOutcome {
  items: AnyIrItem[];
  build: BuildResult;
  /** Every resource read, with all its conditions. */
  statuses: ResourceStatus[];
  problems: InputProblem[];
}

/** Reads and translates; shared by every `--to`. */
export async function translateFiles(
  files: string[],
  options: { namespace: string; controllerName: string; sds: SdsMode },
): Promise<TranslationOutcome> {
  const input = await readManifests(files);
  const { items, statuses: unsupported } = translateAll(input.objects, {
    defaultNamespace: options.namespace,
  });
  const build = buildSnapshots(items, { controllerName: options.controllerName, sds: options.sds });
  const statuses = [...build.statuses, ...unsupported].sort((a, b) => compareIds(a.resource, b.resource));
  return { items, build, statuses, problems: input.problems };
}

export async function runTranslate(opts: TranslateCliOptions, io: Io): Promise<number> {
  const sds: SdsMode = opts.to === 'bootstrap' ? { type: 'path', dir: secretsDirOf(opts) } : { type: 'ads' };
  const outcome = await translateFiles(opts.file, {
    namespace: opts.namespace,
    controllerName: opts.controllerName,
    sds,
  });
  for (const problem of outcome.problems)
    io.stderr.write(`fleetplane: ${problem.source}: ${problem.message}\n`);
  const snapshots = selectGateways(outcome.build.snapshots, opts.gateway);
  if (opts.gateway && snapshots.length === 0) {
    io.stderr.write(`fleetplane: --gateway ${opts.gateway}: no such Gateway of ours in the input\n`);
  }
  const format = opts.output ?? (opts.to === 'status' ? 'json' : 'yaml');
  const print = (value: unknown) => io.stdout.write(render(value, format));

  switch (opts.to) {
    case 'ir':
      print({ schemaVersion: IR_SCHEMA_VERSION, items: outcome.items });
      break;
    case 'status':
      print({
        controllerName: opts.controllerName,
        notes: outcome.build.notes,
        problems: outcome.problems,
        resources: outcome.statuses,
      });
      break;
    case 'xds':
      print({
        gateways: snapshots.map((s) => ({
          gateway: `${s.gateway.namespace}/${s.gateway.name}`,
          nodeCluster: nodeCluster(opts.clusterId, gatewayRefOf(s.gateway)),
          ...s.resources,
        })),
      });
      break;
    case 'bootstrap':
      await writeBootstraps(snapshots, opts, format, io);
      break;
    case 'snapshot':
      if (!opts.out) {
        io.stderr.write('fleetplane: --to snapshot needs --out <dir>\n');
        return 2;
      }
      await writeSnapshots(snapshots, opts.out, opts.clusterId, io);
      break;
  }
  return outcome.problems.length > 0 ? 1 : 0;
}

function secretsDirOf(opts: TranslateCliOptions): string {
  if (opts.secretsDir) return resolve(opts.secretsDir);
  return opts.out ? resolve(opts.out, 'secrets') : '/etc/envoy/secrets';
}

function selectGateways(snapshots: GatewaySnapshot[], filter: string | undefined): GatewaySnapshot[] {
  const sorted = [...snapshots].sort((a, b) => compareIds(a.gateway, b.gateway));
  if (!filter) return sorted;
  return sorted.filter((s) => `${s.gateway.namespace}/${s.gateway.name}` === filter);
}

function render(value: unknown, format: 'yaml' | 'json'): string {
  return format === 'json'
    ? `${JSON.stringify(value, null, 2)}\n`
    : stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

async function writeBootstraps(
  snapshots: GatewaySnapshot[],
  opts: TranslateCliOptions,
  format: 'yaml' | 'json',
  io: Io,
): Promise<void> {
  for (const snapshot of snapshots) {
    const ref = gatewayRefOf(snapshot.gateway);
    const bootstrap = staticBootstrap(snapshot, {
      nodeCluster: nodeCluster(opts.clusterId, ref),
      nodeId: `${opts.clusterId}-${ref.namespace}-${ref.name}`,
    });
    if (!opts.out) {
      io.stdout.write(format === 'yaml' ? `---\n${render(bootstrap, format)}` : render(bootstrap, format));
      continue;
    }
    await mkdir(opts.out, { recursive: true });
    const file = join(opts.out, `${ref.namespace}.${ref.name}.${format}`);
    await writeFile(file, render(bootstrap, format));
    io.stdout.write(`${file}\n`);
    await announceSecretFiles(sdsFilePaths(bootstrap), !opts.secretsDir, io);
  }
}

/**
 * Envoy refuses SDS paths that do not exist. In the default secrets folder (inside --out) we create
 * empty placeholders — `resources: []`, never a value — so the bootstrap runs at once, and say which
 * files the operator must fill (Envoy picks a file up when it is moved into place). An explicit
 * --secrets-dir belongs to the operator: we only list what is missing there.
 */
async function announceSecretFiles(paths: string[], createPlaceholders: boolean, io: Io): Promise<void> {
  for (const path of paths) {
    if (existsSync(path)) continue;
    if (createPlaceholders) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(
        path,
        `# SDS secret for Envoy, written by you (fleetplane never writes secret values).\n# Replace with a DiscoveryResponse-style file holding one envoy.extensions.transport_sockets.tls.v3.Secret.\nresources: []\n`,
      );
      io.stderr.write(`fleetplane: ${path}: placeholder created; put the secret there for Envoy to use it\n`);
    } else {
      io.stderr.write(`fleetplane: ${path}: missing; Envoy will refuse the bootstrap until it exists\n`);
    }
  }
}

async function writeSnapshots(
  snapshots: GatewaySnapshot[],
  out: string,
  clusterId: string,
  io: Io,
): Promise<void> {
  const store = new FsSnapshotStore(out);
  for (const snapshot of snapshots) {
    const gateway = gatewayRefOf(snapshot.gateway);
    const result = await publishSnapshot(store, { clusterId, gateway }, snapshot.resources);
    io.stdout.write(
      `gateway ${gateway.namespace}/${gateway.name}: version ${result.version} ${result.status} ${result.latestKey}\n`,
    );
  }
}
