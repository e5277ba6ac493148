// The translate step of the pipeline, for one change event: read the object (from the event or the
// claim check), translate it to IR, and write it to the IR store order-safely. A DELETE writes a
// tombstone. Kinds we do not translate are ignored here; the bus rules should not route them.

import { FleetplaneError } from '../errors.ts';
import type { ChangeEventDetail } from '../events/change-event.ts';
import {
  type AnyIrItem,
  ConditionType,
  IR_SCHEMA_VERSION,
  type IrKind,
  type ResourceId,
} from '../ir/types.ts';
import type { ClaimCheck } from '../ports/claim-check.ts';
import type { IrSource, IrStore, IrWriteOutcome } from '../ports/ir-store.ts';
import { describeResource, type KubeObject, resourceId } from '../translate/common.ts';
import { SUPPORTED_KINDS, translateObject } from '../translate/index.ts';
import { resolveObject } from './claim-check.ts';

/** An event that can never be applied, however often it is retried (a producer bug). */
export class ChangeEventError extends FleetplaneError {}

export interface ApplyChangeEventDeps {
  irStore: IrStore;
  /** Needed only for events that carry `objectRef`. */
  claimCheck?: ClaimCheck;
}

export interface ApplyResult {
  id: ResourceId;
  /** `ignored`: a kind we do not translate, so nothing was written. */
  outcome: IrWriteOutcome | 'ignored';
}

export async function applyChangeEvent(
  detail: ChangeEventDetail,
  deps: ApplyChangeEventDeps,
): Promise<ApplyResult> {
  const id: ResourceId = {
    group: detail.group,
    kind: detail.kind,
    namespace: detail.namespace,
    name: detail.name,
  };
  if (!SUPPORTED_KINDS.includes(`${detail.group}/${detail.kind}`)) return { id, outcome: 'ignored' };

  const source: IrSource = { resourceVersion: detail.resourceVersion, observedAt: detail.observedAt };
  if (detail.generation !== undefined) source.generation = detail.generation;

  if (detail.change === 'DELETE') {
    return { id, outcome: await deps.irStore.deleteItem(detail.clusterId, id, source) };
  }

  const raw = await resolveObject(detail, deps.claimCheck);
  if (!raw) throw new ChangeEventError(`${describeResource(id)}: an UPSERT without an object`);
  const object = asKubeObject(raw, detail, id);
  const item = translate(object, detail, id);
  return { id, outcome: await deps.irStore.putItem(detail.clusterId, item, source) };
}

/** Checks the object is the one the envelope names, and stamps the envelope's resourceVersion on it. */
function asKubeObject(raw: Record<string, unknown>, detail: ChangeEventDetail, id: ResourceId): KubeObject {
  const metadata = raw.metadata;
  if (typeof raw.apiVersion !== 'string' || typeof raw.kind !== 'string' || !isRecord(metadata)) {
    throw new ChangeEventError(`${describeResource(id)}: object lacks apiVersion, kind or metadata`);
  }
  const object = {
    ...raw,
    metadata: { ...metadata, resourceVersion: detail.resourceVersion },
  } as KubeObject;
  if (detail.generation !== undefined && object.metadata.generation === undefined) {
    object.metadata.generation = detail.generation;
  }
  const actual = resourceId(object, { defaultNamespace: detail.namespace });
  const same =
    actual.group === id.group &&
    actual.kind === id.kind &&
    actual.namespace === id.namespace &&
    actual.name === id.name;
  if (!same) {
    throw new ChangeEventError(
      `event names ${describeId(id)} but its object is ${describeId(actual)}; the producer must send matching identities`,
    );
  }
  return object;
}

function translate(object: KubeObject, detail: ChangeEventDetail, id: ResourceId): AnyIrItem {
  try {
    // defaultNamespace only applies to cluster-scoped kinds (GatewayClass), whose envelope says ''.
    const item = translateObject(object, { defaultNamespace: detail.namespace });
    if (item) return item;
  } catch (err) {
    // A translator that throws has a bug; storing the failure as a condition keeps it visible in the
    // status instead of cycling the event through retries into the dead-letter queue.
    return {
      schemaVersion: IR_SCHEMA_VERSION,
      kind: id.kind as IrKind,
      id,
      resourceVersion: detail.resourceVersion,
      labels: { ...(object.metadata.labels ?? {}) },
      spec: null,
      conditions: [
        {
          type: ConditionType.Accepted,
          status: 'False',
          reason: 'TranslationError',
          message: `${describeResource(id)}: internal error while translating: ${(err as Error).message}`,
        },
      ],
    } as AnyIrItem;
  }
  throw new ChangeEventError(
    `${describeResource(id)}: no translator for ${object.apiVersion} ${object.kind}`,
  );
}

function describeId(id: ResourceId): string {
  return `${id.group || 'core'}/${id.kind} ${id.namespace ? `${id.namespace}/` : ''}${id.name}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
