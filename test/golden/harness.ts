// Golden cases: each folder under test/golden/cases/ holds `input.yaml`, the expected xDS
// (`expected-xds.yaml`, as `fleetplane translate --to xds` prints it) and the expected status
// (`expected-status.json`, as `--to status` prints it). `npm run golden:update` rewrites the
// expected files; review the diff.

import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { type TranslationOutcome, translateFiles } from '../../cli/translate.ts';
import { gatewayRefOf, nodeCluster } from '../../shared/snapshot/layout.ts';
import { sdsFilePaths, staticBootstrap } from '../../shared/xds/bootstrap.ts';
import { DEFAULT_CONTROLLER_NAME, type JsonObject } from '../../shared/xds/types.ts';

export const CASES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'cases');

export function listCases(): string[] {
  return readdirSync(CASES_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

export interface CaseOutput {
  xds: string;
  status: string;
}

async function translateCase(name: string, sds: { type: 'ads' } | { type: 'path'; dir: string }) {
  return translateFiles([join(CASES_DIR, name, 'input.yaml')], {
    namespace: 'default',
    controllerName: DEFAULT_CONTROLLER_NAME,
    sds,
  });
}

/** What the expected files must contain, rendered exactly as the CLI renders it. */
export async function renderCase(name: string): Promise<CaseOutput> {
  const outcome = await translateCase(name, { type: 'ads' });
  const xds = {
    gateways: outcome.build.snapshots.map((s) => ({
      gateway: `${s.gateway.namespace}/${s.gateway.name}`,
      nodeCluster: nodeCluster('local', gatewayRefOf(s.gateway)),
      ...s.resources,
    })),
  };
  const status = {
    controllerName: DEFAULT_CONTROLLER_NAME,
    notes: outcome.build.notes,
    // Sources carry absolute paths; keep the file name only so the files are machine-independent.
    problems: outcome.problems.map((p) => ({ ...p, source: p.source.replace(`${CASES_DIR}/${name}/`, '') })),
    resources: outcome.statuses,
  };
  return {
    xds: stringify(xds, { lineWidth: 0, aliasDuplicateObjects: false }),
    status: `${JSON.stringify(status, null, 2)}\n`.replaceAll(`${CASES_DIR}/${name}/`, ''),
  };
}

/**
 * Static bootstraps of every Gateway in the case, with SDS pointed at a temporary directory that
 * holds a placeholder file for every secret the config names (Envoy insists the paths exist;
 * fleetplane itself never writes secret values).
 */
export async function caseBootstraps(
  name: string,
): Promise<{ outcome: TranslationOutcome; bootstraps: JsonObject[] }> {
  const secretsDir = await mkdtemp(join(tmpdir(), 'fleetplane-golden-sds-'));
  const outcome = await translateCase(name, { type: 'path', dir: secretsDir });
  const bootstraps = outcome.build.snapshots.map((s) =>
    staticBootstrap(s, { nodeCluster: nodeCluster('local', gatewayRefOf(s.gateway)), nodeId: 'golden' }),
  );
  await mkdir(secretsDir, { recursive: true });
  for (const path of new Set(bootstraps.flatMap((b) => sdsFilePaths(b)))) {
    await writeFile(path, 'resources: []\n');
  }
  return { outcome, bootstraps };
}
