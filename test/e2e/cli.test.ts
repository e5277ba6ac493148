// The CLI contract as users run it: `fleetplane translate` on examples/, spawned as a process.

import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { repoRoot, validateEnvoyFile } from '../support/envoy.ts';

function fleetplane(args: string[], input?: string) {
  const res = spawnSync(process.execPath, [join(repoRoot, 'bin', 'fleetplane.mjs'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    input,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

function exampleResources(): Array<{ kind: string; namespace: string; name: string }> {
  const dir = join(repoRoot, 'examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS()))
    .filter(Boolean)
    .map((o) => ({
      kind: o.kind,
      // GatewayClass is cluster-scoped.
      namespace: o.kind === 'GatewayClass' ? '' : (o.metadata.namespace ?? 'default'),
      name: o.metadata.name,
    }));
}

describe('fleetplane translate on examples/', () => {
  it('writes one bootstrap per Gateway that the real Envoy accepts', async () => {
    const out = await mkdtemp(join(tmpdir(), 'fleetplane-cli-'));
    const res = fleetplane(['translate', '-f', 'examples/', '--to', 'bootstrap', '--out', out]);
    expect(res.code, res.stderr).toBe(0);
    const files = res.stdout.trim().split('\n');
    expect(files).toEqual([join(out, 'infra.edge.yaml')]);
    for (const file of files) {
      const result = await validateEnvoyFile(file);
      expect(result.ok, result.output).toBe(true);
    }
  });

  it('lists conditions for every resource read', () => {
    const res = fleetplane(['translate', '-f', 'examples/', '--to', 'status', '-o', 'json']);
    expect(res.code, res.stderr).toBe(0);
    const status = JSON.parse(res.stdout) as {
      resources: Array<{
        resource: { kind: string; namespace: string; name: string };
        conditions: unknown[];
      }>;
    };
    const reported = status.resources.map(
      (r) => `${r.resource.kind} ${r.resource.namespace}/${r.resource.name}`,
    );
    for (const r of exampleResources()) expect(reported).toContain(`${r.kind} ${r.namespace}/${r.name}`);
    for (const r of status.resources) expect(r.conditions.length).toBeGreaterThan(0);
    // The examples are meant to be fully valid.
    expect(res.stdout).not.toContain('"status": "False"');
  });

  it('adds a snapshot version only when the input changes', async () => {
    const work = await mkdtemp(join(tmpdir(), 'fleetplane-snap-'));
    const input = join(work, 'examples');
    cpSync(join(repoRoot, 'examples'), input, { recursive: true });
    const out = join(work, 'snapshots');
    const run = () =>
      fleetplane(['translate', '-f', input, '--to', 'snapshot', '--out', out, '--cluster-id', 'c1']);

    const first = run();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('gateway infra/edge: version 1 published');
    const latestPath = join(out, 'clusters/c1/gateways/infra/edge/latest.json');
    const latest1 = JSON.parse(readFileSync(latestPath, 'utf8'));
    expect(latest1.version).toBe(1);
    for (const key of latest1.objects) expect(() => readFileSync(join(out, key))).not.toThrow();

    const again = run();
    expect(again.stdout).toContain('gateway infra/edge: version 1 unchanged');

    const route = readFileSync(join(input, '10-shop.yaml'), 'utf8').replace('/search', '/find');
    writeFileSync(join(input, '10-shop.yaml'), route);
    const changed = run();
    expect(changed.stdout).toContain('gateway infra/edge: version 2 published');
    expect(JSON.parse(readFileSync(latestPath, 'utf8')).version).toBe(2);
    expect(readdirSync(join(out, 'clusters/c1/gateways/infra/edge/versions'))).toEqual([
      '0000000001',
      '0000000002',
    ]);
  });

  it('exits non-zero for malformed YAML but still translates the other documents', () => {
    const input =
      'apiVersion: v1\nkind: Service\nmetadata: {name: ok}\nspec: {ports: [{port: 80}]}\n---\nkind: [unclosed\n';
    const res = fleetplane(['translate', '-f', '-', '--to', 'status'], input);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('<stdin>#2');
    expect(res.stderr).toContain('malformed YAML');
    expect(res.stdout).toContain('"name": "ok"');
  });

  it('exits non-zero for a missing file, naming it', () => {
    const res = fleetplane(['translate', '-f', 'does-not-exist.yaml']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('does-not-exist.yaml');
  });
});
