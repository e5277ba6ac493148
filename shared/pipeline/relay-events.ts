// The event a relay puts on the bus when a proxy rejects (NACKs) a config version, which the
// pipeline turns into a status condition on the Gateway; and the throttle that keeps a NACK storm
// (every proxy of a gateway rejecting the same version, again on each reconnect) off the bus.
//
// Source and detail-type are the pipeline's (definition.ts), so the rule that consumes the event
// and the relay that sends it cannot drift. The detail is one NACK, as the relay saw it.

import { z } from 'zod';
import type { OutboundEvent } from '../ports/event-publisher.ts';
import { NACK_DETAIL_TYPE, PROXY_EVENT_SOURCE } from './definition.ts';

export const RELAY_NACK_SOURCE = PROXY_EVENT_SOURCE;
export const RELAY_NACK_DETAIL_TYPE = NACK_DETAIL_TYPE;

/**
 * Envoy's `error_detail.message` can list every rejected resource; the event keeps the first 4 KiB
 * (plenty to name the field) so it stays far below PutEvents' 256 KiB.
 */
export const NACK_MESSAGE_MAX_CHARS = 4096;
const TRUNCATED = ' … (truncated)';

export const RelayNackDetailSchema = z.object({
  clusterId: z.string().min(1),
  gateway: z.object({ namespace: z.string().min(1), name: z.string().min(1) }),
  /** The proxy that rejected the config (`node.id`), or a relay rejecting its parent's response. */
  nodeId: z.string(),
  /** e.g. `type.googleapis.com/envoy.config.listener.v3.Listener`. */
  typeUrl: z.string().min(1),
  /** The `version_info` that was rejected (the snapshot version, as a string). */
  version: z.string(),
  /** The client's `error_detail.message`, at most NACK_MESSAGE_MAX_CHARS. */
  message: z.string().max(NACK_MESSAGE_MAX_CHARS),
  /** When the NACK arrived, ISO 8601. */
  at: z.iso.datetime({ offset: true }),
});

export type RelayNackDetail = z.infer<typeof RelayNackDetailSchema>;

/** The event-bus pattern that matches these events (for the pipeline's rule). */
export function relayNackEventPattern(): Record<string, unknown> {
  return { source: [RELAY_NACK_SOURCE], 'detail-type': [RELAY_NACK_DETAIL_TYPE] };
}

/** The PutEvents entry for one NACK; a message over the limit is cut, and the result validated. */
export function relayNackEvent(nack: RelayNackDetail): OutboundEvent {
  const message =
    nack.message.length > NACK_MESSAGE_MAX_CHARS
      ? `${nack.message.slice(0, NACK_MESSAGE_MAX_CHARS - TRUNCATED.length)}${TRUNCATED}`
      : nack.message;
  const detail = RelayNackDetailSchema.parse({
    clusterId: nack.clusterId,
    gateway: { namespace: nack.gateway.namespace, name: nack.gateway.name },
    nodeId: nack.nodeId,
    typeUrl: nack.typeUrl,
    version: nack.version,
    message,
    at: nack.at,
  });
  return {
    source: RELAY_NACK_SOURCE,
    detailType: RELAY_NACK_DETAIL_TYPE,
    detail,
    time: new Date(detail.at),
  };
}

export interface NackEventThrottleOptions {
  /** A (node, type, version) is sent at most once per window. Default 10 min. */
  dedupeWindowMs?: number;
  /**
   * Distinct nodes sent per (gateway, type, version) per window; the rest are counted only. One is
   * enough for the status condition; a few show it is not one odd proxy. Default 5.
   */
  maxNodesPerVersion?: number;
  /** Token bucket over all events: sustained rate and burst. Defaults 10/s and 50. */
  ratePerSecond?: number;
  burst?: number;
  /** Keys remembered at most (oldest forgotten first), so memory stays bounded. Default 10 000. */
  maxKeys?: number;
}

/** Why an event was or was not sent. */
export type NackAdmission = 'send' | 'duplicate' | 'version-capped' | 'rate-limited';

/**
 * Decides, per NACK, whether it becomes an event. Pure apart from the clock it is given, so the
 * rules are unit-tested: dedupe per (node, type, version), a cap of distinct nodes per (gateway,
 * type, version), then a global token bucket.
 */
export class NackEventThrottle {
  readonly #windowMs: number;
  readonly #maxNodes: number;
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxKeys: number;
  /** (node, type, version) → when it was last sent. */
  readonly #sent = new Map<string, number>();
  /** (gateway, type, version) → window start and nodes sent in it. */
  readonly #perVersion = new Map<string, { since: number; nodes: number }>();
  #tokens: number;
  #refilledAt: number | undefined;

  constructor(options: NackEventThrottleOptions = {}) {
    this.#windowMs = options.dedupeWindowMs ?? 10 * 60_000;
    this.#maxNodes = options.maxNodesPerVersion ?? 5;
    this.#rate = options.ratePerSecond ?? 10;
    this.#burst = options.burst ?? 50;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#tokens = this.#burst;
  }

  admit(nack: RelayNackDetail, nowMs: number): NackAdmission {
    const version = `${nack.typeUrl}\u0000${nack.version}`;
    const nodeKey = `${nack.clusterId}/${nack.gateway.namespace}/${nack.gateway.name}\u0000${nack.nodeId}\u0000${version}`;
    const gatewayKey = `${nack.clusterId}/${nack.gateway.namespace}/${nack.gateway.name}\u0000${version}`;

    const last = this.#sent.get(nodeKey);
    if (last !== undefined && nowMs - last < this.#windowMs) return 'duplicate';

    let perVersion = this.#perVersion.get(gatewayKey);
    if (perVersion && nowMs - perVersion.since >= this.#windowMs) perVersion = undefined;
    if (perVersion && perVersion.nodes >= this.#maxNodes) return 'version-capped';

    this.#refill(nowMs);
    if (this.#tokens < 1) return 'rate-limited';
    this.#tokens -= 1;

    remember(this.#sent, nodeKey, nowMs, this.#maxKeys);
    remember(
      this.#perVersion,
      gatewayKey,
      { since: perVersion?.since ?? nowMs, nodes: (perVersion?.nodes ?? 0) + 1 },
      this.#maxKeys,
    );
    return 'send';
  }

  #refill(nowMs: number): void {
    if (this.#refilledAt !== undefined)
      this.#tokens = Math.min(this.#burst, this.#tokens + ((nowMs - this.#refilledAt) / 1000) * this.#rate);
    this.#refilledAt = nowMs;
  }
}

/** Sets `key` as the newest entry, forgetting the oldest beyond `max` (Map keeps insertion order). */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done) break;
    map.delete(oldest.value);
  }
}
