// Port: where NACKs go beyond the stream that received them. Every NACK a downstream proxy sends,
// and every parent response this relay rejects, becomes one `NackReport`. The default reporter logs
// and counts it per gateway; the pipeline's reporter (an event on the bus that ends up as a status
// condition on the Gateway) implements the same interface and is passed to `startRelay` as
// `nackReporter` (cli/relay-security.ts builds it from `--nack-event-bus`).

import type { RelayNackDetail } from '../../shared/pipeline/relay-events.ts';
import type { Logger } from '../common/log.ts';
import { shortType } from './ads/resource-types.ts';
import type { RelayMetrics } from './relay-metrics.ts';

/**
 * One NACK: the gateway, the node that rejected the config (or this relay, rejecting its parent's
 * response), the type URL, the rejected `version_info`, the client's `error_detail.message`, and
 * when it arrived (ISO 8601). The same shape as the bus event's detail (relay-events.ts).
 */
export type NackReport = RelayNackDetail;

export interface NackReporter {
  /**
   * Called once per NACK, on the stream's turn of the event loop: it must not block. Many proxies
   * of one gateway usually reject the same version, so a reporter that sends events should
   * coalesce by (gateway, type, version). A rejected promise is logged, never retried here.
   */
  report(nack: NackReport): void | Promise<void>;
  /** Sends what is still pending; the relay calls it when it stops. */
  close?(): Promise<void>;
}

/** Reports every NACK to each reporter in turn (the log and counter, then the bus). */
export function allNackReporters(reporters: readonly NackReporter[], log: Logger): NackReporter {
  return {
    report(nack) {
      for (const reporter of reporters) reportSafely(reporter, nack, log);
    },
    async close() {
      await Promise.all(reporters.map((r) => r.close?.()));
    },
  };
}

/** The default: one warning per NACK and `fleetplane_relay_nack_reports_total` per gateway and type. */
export class LogNackReporter implements NackReporter {
  constructor(private readonly options: { log: Logger; metrics: RelayMetrics }) {}

  report(nack: NackReport): void {
    const nodeCluster = `${nack.clusterId}/${nack.gateway.namespace}/${nack.gateway.name}`;
    const type = shortType(nack.typeUrl);
    this.options.metrics.nackReports.inc({ node_cluster: nodeCluster, type });
    this.options.log.warn('NACK: a client rejected a config version; it will not be resent to it', {
      nodeCluster,
      nodeId: nack.nodeId,
      type,
      version: nack.version,
      error: nack.message,
    });
  }
}

/** Calls `reporter` without letting it throw into the caller (a stream's request handler). */
export function reportSafely(reporter: NackReporter, nack: NackReport, log: Logger): void {
  const failed = (error: unknown) =>
    log.error('NACK reporter failed; the NACK is counted but not reported', {
      nodeId: nack.nodeId,
      type: shortType(nack.typeUrl),
      version: nack.version,
      error,
    });
  try {
    const pending = reporter.report(nack);
    if (pending) pending.catch(failed);
  } catch (error) {
    failed(error);
  }
}
