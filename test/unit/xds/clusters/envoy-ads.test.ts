// The ADS shape, as the relay delivers it: clusters whose secrets come over ADS arrive through CDS,
// never in static_resources (Envoy 1.40 crashes at start-up on a *static* cluster whose upstream
// credential_injector reads SDS over ADS, envoyproxy/envoy#15517). Here CDS is read from a file and
// ADS points at a port nobody listens on, so the secrets never arrive and the clusters stay warming:
// what is checked is that Envoy takes the clusters without rejecting them or crashing.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildAIServiceBackendCluster, buildBackendCluster } from '../../../../shared/xds/clusters/index.ts';
import type { JsonObject } from '../../../../shared/xds/types.ts';
import { envoyBinary, freePort } from '../../../support/envoy.ts';
import { ADS, aisb, aisbId, apiKeyPolicy, kgwBackendId, openai, openaiTarget } from './fixtures.ts';

let running: ChildProcess | undefined;
afterEach(() => {
  running?.kill('SIGKILL');
  running = undefined;
});

async function startWithCds(clusters: JsonObject[]): Promise<{ adminPort: number; logs: () => string }> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetplane-ads-'));
  const cdsFile = join(dir, 'cds.json');
  await writeFile(cdsFile, JSON.stringify({ version_info: '1', resources: clusters }));
  const [adminPort, xdsPort] = [await freePort(), await freePort()];
  const bootstrap = {
    node: { id: 'ads-test', cluster: 'test/default/test' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: adminPort } } },
    dynamic_resources: {
      ads_config: {
        api_type: 'GRPC',
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: 'xds' } }],
      },
      cds_config: { path_config_source: { path: cdsFile }, resource_api_version: 'V3' },
    },
    static_resources: {
      clusters: [
        {
          name: 'xds',
          type: 'STATIC',
          connect_timeout: '1s',
          load_assignment: {
            cluster_name: 'xds',
            endpoints: [
              {
                lb_endpoints: [
                  {
                    endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: xdsPort } } },
                  },
                ],
              },
            ],
          },
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
        },
      ],
    },
  };
  const file = join(dir, 'envoy.json');
  await writeFile(file, JSON.stringify(bootstrap));
  const child = spawn(envoyBinary(), ['-c', file, '--disable-hot-restart', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running = child;
  let logs = '';
  child.stdout?.on('data', (d) => {
    logs += d;
  });
  child.stderr?.on('data', (d) => {
    logs += d;
  });
  return { adminPort, logs: () => logs };
}

async function clusterNamesInConfigDump(adminPort: number, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (running?.exitCode !== null || running?.signalCode !== null) return '';
    try {
      const res = await fetch(`http://127.0.0.1:${adminPort}/config_dump?resource=dynamic_warming_clusters`);
      if (res.ok) {
        const text = await res.text();
        if (text.includes('"name"')) return text;
      }
    } catch {
      // admin not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return '';
}

describe('ADS-mode SDS over CDS', () => {
  it('Envoy takes AI and AIServiceBackend clusters whose API keys come over ADS', async () => {
    // Prepare
    const ai = buildBackendCluster(kgwBackendId('llm'), { type: 'ai', priorities: [[openai()]] }, ADS);
    const svc = buildAIServiceBackendCluster(aisbId('openai'), aisb(), openaiTarget(), apiKeyPolicy(), ADS);
    const { adminPort, logs } = await startWithCds([...ai.clusters, ...svc.clusters]);

    // Act
    const dump = await clusterNamesInConfigDump(adminPort, 15_000);

    // Assess
    expect(running?.exitCode, logs()).toBeNull();
    expect(running?.signalCode, logs()).toBeNull();
    expect(dump, logs()).toContain(ai.clusterName);
    expect(dump, logs()).toContain(svc.clusterName);
  });
});
