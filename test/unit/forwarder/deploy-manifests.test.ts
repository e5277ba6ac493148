// deploy/ against the watched kinds: the forwarder's ClusterRole grants get/list/watch on exactly
// them and nothing more, and the audit policy logs exactly their writes (Secrets excepted) at
// RequestResponse, without RequestReceived, and ends with `level: None`. Also the kubeconfig
// checks of the forwarder.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ForwarderConfigError } from '../../../services/forwarder/errors.ts';
import { loadKubeConfig } from '../../../services/forwarder/kube-api.ts';
import { WATCHED_KINDS } from '../../../shared/pipeline/watched-kinds.ts';

const deploy = (file: string) => readFileSync(new URL(`../../../deploy/${file}`, import.meta.url), 'utf8');

type Rule = { apiGroups?: string[]; resources?: string[]; verbs?: string[] };
type AuditRule = {
  level: string;
  verbs?: string[];
  resources?: Array<{ group: string; resources: string[] }>;
};

const pairs = (entries: Array<[string, string]>) => entries.map(([g, r]) => `${g}/${r}`).sort();

describe('deploy/forwarder.yaml', () => {
  const docs = parseAllDocuments(deploy('forwarder.yaml')).map((d) => d.toJS());
  const byKind = (kind: string) => docs.filter((d) => d?.kind === kind);

  it('grants get, list and watch on exactly the watched kinds', () => {
    const [role] = byKind('ClusterRole');
    const rules = role.rules as Rule[];
    for (const rule of rules) expect(rule.verbs).toEqual(['get', 'list', 'watch']);
    const granted = rules.flatMap((r) =>
      (r.apiGroups ?? []).flatMap((g) => (r.resources ?? []).map((res) => [g, res] as [string, string])),
    );
    expect(pairs(granted)).toEqual(pairs(WATCHED_KINDS.map((k) => [k.group, k.plural])));
  });

  it('binds the role to the Deployment service account and runs the forwarder with probes on the metrics port', () => {
    const [binding] = byKind('ClusterRoleBinding');
    const [account] = byKind('ServiceAccount');
    const [deployment] = byKind('Deployment');
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: account.metadata.name, namespace: account.metadata.namespace },
    ]);
    const pod = deployment.spec.template.spec;
    expect(pod.serviceAccountName).toBe(account.metadata.name);
    const [container] = pod.containers;
    expect(container.args[0]).toBe('forwarder');
    expect(container.args).toContain('--metrics-addr=:9100');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    // The shutdown flush (20 s) must fit the grace period.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(20);
  });
});

describe('deploy/audit-policy.yaml', () => {
  const policy = parse(deploy('audit-policy.yaml')) as {
    kind: string;
    omitStages: string[];
    rules: AuditRule[];
  };

  it('logs the writes of every watched kind but Secrets at RequestResponse, then nothing else', () => {
    expect(policy.kind).toBe('Policy');
    expect(policy.omitStages).toEqual(['RequestReceived']);
    expect(policy.rules).toHaveLength(2);
    const [writes, rest] = policy.rules;
    expect(writes?.level).toBe('RequestResponse');
    expect(writes?.verbs).toEqual(['create', 'update', 'patch', 'delete']);
    const logged = (writes?.resources ?? []).flatMap((r) =>
      r.resources.map((res) => [r.group, res] as [string, string]),
    );
    expect(pairs(logged)).toEqual(
      pairs(WATCHED_KINDS.filter((k) => k.kind !== 'Secret').map((k) => [k.group, k.plural])),
    );
    // No subresources (`httproutes/status`) and no wildcards.
    expect(logged.every(([, res]) => !res.includes('/') && res !== '*')).toBe(true);
    expect(rest).toEqual({ level: 'None' });
  });
});

describe('deploy/audit-webhook-kubeconfig.example.yaml', () => {
  it('points at an https Function URL and authenticates with a bearer token', () => {
    const config = parse(deploy('audit-webhook-kubeconfig.example.yaml'));
    expect(config.clusters[0].cluster.server).toMatch(
      /^https:\/\/[a-z0-9]+\.lambda-url\.[a-z0-9-]+\.on\.aws\/$/,
    );
    expect(config.users[0].user.token).toBeTypeOf('string');
    expect(config['current-context']).toBe('fleetplane');
  });
});

describe('loadKubeConfig', () => {
  const write = (text: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'kubeconfig-')), 'config');
    writeFileSync(file, text);
    return file;
  };

  it('refuses a plain-HTTP server without insecure-skip-tls-verify, naming the file and cluster', () => {
    const file = write(
      'apiVersion: v1\nkind: Config\nclusters:\n- name: dev\n  cluster:\n    server: http://127.0.0.1:8080\nusers:\n- name: u\n  user: {}\ncontexts:\n- name: c\n  context: {cluster: dev, user: u}\ncurrent-context: c\n',
    );
    expect(() => loadKubeConfig(file)).toThrow(ForwarderConfigError);
    expect(() => loadKubeConfig(file)).toThrow(
      `--kubeconfig ${file}: cluster dev has server http://127.0.0.1:8080 over plain HTTP`,
    );
  });

  it('refuses a kubeconfig without a current cluster', () => {
    const file = write('apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n');
    expect(() => loadKubeConfig(file)).toThrow(/has no current cluster/);
  });
});
