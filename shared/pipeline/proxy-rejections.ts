// Proxy NACKs as Gateway status. A relay puts a NACK on the bus (relay-events.ts); the translate
// function records it per Gateway and xDS type (recordRelayNack, through a RejectionStore), and the
// snapshot builder, which rebuilds the cluster when one is recorded, turns every NACK of the
// Gateway's current version into `Programmed=False` (withRejections). A newer published version
// supersedes the NACK, so the next build drops the condition again.
//
// Reason `Invalid`: Gateway API's reason for a Programmed condition when "the Gateway is
// syntactically or semantically invalid", and a config the data plane refused is exactly that,
// seen from Envoy. Standard reasons keep kubectl, dashboards and alerts that key on them working;
// the message carries the specifics (node, type, version, Envoy's error).

import { ConditionType, Reason, type ResourceStatus } from '../ir/types.ts';
import type { IrWriteOutcome } from '../ports/ir-store.ts';
import type { GatewayRef } from '../snapshot/layout.ts';
import { ChangeEventError } from './apply-change-event.ts';
import type { RelayNackDetail } from './relay-events.ts';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/** One NACK as stored: the latest one per Gateway and type URL. */
export interface ProxyRejection {
  gateway: GatewayRef;
  nodeId: string;
  typeUrl: string;
  /** The snapshot version that was rejected. */
  version: number;
  /** Envoy's `error_detail.message`. */
  message: string;
  /** When the relay saw the NACK (ISO 8601). */
  at: string;
}

/** Port: where NACKs are kept between the translate function and the snapshot builder. */
export interface RejectionStore {
  /**
   * Records the NACK unless one of the same or a newer version is stored for the same Gateway and
   * type (`stale`): the first NACK of a version stands, so more proxies rejecting it, or the same
   * proxy retrying, do not rewrite the item and rebuild the cluster each time.
   */
  putRejection(clusterId: string, rejection: ProxyRejection): Promise<IrWriteOutcome>;
  listRejections(clusterId: string): Promise<ProxyRejection[]>;
}

/** Validates a NACK's version (a snapshot version, so a positive integer) and records it. */
export async function recordRelayNack(
  detail: RelayNackDetail,
  store: RejectionStore,
): Promise<{ rejection: ProxyRejection; outcome: IrWriteOutcome }> {
  if (!/^[1-9]\d{0,14}$/.test(detail.version)) {
    throw new ChangeEventError(
      `relay NACK for Gateway ${detail.gateway.namespace}/${detail.gateway.name}: detail.version ` +
        `${JSON.stringify(detail.version)} is not a snapshot version (a positive integer)`,
    );
  }
  const rejection: ProxyRejection = {
    gateway: { namespace: detail.gateway.namespace, name: detail.gateway.name },
    nodeId: detail.nodeId,
    typeUrl: detail.typeUrl,
    version: Number(detail.version),
    message: detail.message,
    at: detail.at,
  };
  return { rejection, outcome: await store.putRejection(detail.clusterId, rejection) };
}

/**
 * The statuses with `Programmed=False` on every Gateway whose current version (the one just
 * published, or the last one) has NACKs. Rejections of older versions are superseded and ignored;
 * a Gateway with no status (not ours, or gone) gets none.
 */
export function withRejections(
  statuses: readonly ResourceStatus[],
  rejections: readonly ProxyRejection[],
  currentVersions: ReadonlyMap<string, number>,
): ResourceStatus[] {
  const current = new Map<string, ProxyRejection[]>();
  for (const r of rejections) {
    const key = gatewayKey(r.gateway);
    if (r.version < (currentVersions.get(key) ?? 0)) continue;
    current.set(key, [...(current.get(key) ?? []), r]);
  }
  if (current.size === 0) return [...statuses];
  return statuses.map((status) => {
    const id = status.resource;
    if (id.group !== GATEWAY_GROUP || id.kind !== 'Gateway') return status;
    const found = current.get(gatewayKey(id));
    if (!found) return status;
    const programmed = status.conditions.find((c) => c.type === ConditionType.Programmed);
    const condition = {
      type: ConditionType.Programmed,
      status: 'False' as const,
      reason: Reason.Invalid,
      message: rejectionMessage(found),
      ...(programmed?.observedGeneration !== undefined
        ? { observedGeneration: programmed.observedGeneration }
        : {}),
    };
    return {
      ...status,
      conditions: [...status.conditions.filter((c) => c.type !== ConditionType.Programmed), condition],
    };
  });
}

/** e.g. `node envoy-7f9c rejected Listener version 3: Proto constraint validation failed ...`. */
export function rejectionMessage(rejections: readonly ProxyRejection[]): string {
  return [...rejections]
    .sort((a, b) => a.typeUrl.localeCompare(b.typeUrl) || a.nodeId.localeCompare(b.nodeId))
    .map(
      (r) =>
        `node ${r.nodeId || '(relay)'} rejected ${shortType(r.typeUrl)} version ${r.version}: ${r.message}`,
    )
    .join('; ');
}

export function gatewayKey(gateway: GatewayRef): string {
  return `${gateway.namespace}/${gateway.name}`;
}

function shortType(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('.') + 1) || typeUrl;
}
