// The `--authz` policy: which client identities may read which gateways, how a bad policy file is
// reported (every problem at once, each with its place in the file), and how a stream applies it
// to the node of its first request.

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StreamAccess } from '../../../services/relay/ads/ads-stream.ts';
import { DeltaStream } from '../../../services/relay/ads/delta-stream.ts';
import { SotwStream } from '../../../services/relay/ads/sotw-stream.ts';
import { AuthzPolicy } from '../../../services/relay/authz.ts';
import { RelayConfigError } from '../../../services/relay/errors.ts';
import { TypeUrl } from '../../../shared/xds/types.ts';
import {
  cluster,
  FakeTransport,
  NODE,
  NODE_CLUSTER,
  resources,
  sourceSnapshot,
  testEnv,
} from './fixtures.ts';

const EDGE = 'spiffe://fleet/ns/infra/sa/edge';

const policy = AuthzPolicy.parse(
  `
${EDGE}: [c1/infra/edge, c2/infra/edge]
relay-eu.fleet.internal: ["*/*/*"]
ops: ["c1/*/*"]
`,
  'authz.yaml',
);

describe('AuthzPolicy.allows', () => {
  it.each([
    [[EDGE], 'c1/infra/edge', true],
    [[EDGE], 'c2/infra/edge', true],
    [[EDGE], 'c1/infra/other', false],
    [[EDGE], 'c3/infra/edge', false],
    [['relay-eu.fleet.internal'], 'any/thing/here', true],
    [['ops'], 'c1/apps/web', true],
    [['ops'], 'c2/apps/web', false],
    [['stranger', EDGE], 'c1/infra/edge', true],
    [['stranger'], 'c1/infra/edge', false],
    [[], 'c1/infra/edge', false],
    [[EDGE], 'c1/infra', false],
    [[EDGE], 'c1/infra/edge/extra', false],
  ] as const)('%j reading %s → %s', (identities, nodeCluster, allowed) => {
    expect(policy.allows(identities, nodeCluster)).toBe(allowed);
  });

  it('grants "*" to every client with a verified identity, but never to one without', () => {
    // Prepare
    const open = AuthzPolicy.parse('{"*": ["c1/infra/*"]}', 'open.json');

    // Act + Assess
    expect(open.allows(['anyone'], 'c1/infra/edge')).toBe(true);
    expect(open.allows(['anyone'], 'c2/infra/edge')).toBe(false);
    expect(open.allows([], 'c1/infra/edge')).toBe(false);
  });
});

describe('AuthzPolicy.parse', () => {
  it('lists every bad entry with its path in the file', () => {
    // Act
    let error: unknown;
    try {
      AuthzPolicy.parse(
        JSON.stringify({ a: ['c1/infra'], b: 'c1/infra/edge', c: ['c1/in*/edge', 7], ' ': [] }),
        'bad.json',
      );
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(RelayConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/^--authz bad\.json:/);
    expect(message).toContain('["a"][0]: "c1/infra" is not <clusterId>/<namespace>/<gateway>');
    expect(message).toContain('["b"]: expected a list of <clusterId>/<namespace>/<gateway>');
    expect(message).toContain('["c"][0]: "c1/in*/edge" is not');
    expect(message).toContain('["c"][1]: 7 is not');
    expect(message).toContain('[" "]: an empty identity');
  });

  it('refuses a document that is not a map, and text that is not YAML', () => {
    expect(() => AuthzPolicy.parse('- c1/infra/edge', 'list.yaml')).toThrow(
      /^--authz list\.yaml: expected a map of identity to gateways/,
    );
    expect(() => AuthzPolicy.parse('a: [b', 'broken.yaml')).toThrow(
      /^--authz broken\.yaml: not JSON or YAML/,
    );
  });

  it('loads a file, and names a missing one', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'fleetplane-authz-'));
    const file = join(dir, 'authz.yaml');
    await writeFile(file, `${EDGE}: [c1/infra/edge]\n`);

    // Act
    const loaded = await AuthzPolicy.load(file);

    // Assess
    expect(loaded.allows([EDGE], 'c1/infra/edge')).toBe(true);
    await expect(AuthzPolicy.load(join(dir, 'missing.yaml'))).rejects.toThrow(
      /^--authz .*missing\.yaml: ENOENT/,
    );
  });
});

describe('a stream with an authorization policy', () => {
  const streamPolicy = AuthzPolicy.parse(`${EDGE}: [${NODE_CLUSTER}]\n`, 'authz.yaml');
  const access = (identities: string[]): StreamAccess => ({
    identities,
    allows: (nodeCluster) => streamPolicy.allows(identities, nodeCluster),
  });

  function open(protocol: 'sotw' | 'delta', identities: string[]) {
    const env = testEnv({ authz: streamPolicy });
    env.cache.accept(sourceSnapshot(1, resources({ clusters: [cluster('a')] })));
    const transport = new FakeTransport();
    const a = access(identities);
    if (protocol === 'sotw') {
      const stream = new SotwStream(env, transport, 'peer', a);
      stream.handle({
        node: NODE,
        typeUrl: TypeUrl.Cluster,
        versionInfo: '',
        resourceNames: [],
        responseNonce: '',
      });
      return { env, transport, stream };
    }
    const stream = new DeltaStream(env, transport, 'peer', a);
    stream.handle({
      node: NODE,
      typeUrl: TypeUrl.Cluster,
      subscribe: [],
      unsubscribe: [],
      initialResourceVersions: {},
      responseNonce: '',
    });
    return { env, transport, stream };
  }

  it.each(['sotw', 'delta'] as const)('serves a granted identity (%s)', (protocol) => {
    // Act
    const { transport, stream } = open(protocol, [EDGE]);

    // Assess
    expect(transport.failures).toEqual([]);
    expect(transport.written).toHaveLength(1);
    expect(stream.describe()).toMatchObject({ status: 'serving', identities: [EDGE] });
  });

  it.each(['sotw', 'delta'] as const)(
    'ends the stream with PERMISSION_DENIED naming node.cluster and identity, and counts it (%s)',
    (protocol) => {
      // Act
      const { env, transport, stream } = open(protocol, ['spiffe://fleet/ns/other/sa/x']);
      stream.handle({
        node: NODE,
        typeUrl: TypeUrl.Cluster,
        versionInfo: '',
        resourceNames: [],
        responseNonce: '',
      } as never);

      // Assess
      expect(transport.written).toEqual([]);
      expect(transport.failures).toEqual([
        {
          code: 7,
          message:
            `client identity spiffe://fleet/ns/other/sa/x may not read node.cluster ${NODE_CLUSTER}: ` +
            "the relay's authorization policy does not grant it",
        },
      ]);
      expect(stream.describe().status).toBe('denied');
      expect(
        env.metrics.registry.value('fleetplane_relay_streams_denied_total', { reason: 'not-authorized' }),
      ).toBe(1);
    },
  );

  it('says so when the certificate carries no identity at all', () => {
    // Act
    const { env, transport } = open('sotw', []);

    // Assess
    expect(transport.failures[0]?.message).toMatch(
      /^a client certificate with no URI SAN, DNS SAN or CN may not read/,
    );
    expect(
      env.metrics.registry.value('fleetplane_relay_streams_denied_total', { reason: 'no-identity' }),
    ).toBe(1);
  });
});
