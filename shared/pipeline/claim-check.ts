// The claim-check rule of the change event, for producers and consumers alike: an object whose
// JSON exceeds CLAIM_CHECK_THRESHOLD_BYTES travels as `objectRef` (stored through a ClaimCheck),
// and consumers read it back, verified, before translating.

import {
  type ChangeEventDetail,
  CLAIM_CHECK_THRESHOLD_BYTES,
  type ObjectRef,
} from '../events/change-event.ts';
import { type ClaimCheck, ClaimCheckError } from '../ports/claim-check.ts';

/** Moves a large `object` into the claim check; returns the detail unchanged when it is small. */
export async function offloadLargeObject(
  detail: ChangeEventDetail,
  claimCheck: ClaimCheck,
  thresholdBytes: number = CLAIM_CHECK_THRESHOLD_BYTES,
): Promise<ChangeEventDetail> {
  if (!detail.object) return detail;
  const body = new TextEncoder().encode(JSON.stringify(detail.object));
  if (body.byteLength <= thresholdBytes) return detail;
  const { object: _moved, ...rest } = detail;
  const objectRef = await claimCheck.put(body, claimCheckName(detail));
  return { ...rest, objectRef };
}

/** The object of an UPSERT, read from the claim check when it travelled by reference. */
export async function resolveObject(
  detail: ChangeEventDetail,
  claimCheck: ClaimCheck | undefined,
): Promise<Record<string, unknown> | undefined> {
  if (detail.object) return detail.object;
  if (!detail.objectRef) return undefined;
  const value = await readClaimChecked(detail.objectRef, claimCheck);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ClaimCheckError(`${describeRef(detail.objectRef)}: not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Any JSON value, claim-checked when its encoding exceeds the threshold: the reference, or
 * undefined when the value is small enough to travel inline.
 */
export async function offloadLargeJson(
  value: unknown,
  claimCheck: ClaimCheck,
  name: string,
  thresholdBytes: number = CLAIM_CHECK_THRESHOLD_BYTES,
): Promise<ObjectRef | undefined> {
  const body = new TextEncoder().encode(JSON.stringify(value));
  if (body.byteLength <= thresholdBytes) return undefined;
  return claimCheck.put(body, name);
}

/** Reads and parses a claim-checked JSON value (verified by the ClaimCheck). */
export async function readClaimChecked(ref: ObjectRef, claimCheck: ClaimCheck | undefined): Promise<unknown> {
  if (!claimCheck) {
    throw new ClaimCheckError(`${describeRef(ref)}: no claim check is configured to read it`);
  }
  const body = await claimCheck.get(ref);
  try {
    return JSON.parse(new TextDecoder().decode(body));
  } catch (err) {
    throw new ClaimCheckError(`${describeRef(ref)}: not JSON`, { cause: err });
  }
}

/** `<clusterId>/<group|core>/<Kind>/<namespace|cluster>/<name>`: readable keys, nothing more. */
function claimCheckName(detail: ChangeEventDetail): string {
  return [
    detail.clusterId,
    detail.group || 'core',
    detail.kind,
    detail.namespace || '_cluster',
    detail.name,
  ].join('/');
}

function describeRef(ref: ObjectRef): string {
  return `s3://${ref.bucket}/${ref.key}`;
}
