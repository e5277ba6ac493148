// `fleetplane agent` flags: each bad value is refused before anything is read or written, with a
// message naming the flag and a valid example; `--print-bootstrap` prints the files' bootstrap.

import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type AgentCliOptions, runAgent } from '../../../cli/agent.ts';
import { NODE_CLUSTER } from './fixtures.ts';

const base: AgentCliOptions = {
  source: 's3://fleet-snapshots/prod',
  nodeCluster: NODE_CLUSTER,
  dir: '/tmp/unused',
  interval: '2s',
  nodeId: 'edge-1',
  adminPort: '9901',
  logLevel: 'error',
};
const quiet = { stdout: { write: () => true }, stderr: { write: () => true } };

describe('fleetplane agent flags', () => {
  it.each([
    [
      'no --source',
      { source: undefined },
      /--source is required: a snapshot directory or s3:\/\/bucket\[\/prefix\]/,
    ],
    [
      'a bad bucket',
      { source: 's3://Bad_Bucket' },
      /--source "s3:\/\/Bad_Bucket": expected s3:\/\/bucket or s3:\/\/bucket\/prefix/,
    ],
    [
      'an unknown scheme',
      { source: 'https://example.com/x' },
      /--source "https:\/\/example.com\/x": expected a directory or s3:/,
    ],
    ['a bad interval', { interval: 'soon' }, /--interval "soon": expected a positive duration, e.g. 500ms/],
    ['a zero interval', { interval: '0s' }, /--interval "0s": expected a positive duration/],
    [
      'a bad node cluster',
      { source: '/tmp', nodeCluster: 'edge' },
      /--node-cluster "edge": expected <clusterId>\/<namespace>\/<gateway>/,
    ],
    [
      'a bad admin port',
      { printBootstrap: true, adminPort: '99999' },
      /--admin-port "99999": expected a port number/,
    ],
  ])('refuses %s', async (_what, extra, message) => {
    const opts = { ...base, ...extra } as AgentCliOptions;
    await expect(runAgent(opts, quiet)).rejects.toThrow(message);
  });

  it('prints a bootstrap reading CDS and LDS from the files, and writes nothing', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'fleetplane-agent-cli-'));
    const printed: string[] = [];

    // Act
    const code = await runAgent(
      { ...base, dir, printBootstrap: true },
      { ...quiet, stdout: { write: (s: string) => printed.push(s) } },
    );

    // Assess
    expect(code).toBe(0);
    const bootstrap = parse(printed.join(''));
    expect(bootstrap.node).toEqual({ id: 'edge-1', cluster: NODE_CLUSTER });
    expect(bootstrap.dynamic_resources.cds_config).toEqual({
      path_config_source: { path: join(dir, 'cds.pb'), watched_directory: { path: dir } },
      resource_api_version: 'V3',
    });
    expect(bootstrap.dynamic_resources.lds_config.path_config_source.path).toBe(join(dir, 'lds.pb'));
    expect(await readdir(dir)).toEqual([]);
  });
});
