// The ADS → file config-source rewrite, and the file names it points at.

import { describe, expect, it } from 'vitest';
import { agentLayout, resourceFileName, secretFilePath } from '../../../services/agent/file-layout.ts';
import {
  type ConfigSourceTargets,
  rewriteConfigSources,
} from '../../../services/agent/rewrite-config-sources.ts';
import { sdsFileName } from '../../../shared/xds/names.ts';
import { type JsonObject, TypeUrl } from '../../../shared/xds/types.ts';
import { cluster, hcm, listener } from './fixtures.ts';

const targets: ConfigSourceTargets = {
  eds: (name) => ({ path: `/out/eds/${name}.pb` }),
  rds: (name) => ({ path: `/out/rds/${name}.pb` }),
  sds: (name) => ({ path: `/secrets/${name}.yaml`, watchedDirectory: '/secrets' }),
};

function rewritten(resource: JsonObject): JsonObject {
  const result = rewriteConfigSources(resource, targets);
  if (!result.valid) throw new Error(result.errors.join('\n'));
  return result.resource;
}

describe('rewriteConfigSources', () => {
  it('points an HCM in every filter chain at the RDS file of its route config, keeping other fields', () => {
    // Prepare
    const input = listener('l', 8080, 'r1');
    const withTimeout = hcm('r2');
    const typed = withTimeout.typed_config as JsonObject;
    (typed.rds as JsonObject).config_source = {
      ads: {},
      initial_fetch_timeout: '3s',
      resource_api_version: 'V3',
    };
    input.default_filter_chain = { filters: [withTimeout] };

    // Act
    const result = rewriteConfigSources(input, targets);

    // Assess
    expect(result).toMatchObject({ valid: true, changed: true });
    const out = rewritten(input) as {
      filter_chains: Array<{ filters: Array<{ typed_config: { rds: JsonObject } }> }>;
      default_filter_chain: { filters: Array<{ typed_config: { rds: JsonObject } }> };
    };
    expect(out.filter_chains[0]?.filters[0]?.typed_config.rds).toEqual({
      route_config_name: 'r1',
      config_source: { path_config_source: { path: '/out/rds/r1.pb' }, resource_api_version: 'V3' },
    });
    expect(out.default_filter_chain.filters[0]?.typed_config.rds.config_source).toEqual({
      initial_fetch_timeout: '3s',
      path_config_source: { path: '/out/rds/r2.pb' },
      resource_api_version: 'V3',
    });
    if (result.valid)
      expect(result.references.map((r) => [r.kind, r.name, r.fieldPath])).toEqual([
        ['rds', 'r1', 'filter_chains[0].filters[0].typed_config.rds.config_source'],
        ['rds', 'r2', 'default_filter_chain.filters[0].typed_config.rds.config_source'],
      ]);
  });

  it('points an EDS cluster at the file of its service_name, or of its own name', () => {
    // Prepare
    const named = cluster('kube_ns_svc_80');
    const aliased = cluster('alias');
    (aliased.eds_cluster_config as JsonObject).service_name = 'shared-endpoints';

    // Act
    const [a, b] = [rewritten(named), rewritten(aliased)];

    // Assess
    expect(a.eds_cluster_config).toEqual({
      eds_config: { path_config_source: { path: '/out/eds/kube_ns_svc_80.pb' }, resource_api_version: 'V3' },
    });
    expect(b.eds_cluster_config).toEqual({
      service_name: 'shared-endpoints',
      eds_config: {
        path_config_source: { path: '/out/eds/shared-endpoints.pb' },
        resource_api_version: 'V3',
      },
    });
  });

  it('points SDS secret configs at the secret files, watching their directory for symlink swaps', () => {
    // Prepare: an upstream TLS context with a CA bundle from SDS.
    const tls: JsonObject = {
      ...cluster('tls'),
      transport_socket: {
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
          common_tls_context: {
            validation_context_sds_secret_config: {
              name: 'configmap/apps/ca#ca.crt',
              sds_config: { ads: {}, resource_api_version: 'V3' },
            },
          },
        },
      },
    };

    // Act
    const out = rewritten(tls) as {
      transport_socket: {
        typed_config: { common_tls_context: { validation_context_sds_secret_config: JsonObject } };
      };
    };

    // Assess
    expect(out.transport_socket.typed_config.common_tls_context.validation_context_sds_secret_config).toEqual(
      {
        name: 'configmap/apps/ca#ca.crt',
        sds_config: {
          path_config_source: {
            path: '/secrets/configmap/apps/ca#ca.crt.yaml',
            watched_directory: { path: '/secrets' },
          },
          resource_api_version: 'V3',
        },
      },
    );
  });

  it('leaves non-ADS config sources and resources without references untouched', () => {
    // Prepare
    const grpc = cluster('grpc-eds');
    (grpc.eds_cluster_config as JsonObject).eds_config = {
      api_config_source: { api_type: 'GRPC', grpc_services: [{ envoy_grpc: { cluster_name: 'xds' } }] },
    };
    const plain: JsonObject = {
      '@type': TypeUrl.ClusterLoadAssignment,
      cluster_name: 'x',
      endpoints: [{ metadata: { filter_metadata: { any: { ads: {} } } } }],
    };

    // Act
    const results = [rewriteConfigSources(grpc, targets), rewriteConfigSources(plain, targets)];

    // Assess
    expect(results).toEqual([
      { valid: true, resource: grpc, changed: false, references: [] },
      { valid: true, resource: plain, changed: false, references: [] },
    ]);
  });

  it('refuses an ADS source with no file equivalent, naming the field path', () => {
    // Prepare: an ECDS-configured HTTP filter.
    const input = listener('l', 8080, 'r1');
    const chain = (input.filter_chains as JsonObject[])[0] as JsonObject;
    const typed = (chain.filters as JsonObject[])[0]?.typed_config as JsonObject;
    typed.http_filters = [
      { name: 'ext', config_discovery: { config_source: { ads: {} }, type_urls: ['type.googleapis.com/x'] } },
    ];

    // Act
    const result = rewriteConfigSources(input, targets);

    // Assess
    expect(result).toEqual({
      valid: false,
      errors: [
        'l: filter_chains[0].filters[0].typed_config.http_filters[0].config_discovery.config_source: ADS config source with no file-based equivalent',
      ],
    });
  });

  it('does not modify its input', () => {
    // Prepare
    const input = cluster('c');
    const before = structuredClone(input);

    // Act
    rewriteConfigSources(input, targets);

    // Assess
    expect(input).toEqual(before);
  });
});

describe('agent file names', () => {
  it('names operator secret files exactly as `translate --to bootstrap` does', () => {
    // Prepare
    const layout = agentLayout('/out', '/secrets');
    const refs = [
      { kind: 'Secret', namespace: 'apps', name: 'tls' },
      { kind: 'ConfigMap', namespace: 'apps', name: 'ca', key: 'ca.crt' },
    ] as const;

    // Act
    const paths = refs.map((ref) =>
      secretFilePath(
        layout,
        `${ref.kind.toLowerCase()}/${ref.namespace}/${ref.name}${'key' in ref ? `#${ref.key}` : ''}`,
      ),
    );

    // Assess
    expect(paths).toEqual(refs.map((ref) => `/secrets/${sdsFileName(ref)}`));
  });

  it('keeps resource names from escaping their folder or hiding, and bounds their length', () => {
    // Act
    const names = ['kube_ns_svc_80', '../../etc/passwd', '.hidden', 'x'.repeat(400)].map(resourceFileName);

    // Assess
    expect(names[0]).toBe('kube_ns_svc_80.pb');
    expect(names[1]).toBe('%2E.%2F..%2Fetc%2Fpasswd.pb');
    expect(names[2]).toBe('%2Ehidden.pb');
    expect(names[3]?.length).toBeLessThan(220);
    for (const name of names) {
      expect(name).not.toContain('/');
      expect(name.startsWith('.')).toBe(false);
    }
    expect(resourceFileName('x'.repeat(400))).not.toBe(resourceFileName(`${'x'.repeat(399)}y`));
  });
});
