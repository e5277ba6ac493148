// Every backend shape, wrapped in a static bootstrap and checked by the real Envoy (`--mode validate`).
// SDS uses path mode with files in a temp dir: Envoy refuses an SDS path that does not exist, and a
// static cluster whose upstream filter reads SDS over ADS crashes Envoy 1.40 at start-up (ADS is
// created after static clusters, envoyproxy/envoy#15517); the ADS shape is exercised over CDS below.

import { describe, expect, it } from 'vitest';
import type { BackendIR, UpstreamTlsIR } from '../../../../shared/ir/types.ts';
import {
  buildAIServiceBackendCluster,
  buildBackendCluster,
  buildServiceCluster,
} from '../../../../shared/xds/clusters/index.ts';
import type { ClusterBuildContext } from '../../../../shared/xds/types.ts';
import { sdsPathMode, validateBuilt } from './envoy-harness.ts';
import {
  aisb,
  aisbId,
  anthropic,
  apiKeyPolicy,
  bedrock,
  egBackendId,
  kgwBackendId,
  lambdaBackend,
  openai,
  openaiTarget,
  secretRef,
  service,
  serviceId,
  slice,
} from './fixtures.ts';

async function pathCtx(tls?: UpstreamTlsIR): Promise<ClusterBuildContext> {
  const sds = await sdsPathMode();
  return tls ? { sds, tls } : { sds };
}

const caTls: UpstreamTlsIR = {
  sni: 'backend.internal',
  caCertificateRefs: [{ kind: 'ConfigMap', namespace: 'default', name: 'internal-ca' }],
  subjectAltNames: [],
};

describe('Envoy 1.40 accepts every backend shape', () => {
  const staticShapes: Array<[string, BackendIR, UpstreamTlsIR | undefined]> = [
    [
      'static IPs with a fallback priority',
      {
        type: 'static',
        endpoints: [
          { address: { kind: 'ip', address: '10.0.0.1', port: 8080 }, priority: 0 },
          { address: { kind: 'ip', address: '10.0.0.2', port: 8080 }, priority: 1 },
        ],
      },
      undefined,
    ],
    [
      'static FQDN over TLS with system trust and auto host SNI',
      {
        type: 'static',
        endpoints: [{ address: { kind: 'fqdn', hostname: 'httpbin.org', port: 443 }, priority: 0 }],
        protocol: 'http2',
        tls: { caCertificateRefs: [], wellKnownCACertificates: 'System', subjectAltNames: [] },
      },
      undefined,
    ],
    [
      'static unix socket with h2c',
      {
        type: 'static',
        endpoints: [{ address: { kind: 'unix', path: '/var/run/app.sock' }, priority: 0 }],
        protocol: 'h2c',
      },
      undefined,
    ],
    [
      'static IP with BackendTLSPolicy CA from SDS and SANs',
      {
        type: 'static',
        endpoints: [{ address: { kind: 'ip', address: '10.0.0.1', port: 8443 }, priority: 0 }],
        protocol: 'wss',
      },
      { ...caTls, subjectAltNames: ['backend.internal', 'spiffe://cluster.local/ns/default/sa/backend'] },
    ],
    [
      'static IP with autoSni and insecureSkipVerify',
      {
        type: 'static',
        endpoints: [{ address: { kind: 'ip', address: '10.0.0.1', port: 8443 }, priority: 0 }],
      },
      { autoSni: true, insecureSkipVerify: true, caCertificateRefs: [], subjectAltNames: [] },
    ],
  ];
  for (const [label, backend, tls] of staticShapes) {
    it(label, async () => {
      // Prepare
      const built = buildBackendCluster(egBackendId('static'), backend, await pathCtx(tls));

      // Act
      const run = await validateBuilt(built);

      // Assess
      expect(run.ok, run.output).toBe(true);
    });
  }

  const lambdaShapes: Array<[string, BackendIR]> = [
    ['lambda with assumed role over TLS', lambdaBackend()],
    [
      'lambda with the default chain, async, passthrough',
      lambdaBackend({
        auth: { mode: 'defaultChain' },
        invocationMode: 'Async',
        payloadTransformMode: 'None',
      }),
    ],
    [
      'lambda with a credentials Secret',
      lambdaBackend({ auth: { mode: 'secret', secretRef: secretRef('aws-creds') } }),
    ],
    [
      'lambda on a plain-HTTP emulator',
      lambdaBackend({
        endpoint: { host: '127.0.0.1', port: 4566, tls: false },
        auth: { mode: 'defaultChain' },
      }),
    ],
  ];
  for (const [label, backend] of lambdaShapes) {
    it(label, async () => {
      // Prepare
      const built = buildBackendCluster(kgwBackendId('lambda'), backend, await pathCtx());

      // Act
      const run = await validateBuilt(built);

      // Assess
      expect(run.ok, run.output).toBe(true);
    });
  }

  const aiShapes: Array<[string, BackendIR]> = [
    ['ai with one OpenAI provider and an API key from SDS', { type: 'ai', priorities: [[openai()]] }],
    [
      'ai with failover across hosts (auto host SNI)',
      { type: 'ai', priorities: [[openai()], [anthropic()]] },
    ],
    ['ai on Bedrock with SigV4', { type: 'ai', priorities: [[bedrock()]] }],
    ['ai passthrough auth', { type: 'ai', priorities: [[openai({ auth: { mode: 'passthrough' } })]] }],
    [
      'ai mixing a TLS provider with a plain-HTTP mock',
      { type: 'ai', priorities: [[openai()], [openai({ host: 'mock.ai.svc.cluster.local', port: 8080 })]] },
    ],
  ];
  for (const [label, backend] of aiShapes) {
    it(label, async () => {
      // Prepare
      const built = buildBackendCluster(kgwBackendId('llm'), backend, await pathCtx());

      // Act
      const run = await validateBuilt(built);

      // Assess
      expect(run.ok, run.output).toBe(true);
    });
  }

  const dfpShapes: Array<[string, BackendIR, UpstreamTlsIR | undefined]> = [
    ['dynamic forward proxy, plain', { type: 'dynamicForwardProxy', enableTls: false }, undefined],
    ['dynamic forward proxy with TLS', { type: 'dynamicForwardProxy', enableTls: true }, undefined],
    ['dynamic resolver with a CA from SDS', { type: 'dynamicResolver' }, { ...caTls, sni: undefined }],
    [
      'dynamic resolver with pinned SANs',
      { type: 'dynamicResolver' },
      { ...caTls, subjectAltNames: ['*.example.com'] },
    ],
    [
      'dynamic resolver with insecureSkipVerify',
      {
        type: 'dynamicResolver',
        tls: { insecureSkipVerify: true, caCertificateRefs: [], subjectAltNames: [] },
      },
      undefined,
    ],
  ];
  for (const [label, backend, tls] of dfpShapes) {
    it(label, async () => {
      // Prepare
      const built = buildBackendCluster(egBackendId('dfp'), backend, await pathCtx(tls));

      // Act
      const run = await validateBuilt(built);

      // Assess
      expect(run.ok, run.output).toBe(true);
    });
  }

  it('two dynamic forward proxy backends share one listener filter and DNS cache', async () => {
    // Prepare
    const ctx = await pathCtx();
    const plain = buildBackendCluster(
      egBackendId('dfp-a'),
      { type: 'dynamicForwardProxy', enableTls: false },
      ctx,
    );
    const tls = buildBackendCluster(
      egBackendId('dfp-b'),
      { type: 'dynamicForwardProxy', enableTls: true },
      ctx,
    );

    // Act
    const run = await validateBuilt(plain, tls);

    // Assess
    expect(run.ok, run.output).toBe(true);
  });

  it('Service: EDS cluster with its assignment inlined, HTTP/2 by appProtocol, BackendTLSPolicy', async () => {
    // Prepare
    const svc = service({ ports: [{ name: 'grpc', port: 9000, protocol: 'TCP', appProtocol: 'grpc' }] });
    const slices = [slice({ ports: [{ name: 'grpc', port: 9090, protocol: 'TCP' }] })];
    const port = svc.ports[0];
    if (!port) throw new Error('fixture has a port');
    const built = buildServiceCluster(serviceId('echo'), svc, port, slices, await pathCtx(caTls));

    // Act
    const run = await validateBuilt(built);

    // Assess
    expect(run.ok, run.output).toBe(true);
  });

  it('Service with no ready endpoints (empty assignment)', async () => {
    // Prepare
    const svc = service();
    const port = svc.ports[0];
    if (!port) throw new Error('fixture has a port');
    const built = buildServiceCluster(serviceId('echo'), svc, port, [], await pathCtx());

    // Act
    const run = await validateBuilt(built);

    // Assess
    expect(run.ok, run.output).toBe(true);
  });

  it('ExternalName Service over TLS', async () => {
    // Prepare
    const svc = service({ type: 'ExternalName', externalName: 'api.example.com' });
    const port = svc.ports[0];
    if (!port) throw new Error('fixture has a port');
    const tls: UpstreamTlsIR = {
      caCertificateRefs: [],
      wellKnownCACertificates: 'System',
      subjectAltNames: [],
    };
    const built = buildServiceCluster(serviceId('external'), svc, port, [], await pathCtx(tls));

    // Act
    const run = await validateBuilt(built);

    // Assess
    expect(run.ok, run.output).toBe(true);
  });

  const policies = ['APIKey', 'AzureAPIKey', 'AnthropicAPIKey'] as const;
  for (const type of policies) {
    it(`AIServiceBackend with a ${type} BackendSecurityPolicy and header mutation`, async () => {
      // Prepare
      const spec = aisb({ headerMutation: { set: [{ name: 'x-team', value: 'ml' }], remove: ['x-debug'] } });
      const ctx = await pathCtx({
        sni: 'api.openai.com',
        caCertificateRefs: [],
        wellKnownCACertificates: 'System',
        subjectAltNames: [],
      });
      const built = buildAIServiceBackendCluster(
        aisbId('openai'),
        spec,
        openaiTarget(),
        apiKeyPolicy(type),
        ctx,
      );

      // Act
      const run = await validateBuilt(built);

      // Assess
      expect(run.ok, run.output).toBe(true);
    });
  }

  it('AIServiceBackend on Bedrock with AWSCredentials (assumed role)', async () => {
    // Prepare
    const spec = aisb({ schema: { name: 'AWSBedrock' } });
    const target = {
      id: egBackendId('bedrock'),
      backend: {
        type: 'static' as const,
        endpoints: [
          {
            address: {
              kind: 'fqdn' as const,
              hostname: 'bedrock-runtime.us-east-1.amazonaws.com',
              port: 443,
            },
            priority: 0,
          },
        ],
        tls: { caCertificateRefs: [], wellKnownCACertificates: 'System' as const, subjectAltNames: [] },
      },
    };
    const policy = {
      targetRefs: [],
      type: 'AWSCredentials' as const,
      aws: {
        region: 'us-east-1',
        auth: {
          mode: 'assumeRole' as const,
          roleArn: 'arn:aws:iam::123456789012:role/bedrock',
          roleSessionName: 'gw',
        },
      },
    };
    const built = buildAIServiceBackendCluster(aisbId('bedrock'), spec, target, policy, await pathCtx());

    // Act
    const run = await validateBuilt(built);

    // Assess
    expect(run.ok, run.output).toBe(true);
  });

  it('all shapes together in one bootstrap (no name or filter clashes)', async () => {
    // Prepare
    const ctx = await pathCtx();
    const svc = service();
    const port = svc.ports[0];
    if (!port) throw new Error('fixture has a port');
    const built = [
      buildBackendCluster(kgwBackendId('lambda'), lambdaBackend(), ctx),
      buildBackendCluster(kgwBackendId('llm'), { type: 'ai', priorities: [[openai()], [anthropic()]] }, ctx),
      buildBackendCluster(kgwBackendId('dfp'), { type: 'dynamicForwardProxy', enableTls: true }, ctx),
      buildBackendCluster(egBackendId('dyn'), { type: 'dynamicResolver' }, ctx),
      buildServiceCluster(serviceId('echo'), svc, port, [slice()], ctx),
      buildAIServiceBackendCluster(aisbId('openai'), aisb(), openaiTarget(), apiKeyPolicy(), ctx),
    ];

    // Act
    const run = await validateBuilt(...built);

    // Assess
    expect(run.ok, run.output).toBe(true);
  });
});

describe('Envoy 1.40 refuses what the builders must never emit', () => {
  it('a dynamic forward proxy cluster whose DNS cache differs from the listener filter', async () => {
    // Prepare
    const built = buildBackendCluster(
      egBackendId('dfp'),
      { type: 'dynamicForwardProxy', enableTls: false },
      await pathCtx(),
    );
    const [filter] = built.listenerHttpFilters;
    if (!filter) throw new Error('DFP returns its listener filter');
    const config = (filter.typed_config as { dns_cache_config: Record<string, unknown> }).dns_cache_config;
    config.dns_lookup_family = 'V4_ONLY';

    // Act
    const run = await validateBuilt(built);

    // Assess
    expect(run.ok).toBe(false);
    expect(run.output).toContain('with different settings');
  });
});
