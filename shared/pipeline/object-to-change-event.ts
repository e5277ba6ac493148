// The producers' one mapping: a Kubernetes object and what happened to it → the change event's
// detail, as the forwarder (watch, resync) and audit ingestion both send it. Large objects go
// through the claim check; a Secret's values go to the SecretSink and the event carries only a
// `secretRef` and the data keys (with empty values), so values never reach the bus.
//
// Which Secrets: every Secret of the watched namespaces, not only those a Backend references. Which
// Secrets are referenced is only known after translation, across kinds and in any order; storing
// all of them is the simple rule that is always correct. Narrow it with `--namespaces`.

import { FleetplaneError } from '../errors.ts';
import {
  CHANGE_EVENT_DETAIL_TYPE,
  CHANGE_EVENT_SCHEMA_VERSION,
  CHANGE_EVENT_SOURCE,
  type ChangeEventDetail,
  ChangeEventDetailSchema,
  CLAIM_CHECK_THRESHOLD_BYTES,
  splitApiVersion,
} from '../events/change-event.ts';
import type { ClaimCheck } from '../ports/claim-check.ts';
import type { OutboundEvent } from '../ports/event-publisher.ts';
import type { SecretSink } from '../ports/secret-sink.ts';
import { offloadLargeObject } from './claim-check.ts';

/** The parts of a Kubernetes object the mapping reads; everything else travels as is. */
export interface KubeObjectLike {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

export interface ObjectChange {
  clusterId: string;
  change: ChangeEventDetail['change'];
  origin: ChangeEventDetail['origin'];
  /** When the producer saw the change. */
  observedAt: Date | string;
  object: KubeObjectLike;
  /**
   * Overrides `object.metadata.resourceVersion`: a delete found on relist carries the list's
   * version, because the cached object only knows the version before the delete.
   */
  resourceVersion?: string;
}

export interface ObjectToChangeEventDeps {
  /** Needed for objects above the threshold; without it they fail with ObjectTooLargeError. */
  claimCheck?: ClaimCheck;
  /** Needed for Secrets; without it a Secret fails with SecretWithoutSinkError. */
  secretSink?: SecretSink;
  /** Default: CLAIM_CHECK_THRESHOLD_BYTES. */
  claimCheckThresholdBytes?: number;
}

export class ObjectMappingError extends FleetplaneError {}
export class ObjectTooLargeError extends ObjectMappingError {}
export class SecretWithoutSinkError extends ObjectMappingError {}

/** kubectl's copy of the applied manifest: for a Secret it holds the values, for the rest it doubles the size. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

export async function objectToChangeEvent(
  input: ObjectChange,
  deps: ObjectToChangeEventDeps = {},
): Promise<ChangeEventDetail> {
  const { object } = input;
  const { group, version } = splitApiVersion(object.apiVersion);
  const namespace = object.metadata.namespace ?? '';
  const name = object.metadata.name;
  const resourceVersion = input.resourceVersion ?? object.metadata.resourceVersion;
  const where = `${group || 'core'}/${object.kind} ${namespace ? `${namespace}/` : ''}${name}`;
  if (!resourceVersion) throw new ObjectMappingError(`${where}: metadata.resourceVersion is missing`);

  const detail: ChangeEventDetail = {
    schemaVersion: CHANGE_EVENT_SCHEMA_VERSION,
    clusterId: input.clusterId,
    group,
    version,
    kind: object.kind,
    namespace,
    name,
    resourceVersion,
    change: input.change,
    origin: input.origin,
    observedAt: new Date(input.observedAt).toISOString(),
  };
  if (object.metadata.uid) detail.uid = object.metadata.uid;
  if (typeof object.metadata.generation === 'number') detail.generation = object.metadata.generation;

  const secret = group === '' && object.kind === 'Secret';
  if (secret) {
    if (!deps.secretSink) {
      throw new SecretWithoutSinkError(
        `${where}: Secrets need a SecretSink, so that values stay off the bus`,
      );
    }
    const locator = { clusterId: input.clusterId, namespace, name };
    if (input.change === 'DELETE') {
      await deps.secretSink.deleteSecret(locator);
    } else {
      const stored = await deps.secretSink.putSecret(locator, secretData(object));
      detail.secretRef = { secretName: stored.secretName, versionId: stored.versionId };
    }
  }

  let result = detail;
  if (input.change === 'UPSERT') {
    detail.object = busObject(object, secret);
    const threshold = deps.claimCheckThresholdBytes ?? CLAIM_CHECK_THRESHOLD_BYTES;
    if (deps.claimCheck) {
      result = await offloadLargeObject(detail, deps.claimCheck, threshold);
    } else {
      const size = new TextEncoder().encode(JSON.stringify(detail.object)).byteLength;
      if (size > threshold) {
        throw new ObjectTooLargeError(
          `${where}: the object is ${size} bytes, above the claim-check threshold of ${threshold}; configure a claim-check bucket`,
        );
      }
    }
  }

  const parsed = ChangeEventDetailSchema.safeParse(result);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(detail)'}: ${i.message}`);
    throw new ObjectMappingError(`${where}: not a valid change event: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** The detail as an EventBridge entry on the change bus. */
export function toOutboundEvent(detail: ChangeEventDetail): OutboundEvent {
  return { source: CHANGE_EVENT_SOURCE, detailType: CHANGE_EVENT_DETAIL_TYPE, detail };
}

/**
 * The object as it travels: without `metadata.managedFields` (bookkeeping of field owners) and
 * the last-applied annotation, and for a Secret with its data keys only.
 */
function busObject(object: KubeObjectLike, secret: boolean): Record<string, unknown> {
  const { managedFields: _owners, ...metadata } = object.metadata;
  if (metadata.annotations && LAST_APPLIED_ANNOTATION in metadata.annotations) {
    const { [LAST_APPLIED_ANNOTATION]: _applied, ...annotations } = metadata.annotations;
    metadata.annotations = annotations;
  }
  const out: Record<string, unknown> = { ...object, metadata };
  if (secret) {
    delete out.stringData;
    out.data = Object.fromEntries(Object.keys(secretData(object)).map((key) => [key, '']));
  }
  return out;
}

/** `data` (base64 values) merged with `stringData` (plain values win, as the API server does). */
function secretData(object: KubeObjectLike): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(asStringMap(object.data))) data[key] = value;
  for (const [key, value] of Object.entries(asStringMap(object.stringData))) {
    data[key] = Buffer.from(value, 'utf8').toString('base64');
  }
  return Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function asStringMap(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
