// The forwarder process: one informer per watched kind (per namespace when namespaces are given)
// feeding the change batcher, a Collection Listed event after every successful list (so the
// pipeline drops objects deleted while nothing watched), a periodic resync of every cached object
// (`origin: resync`), and the metrics endpoint. `startForwarder` wires them and returns a handle; `stop()` stops the
// informers first, then sends what is pending (the SIGTERM flush).

import type { KubeConfig } from '@kubernetes/client-node';
import type { WatchedKind } from '../../shared/pipeline/watched-kinds.ts';
import type { ClaimCheck } from '../../shared/ports/claim-check.ts';
import type { EventPublisher } from '../../shared/ports/event-publisher.ts';
import type { SecretSink } from '../../shared/ports/secret-sink.ts';
import { jsonLogger, type Logger } from '../common/log.ts';
import type { HostPort } from '../relay/options.ts';
import type { Backoff } from './backoff.ts';
import { ChangeBatcher } from './change-batcher.ts';
import { ForwarderConfigError } from './errors.ts';
import { ForwarderMetrics } from './forwarder-metrics.ts';
import { KindInformer, type Listing, type Observation } from './kind-informer.ts';
import { type RunningMetricsServer, startMetricsServer } from './metrics-server.ts';

/**
 * Secret types no Gateway, Backend or policy references: service account tokens, bootstrap
 * tokens, and Helm release records (large, and holding whole rendered releases). Excluded
 * server-side, so they are never listed, cached or stored in Secrets Manager.
 */
export const SECRET_FIELD_SELECTOR = [
  'type!=kubernetes.io/service-account-token',
  'type!=bootstrap.kubernetes.io/token',
  'type!=helm.sh/release.v1',
].join(',');

export interface ForwarderOptions {
  clusterId: string;
  kubeConfig: KubeConfig;
  kinds: readonly WatchedKind[];
  /** Watch these namespaces only; every namespace when empty or absent. */
  namespaces?: readonly string[];
  publisher: EventPublisher;
  /** For objects above the claim-check threshold; without it they are counted as failed. */
  claimCheck?: ClaimCheck;
  /** Where Secret data goes; required when Secrets are watched. */
  secretSink?: SecretSink;
  /** Interval of resync events; 0 turns them off. Default 10 min. */
  resyncIntervalMs?: number;
  /** How long a change may wait for others before it is sent. Default 1 s. */
  flushIntervalMs?: number;
  /** Informer restarts and send retries. Default 1 s doubling to 30 s, jittered. */
  backoff?: Backoff;
  /** How long stop() keeps retrying pending changes. Default 20 s (Kubernetes gives 30 s). */
  shutdownTimeoutMs?: number;
  /** Prometheus /metrics, /healthz, /readyz; none when absent. */
  metricsListen?: HostPort;
  /** Items per list page. Default 500. */
  pageSize?: number;
  log?: Logger;
  metrics?: ForwarderMetrics;
  now?: () => Date;
  random?: () => number;
}

export interface RunningForwarder {
  readonly informers: readonly KindInformer[];
  readonly metrics: ForwarderMetrics;
  readonly metricsAddress: HostPort | undefined;
  /** Changes waiting to be sent. */
  pending(): number;
  ready(): { ready: boolean; reason?: string };
  /** Enqueues a resync event for every cached object now; returns how many. */
  resync(): number;
  flush(): Promise<void>;
  stop(): Promise<{ unsent: number }>;
}

export async function startForwarder(options: ForwarderOptions): Promise<RunningForwarder> {
  const log = options.log ?? jsonLogger();
  const metrics = options.metrics ?? new ForwarderMetrics();
  const backoff = options.backoff ?? { baseMs: 1000, maxMs: 30_000 };
  if (options.kinds.some((k) => k.group === '' && k.kind === 'Secret') && !options.secretSink) {
    throw new ForwarderConfigError('watching Secrets needs a secret sink: values must not travel on the bus');
  }

  const batcher = new ChangeBatcher({
    clusterId: options.clusterId,
    publisher: options.publisher,
    mapping: { claimCheck: options.claimCheck, secretSink: options.secretSink },
    metrics,
    log,
    flushIntervalMs: options.flushIntervalMs ?? 1000,
    backoff,
    now: options.now,
    random: options.random,
  });
  metrics.queueDepth(() => batcher.size);
  const observe = (o: Observation) => {
    metrics.observed.inc({ kind: o.kind.name, origin: o.origin, change: o.change });
    batcher.enqueue(o);
  };
  const listed = (l: Listing) => {
    log.info('collection listed', {
      kind: l.kind.name,
      namespace: l.namespace ?? 'all',
      resourceVersion: l.resourceVersion,
      objects: l.names.length,
    });
    batcher.enqueueListing(l);
  };

  const namespaces = options.namespaces?.length ? options.namespaces : [undefined];
  const informers = options.kinds.flatMap((kind) =>
    (kind.namespaced ? namespaces : [undefined]).map(
      (namespace) =>
        new KindInformer({
          kubeConfig: options.kubeConfig,
          kind,
          namespace,
          fieldSelector: kind.group === '' && kind.kind === 'Secret' ? SECRET_FIELD_SELECTOR : undefined,
          backoff,
          onChange: observe,
          onListed: listed,
          log,
          metrics,
          pageSize: options.pageSize,
          random: options.random,
          now: options.now,
        }),
    ),
  );

  const now = () => options.now?.() ?? new Date();
  const resync = () => {
    let count = 0;
    for (const informer of informers) {
      if (!informer.synced) continue;
      for (const object of informer.cached()) {
        observe({ kind: informer.kind, change: 'UPSERT', origin: 'resync', object, observedAt: now() });
        count++;
      }
    }
    log.info('resync', { objects: count });
    return count;
  };

  const ready = () => {
    const waiting = informers.filter((i) => !i.synced && i.state !== 'notServed');
    return waiting.length === 0
      ? { ready: true }
      : { ready: false, reason: `not yet listed: ${waiting.map((i) => i.path).join(', ')}` };
  };

  let server: RunningMetricsServer | undefined;
  if (options.metricsListen) {
    server = await startMetricsServer(options.metricsListen, {
      metrics: () => metrics.registry.render(),
      ready,
    });
  }

  for (const informer of informers) informer.start();
  const resyncMs = options.resyncIntervalMs ?? 10 * 60_000;
  const resyncTimer = resyncMs > 0 ? setInterval(resync, resyncMs) : undefined;
  log.info('forwarder started', {
    clusterId: options.clusterId,
    kinds: options.kinds.map((k) => `${k.name}/${k.version}`),
    namespaces: options.namespaces?.length ? options.namespaces : 'all',
    metrics: server?.address,
  });

  let stopping: Promise<{ unsent: number }> | undefined;
  return {
    informers,
    metrics,
    metricsAddress: server?.address,
    pending: () => batcher.size,
    ready,
    resync,
    flush: () => batcher.flush(),
    stop: () => {
      stopping ??= (async () => {
        clearInterval(resyncTimer);
        await Promise.all(informers.map((i) => i.stop()));
        const result = await batcher.close(options.shutdownTimeoutMs ?? 20_000);
        await server?.close();
        log.info('forwarder stopped', result);
        return result;
      })();
      return stopping;
    },
  };
}
