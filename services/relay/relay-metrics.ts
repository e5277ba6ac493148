// The relay's metric instruments, named once here so /metrics, tests and the bench agree.

import { type Counter, type Gauge, MetricsRegistry } from './metrics.ts';

export class RelayMetrics {
  readonly registry: MetricsRegistry;
  readonly streamsOpened: Counter;
  readonly responsesSent: Counter;
  readonly acks: Counter;
  readonly nacks: Counter;
  readonly staleNonces: Counter;
  readonly ackTimeouts: Counter;
  readonly unknownTypes: Counter;
  readonly encodes: Counter;
  readonly resourceEncodes: Counter;
  readonly snapshotVersion: Gauge;
  readonly snapshotLoads: Counter;
  readonly snapshotLoadFailures: Counter;
  readonly nackReports: Counter;
  readonly streamsDenied: Counter;
  readonly nackEvents: Counter;
  readonly parentResponses: Counter;
  readonly parentNacks: Counter;
  readonly parentStreamErrors: Counter;

  constructor(registry = new MetricsRegistry()) {
    this.registry = registry;
    const p = 'fleetplane_relay_';
    this.streamsOpened = registry.counter(`${p}streams_opened_total`, 'ADS streams opened, by protocol.');
    this.responsesSent = registry.counter(
      `${p}responses_sent_total`,
      'Discovery responses sent, by protocol and type.',
    );
    this.acks = registry.counter(`${p}acks_total`, 'Responses acknowledged by clients, by type.');
    this.nacks = registry.counter(
      `${p}nacks_total`,
      'Responses rejected by clients (error_detail), by type.',
    );
    this.staleNonces = registry.counter(
      `${p}stale_nonces_total`,
      'Requests ignored because their response_nonce was not the latest sent, by type.',
    );
    this.ackTimeouts = registry.counter(
      `${p}ack_timeouts_total`,
      'Responses left unanswered past the ACK timeout (later types were then sent anyway), by type.',
    );
    this.unknownTypes = registry.counter(
      `${p}unknown_type_requests_total`,
      'Requests for type URLs the relay does not serve.',
    );
    this.encodes = registry.counter(
      `${p}encodes_total`,
      'Response encodings built, by type: one per type per snapshot version, shared by every stream.',
    );
    this.resourceEncodes = registry.counter(
      `${p}resource_encodes_total`,
      'Resources decoded and encoded, by type (unchanged resources are reused from the previous version).',
    );
    this.snapshotVersion = registry.gauge(
      `${p}snapshot_version`,
      'Snapshot version served, by node cluster (<clusterId>/<ns>/<gateway>).',
    );
    this.snapshotLoads = registry.counter(
      `${p}snapshot_loads_total`,
      'Snapshot versions loaded, by node cluster.',
    );
    this.snapshotLoadFailures = registry.counter(
      `${p}snapshot_load_failures_total`,
      'Snapshot versions that failed to load (the last good one stays), by node cluster and reason.',
    );
    this.nackReports = registry.counter(
      `${p}nack_reports_total`,
      'NACKs reported (by downstream proxies, or by this relay of its parent), by node cluster and type.',
    );
    this.streamsDenied = registry.counter(
      `${p}streams_denied_total`,
      'ADS streams refused with PERMISSION_DENIED, by reason: no-identity (no client certificate) or not-authorized.',
    );
    this.nackEvents = registry.counter(
      `${p}nack_events_total`,
      'NACKs offered to the event bus, by outcome: sent, duplicate (same node, type and version), ' +
        'version-capped (enough nodes already reported that version), rate-limited, queue-full, invalid, failed.',
    );
    this.parentResponses = registry.counter(
      `${p}parent_responses_total`,
      'Responses received from the parent relay, by type.',
    );
    this.parentNacks = registry.counter(
      `${p}parent_nacks_total`,
      'Parent responses this relay rejected (NACKed with error_detail), by type.',
    );
    this.parentStreamErrors = registry.counter(
      `${p}parent_stream_errors_total`,
      'ADS streams to the parent relay that ended or failed to open, by gRPC status code.',
    );
  }
}
