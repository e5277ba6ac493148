// One definition of the pipeline's AWS resources, read by the CDK stack (cdk/) and by the local
// runtime (services/local) so the two cannot drift: bus rules and their event patterns, the IR
// table's keys, the snapshot bucket's layout settings.

import { CHANGE_EVENT_DETAIL_TYPE, CHANGE_EVENT_SOURCE } from '../events/change-event.ts';
import { COLLECTION_LISTED_DETAIL_TYPE } from '../events/collection-listed.ts';

export const SNAPSHOT_EVENT_SOURCE = 'fleetplane.snapshots';
export const SNAPSHOT_PUBLISHED_DETAIL_TYPE = 'Snapshot Published';
export const PROXY_EVENT_SOURCE = 'fleetplane.relay';
export const NACK_DETAIL_TYPE = 'Envoy Config Rejected';

interface RuleBase {
  /** Construct id and name suffix; API: renaming replaces the rule. */
  id: string;
  description: string;
}

/** A rule for Kubernetes change events of one kind family. */
export interface ChangeEventRule extends RuleBase {
  /** API groups ('' = core). */
  groups: string[];
  /** Kinds, where the groups hold kinds we do not read. */
  kinds?: string[];
}

/** A rule for another event the pipeline consumes, matched by source and detail-type. */
export interface BusEventRule extends RuleBase {
  source: string;
  detailType: string;
}

/** A rule delivering to the translate function: one per kind family, the relays' NACKs, the forwarder's lists. */
export type TranslatorRule = ChangeEventRule | BusEventRule;

export const TRANSLATOR_RULES: readonly TranslatorRule[] = [
  {
    id: 'GatewayApi',
    description: 'Gateway API: GatewayClass, Gateway, HTTPRoute, ReferenceGrant, BackendTLSPolicy',
    groups: ['gateway.networking.k8s.io'],
  },
  {
    id: 'Backends',
    description:
      'kgateway and Envoy Gateway Backends, Envoy AI Gateway AIServiceBackend and BackendSecurityPolicy',
    groups: ['gateway.kgateway.dev', 'gateway.envoyproxy.io', 'aigateway.envoyproxy.io'],
  },
  {
    id: 'Core',
    description: 'Services, EndpointSlices and Secret references',
    groups: ['', 'discovery.k8s.io'],
    kinds: ['Service', 'Secret', 'EndpointSlice'],
  },
  {
    // The translate function records the NACK; the snapshot builder turns it into the Gateway's
    // Programmed=False condition until a newer version supersedes it (docs/pipeline.md).
    id: 'RelayNack',
    description: 'relay NACKs: a proxy rejected a snapshot version (becomes a Gateway status condition)',
    source: PROXY_EVENT_SOURCE,
    detailType: NACK_DETAIL_TYPE,
  },
  {
    // The translate function tombstones the IR items of the listed kind and scope that the list
    // no longer names: deletes no watch saw (docs/pipeline.md, "List reconciliation").
    id: 'CollectionListed',
    description: 'forwarder lists: tombstone IR items of a kind the list no longer holds',
    source: CHANGE_EVENT_SOURCE,
    detailType: COLLECTION_LISTED_DETAIL_TYPE,
  },
];

/**
 * The EventBridge event pattern of a translator rule. Plain value lists only (no `$or`), so the
 * same pattern works on EventBridge, LocalStack and moto.
 */
export function translatorRulePattern(rule: TranslatorRule): Record<string, unknown> {
  if ('source' in rule) return { source: [rule.source], 'detail-type': [rule.detailType] };
  const detail: Record<string, unknown> = { group: rule.groups };
  if (rule.kinds) detail.kind = rule.kinds;
  return { source: [CHANGE_EVENT_SOURCE], 'detail-type': [CHANGE_EVENT_DETAIL_TYPE], detail };
}

export const IR_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  /** Tombstones are kept this long so a late upsert cannot resurrect a deleted object. */
  tombstoneTtlSeconds: 7 * 24 * 3600,
} as const;

/** `CLUSTER#<clusterId>`. Shard by kind here if benchmarks show a hot partition. */
export function irPartitionKey(clusterId: string): string {
  return `CLUSTER#${clusterId}`;
}

/**
 * `CLUSTER#<clusterId>#STATUS`: the derived statuses of a cluster's resources, apart from its IR so
 * that reading the IR does not read them and writing them never looks like an IR change.
 */
export function irStatusPartitionKey(clusterId: string): string {
  return `${irPartitionKey(clusterId)}#STATUS`;
}

/**
 * `<Kind>[.<group>]#<namespace>/<name>`. The group is part of the kind for non-core groups because
 * kgateway and Envoy Gateway both define `Backend`.
 */
export function irSortKey(id: { group: string; kind: string; namespace: string; name: string }): string {
  const kind = id.group === '' ? id.kind : `${id.kind}.${id.group}`;
  return `${kind}#${id.namespace}/${id.name}`;
}

/** Snapshot bookkeeping (version counter, last content hash) per Gateway, in the same table. */
export function snapshotSortKey(gateway: { namespace: string; name: string }): string {
  return `SNAPSHOT#${gateway.namespace}/${gateway.name}`;
}

/**
 * The latest NACK of one xDS type for one Gateway, in the cluster's partition: `NACK#<ns>/<name>#<typeUrl>`.
 * Kept until its TTL (IR_TABLE.tombstoneTtlSeconds); a newer snapshot version makes it moot.
 */
export function proxyRejectionSortKey(gateway: { namespace: string; name: string }, typeUrl: string): string {
  return `${PROXY_REJECTION_SK_PREFIX}${gateway.namespace}/${gateway.name}#${typeUrl}`;
}

export const PROXY_REJECTION_SK_PREFIX = 'NACK#';

export const SNAPSHOT_BUCKET = {
  /** How many versions per Gateway the lifecycle rule keeps (older noncurrent versions expire). */
  keepVersions: 20,
  /** Prefix under which claim-checked objects are written; expired after a day. */
  claimCheckPrefix: 'claim-check/',
  claimCheckExpiryDays: 1,
} as const;

export const SECRETS_PREFIX = 'fleetplane/';

/** Secrets Manager name for a Kubernetes Secret: derived from cluster, namespace and name. */
export function secretName(clusterId: string, namespace: string, name: string): string {
  return `${SECRETS_PREFIX}${clusterId}/${namespace}/${name}`;
}
