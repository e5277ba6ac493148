// Kubernetes audit events (audit.k8s.io/v1) → object changes for the change bus. The audit log
// sees every write the API server completed; only some of its events describe a change of a
// watched object we can forward, and this module decides which, and why the others are skipped.
//
// Kept: stage ResponseComplete, verbs create/update/patch/delete, a 2xx response, not a dry run,
// no subresource (status writes change nothing we translate), a watched group/resource, and an
// object to send. Secrets are skipped: the audit policy logs them at Metadata level (no values
// in the log), so Secret changes come from the forwarder.
//
// Deletes and the resourceVersion. A delete's responseObject is the deleted object for resources
// whose registry returns it, or a Status (name, kind, uid; no resourceVersion) for the others. The
// DELETE event carries the last resourceVersion we can know: the returned object's, which is the
// version the object had before it was deleted (the IR store lets a delete win a tie with the
// upsert of that same version, see docs/pipeline.md), else the objectRef's or a precondition's.
// A delete answered with a bare Status and no precondition has no version to order it by, so it is
// skipped (`noResourceVersion`) and left to the forwarder.

import { z } from 'zod';
import { FleetplaneError } from '../errors.ts';
import { fieldPath } from '../translate/common.ts';
import type { KubeObjectLike, ObjectChange } from './object-to-change-event.ts';
import { apiVersionOf, WATCHED_KINDS, type WatchedKind, watchedKindOfResource } from './watched-kinds.ts';

export const AUDIT_API_VERSION = 'audit.k8s.io/v1';

const timestamp = z.iso.datetime({ offset: true });

export const AuditObjectRefSchema = z.looseObject({
  resource: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  uid: z.string().optional(),
  apiGroup: z.string().optional(),
  apiVersion: z.string().optional(),
  resourceVersion: z.string().optional(),
  subresource: z.string().optional(),
});

export const AuditEventSchema = z.looseObject({
  level: z.enum(['None', 'Metadata', 'Request', 'RequestResponse']),
  auditID: z.string().min(1),
  stage: z.string().min(1),
  requestURI: z.string(),
  verb: z.string().min(1),
  objectRef: AuditObjectRefSchema.optional(),
  responseStatus: z.looseObject({ code: z.number().int().optional() }).optional(),
  requestObject: z.unknown().optional(),
  responseObject: z.unknown().optional(),
  requestReceivedTimestamp: timestamp.optional(),
  stageTimestamp: timestamp,
});

export type AuditEvent = z.infer<typeof AuditEventSchema>;

export const AuditEventListSchema = z.looseObject({
  kind: z.literal('EventList'),
  apiVersion: z.literal(AUDIT_API_VERSION),
  items: z.array(AuditEventSchema),
});

/** Input that is not an audit event or event list; `field` names the first bad field. */
export class AuditInputError extends FleetplaneError {
  constructor(
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${field}: ${message}`, options);
  }
}

/** Parses a webhook body (an EventList); throws AuditInputError naming the bad field. */
export function parseAuditEventList(value: unknown): AuditEvent[] {
  const parsed = AuditEventListSchema.safeParse(value);
  if (!parsed.success) throw issueError(parsed.error);
  return parsed.data.items;
}

/** Parses one audit event (a line of an audit log); `root` prefixes the field in errors. */
export function parseAuditEvent(value: unknown, root = ''): AuditEvent {
  const parsed = AuditEventSchema.safeParse(value);
  if (!parsed.success) throw issueError(parsed.error, root);
  return parsed.data;
}

export const FORWARDED_VERBS: ReadonlySet<string> = new Set(['create', 'update', 'patch', 'delete']);

export type AuditSkipReason =
  | 'stage'
  | 'verb'
  | 'failed'
  | 'dryRun'
  | 'subresource'
  | 'notWatched'
  | 'secret'
  | 'noObject'
  | 'noResourceVersion';

export type AuditDecision =
  | { action: 'forward'; change: ObjectChange }
  | { action: 'skip'; reason: AuditSkipReason };

export interface AuditDecisionOptions {
  clusterId: string;
  /** Default: every watched kind. */
  kinds?: readonly WatchedKind[];
}

export function decideAuditEvent(event: AuditEvent, options: AuditDecisionOptions): AuditDecision {
  const skip = (reason: AuditSkipReason): AuditDecision => ({ action: 'skip', reason });
  if (event.stage !== 'ResponseComplete') return skip('stage');
  if (!FORWARDED_VERBS.has(event.verb)) return skip('verb');
  const code = event.responseStatus?.code;
  if (code === undefined || code < 200 || code > 299) return skip('failed');
  if (isDryRun(event.requestURI)) return skip('dryRun');
  const ref = event.objectRef;
  if (!ref?.resource || !ref.name || ref.subresource) return skip('subresource');
  const kind = watchedKindOfResource(ref.apiGroup ?? '', ref.resource, options.kinds ?? WATCHED_KINDS);
  if (!kind) return skip('notWatched');
  if (kind.group === '' && kind.kind === 'Secret') return skip('secret');

  const base = { clusterId: options.clusterId, origin: 'audit' as const, observedAt: event.stageTimestamp };
  const object = asObjectOf(event.responseObject, kind);

  if (event.verb === 'delete') {
    // With finalizers pending, the object still exists (deletionTimestamp set): an update.
    if (object && (object.metadata.finalizers as unknown[] | undefined)?.length) {
      return { action: 'forward', change: { ...base, change: 'UPSERT', object } };
    }
    const resourceVersion =
      object?.metadata.resourceVersion || ref.resourceVersion || preconditionVersion(event.requestObject);
    if (!resourceVersion) return skip('noResourceVersion');
    const uid = ref.uid || statusUid(event.responseObject);
    const deleted: KubeObjectLike = object ?? {
      apiVersion: apiVersionOf({ group: kind.group, version: ref.apiVersion || kind.version }),
      kind: kind.kind,
      metadata: {
        name: ref.name,
        ...(kind.namespaced && ref.namespace ? { namespace: ref.namespace } : {}),
        ...(uid ? { uid } : {}),
      },
    };
    return { action: 'forward', change: { ...base, change: 'DELETE', object: deleted, resourceVersion } };
  }

  if (!object) return skip('noObject');
  // An update that removed the last finalizer of an object being deleted completes the delete.
  const finalizers = object.metadata.finalizers as unknown[] | undefined;
  if (object.metadata.deletionTimestamp && !finalizers?.length) {
    return { action: 'forward', change: { ...base, change: 'DELETE', object } };
  }
  return { action: 'forward', change: { ...base, change: 'UPSERT', object } };
}

/** The response object when it is an object of the audited kind (not a Status). */
function asObjectOf(value: unknown, kind: WatchedKind): KubeObjectLike | undefined {
  if (!isRecord(value) || value.kind !== kind.kind || typeof value.apiVersion !== 'string') return undefined;
  const metadata = value.metadata;
  if (!isRecord(metadata) || typeof metadata.name !== 'string') return undefined;
  return value as KubeObjectLike;
}

function isDryRun(requestURI: string): boolean {
  const query = requestURI.indexOf('?');
  if (query === -1) return false;
  return new URLSearchParams(requestURI.slice(query + 1)).getAll('dryRun').length > 0;
}

function preconditionVersion(requestObject: unknown): string | undefined {
  if (!isRecord(requestObject) || !isRecord(requestObject.preconditions)) return undefined;
  const rv = requestObject.preconditions.resourceVersion;
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}

function statusUid(responseObject: unknown): string | undefined {
  if (!isRecord(responseObject) || !isRecord(responseObject.details)) return undefined;
  const uid = responseObject.details.uid;
  return typeof uid === 'string' && uid !== '' ? uid : undefined;
}

function issueError(error: z.ZodError, root = ''): AuditInputError {
  const issue = error.issues[0];
  const field = fieldPath(issue?.path ?? [], root);
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  return new AuditInputError(field, `${issue?.message ?? 'invalid'}${more}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
