import { describe, expect, it } from 'vitest';
import type { BackendIR } from '../../../../shared/ir/types.ts';
import { buildBackendCluster } from '../../../../shared/xds/clusters/index.ts';
import { TypeUrl } from '../../../../shared/xds/types.ts';
import { ADS, egBackendId, kgwBackendId, lambdaBackend, openai } from './fixtures.ts';

describe('buildBackendCluster', () => {
  const cases: Array<[BackendIR, string]> = [
    [
      {
        type: 'static',
        endpoints: [{ address: { kind: 'ip', address: '10.0.0.1', port: 80 }, priority: 0 }],
      },
      'STATIC',
    ],
    [lambdaBackend(), 'LOGICAL_DNS'],
    [{ type: 'ai', priorities: [[openai()]] }, 'STRICT_DNS'],
  ];
  for (const [backend, type] of cases) {
    it(`dispatches ${backend.type} to a ${type} cluster named after the Backend`, () => {
      // Act
      const built = buildBackendCluster(kgwBackendId('b'), backend, ADS);

      // Assess
      expect(built.clusterName).toBe('backend_default_b');
      expect(built.clusters[0]).toMatchObject({ '@type': TypeUrl.Cluster, name: 'backend_default_b', type });
    });
  }

  it('dispatches both forward-proxy kinds to the DFP cluster', () => {
    for (const backend of [
      { type: 'dynamicForwardProxy', enableTls: false },
      { type: 'dynamicResolver' },
    ] as BackendIR[]) {
      // Act
      const built = buildBackendCluster(egBackendId('d'), backend, ADS);

      // Assess
      expect(built.clusterName).toBe('egbackend_default_d');
      expect(built.clusters[0]).toMatchObject({
        cluster_type: { name: 'envoy.clusters.dynamic_forward_proxy' },
      });
    }
  });

  it('sets a connect timeout on every cluster', () => {
    // Prepare
    const backends: BackendIR[] = [
      { type: 'static', endpoints: [] },
      lambdaBackend(),
      { type: 'ai', priorities: [[openai()]] },
      { type: 'dynamicForwardProxy', enableTls: true },
    ];

    // Act
    const clusters = backends.flatMap((b) => buildBackendCluster(kgwBackendId('b'), b, ADS).clusters);

    // Assess
    for (const cluster of clusters) expect(cluster.connect_timeout).toBe('5s');
  });

  it('is deterministic: the same input gives byte-identical output', () => {
    // Prepare
    const backend: BackendIR = { type: 'ai', priorities: [[openai(), openai({ host: 'b.example' })]] };

    // Act
    const first = JSON.stringify(buildBackendCluster(kgwBackendId('b'), backend, ADS));
    const second = JSON.stringify(buildBackendCluster(kgwBackendId('b'), structuredClone(backend), ADS));

    // Assess
    expect(first).toBe(second);
  });
});
