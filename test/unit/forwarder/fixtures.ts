// Recorded list and watch responses (fixtures/*.json, in the shapes kube-apiserver sends) and
// builders for the forwarder tests.

import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { silentLogger } from '../../../services/common/log.ts';
import { ForwarderMetrics } from '../../../services/forwarder/forwarder-metrics.ts';
import { KindInformer, type Observation } from '../../../services/forwarder/kind-informer.ts';
import { collectionPath, WATCHED_KINDS, type WatchedKind } from '../../../shared/pipeline/watched-kinds.ts';

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

export function kind(name: string): WatchedKind {
  const found = WATCHED_KINDS.find((k) => k.name === name);
  if (!found) throw new Error(`no watched kind ${name}`);
  return found;
}

export const HTTPROUTE = kind('HTTPRoute');
export const SERVICE = kind('Service');
export const SECRET = kind('Secret');
export const ROUTES_PATH = collectionPath(HTTPROUTE);
export const SERVICES_PATH = collectionPath(SERVICE);
export const SECRETS_PATH = collectionPath(SECRET);

export function kubeConfigFor(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server, skipTLSVerify: true }],
    users: [{ name: 'forwarder', token: 'test-token' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'forwarder' }],
    currentContext: 'fake',
  });
  return kc;
}

export const FAST_BACKOFF = { baseMs: 20, maxMs: 80 };

/** An informer on the fake server that records what it observes. */
export function informerOn(
  server: string,
  watched: WatchedKind,
  options: { pageSize?: number; metrics?: ForwarderMetrics } = {},
): { informer: KindInformer; seen: Observation[]; metrics: ForwarderMetrics } {
  const seen: Observation[] = [];
  const metrics = options.metrics ?? new ForwarderMetrics();
  const informer = new KindInformer({
    kubeConfig: kubeConfigFor(server),
    kind: watched,
    backoff: FAST_BACKOFF,
    onChange: (o) => seen.push(o),
    log: silentLogger,
    metrics,
    pageSize: options.pageSize,
  });
  return { informer, seen, metrics };
}

/** `<change> <name>@<resourceVersion>` of each observation, for compact assertions. */
export function summary(seen: readonly Observation[]): string[] {
  return seen.map(
    (o) =>
      `${o.origin} ${o.change} ${o.object.metadata.name}@${o.resourceVersion ?? o.object.metadata.resourceVersion}`,
  );
}

/** A copy of the recorded route list at another resourceVersion, with `items` replaced. */
export function routeList(resourceVersion: string, items: unknown[]): Record<string, unknown> {
  const list = fixture('httproutes-list.json');
  return { ...list, metadata: { resourceVersion }, items };
}
