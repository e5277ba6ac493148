// The normalised change event every producer puts on the bus and every consumer reads:
// EventBridge `source: fleetplane.kubernetes`, `detail-type: Kubernetes Object Change`.
// One TypeScript type, one runtime schema.

import { z } from 'zod';

export const CHANGE_EVENT_SOURCE = 'fleetplane.kubernetes';
export const CHANGE_EVENT_DETAIL_TYPE = 'Kubernetes Object Change';
export const CHANGE_EVENT_SCHEMA_VERSION = 1;

/**
 * Objects whose JSON is larger than this travel by claim check (written to S3, `objectRef` on the
 * bus). EventBridge limits a PutEvents entry to 256 KiB including source, detail-type and the rest
 * of the detail; 192 KiB leaves room for those and for the envelope.
 */
export const CLAIM_CHECK_THRESHOLD_BYTES = 192 * 1024;

/** EventBridge PutEvents limits: 10 entries and 256 KiB per call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;

const dnsLabelish = z.string().min(1).max(253);

/** Shared with the Collection Listed event (collection-listed.ts). */
export const ClusterIdSchema = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a DNS label');
export const ObjectNameSchema = dnsLabelish;
export const ResourceVersionSchema = z.string().regex(/^\d+$/, 'must be a decimal integer string');

export const ObjectRefSchema = z.object({
  bucket: z.string().min(3),
  key: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256'),
});

/** Where a Secret's data went: Secrets Manager name and version. Values never travel on the bus. */
export const SecretDataRefSchema = z.object({
  secretName: z.string().min(1),
  versionId: z.string().min(1),
});

export const ChangeEventDetailSchema = z
  .object({
    schemaVersion: z.literal(CHANGE_EVENT_SCHEMA_VERSION),
    clusterId: ClusterIdSchema,
    group: z.string(),
    version: z.string().min(1),
    kind: z.string().min(1),
    namespace: z.string(),
    name: dnsLabelish,
    uid: z.string().optional(),
    /** Decimal string; compared as an integer (see docs/pipeline.md for the caveat). */
    resourceVersion: ResourceVersionSchema,
    generation: z.number().int().nonnegative().optional(),
    change: z.enum(['UPSERT', 'DELETE']),
    origin: z.enum(['watch', 'audit', 'resync', 'api']),
    observedAt: z.iso.datetime(),
    object: z.record(z.string(), z.unknown()).optional(),
    objectRef: ObjectRefSchema.optional(),
    secretRef: SecretDataRefSchema.optional(),
  })
  .superRefine((d, ctx) => {
    if (d.change === 'UPSERT' && !d.object === !d.objectRef) {
      ctx.addIssue({
        code: 'custom',
        path: ['object'],
        message: 'an UPSERT carries exactly one of object or objectRef',
      });
    }
    if (d.kind === 'Secret' && d.group === '' && d.object && hasSecretValues(d.object)) {
      ctx.addIssue({
        code: 'custom',
        path: ['object', 'data'],
        message: 'Secret values must not travel on the bus',
      });
    }
  });

export type ChangeEventDetail = z.infer<typeof ChangeEventDetailSchema>;
export type ObjectRef = z.infer<typeof ObjectRefSchema>;

function hasSecretValues(object: Record<string, unknown>): boolean {
  const nonEmpty = (v: unknown) =>
    typeof v === 'object' && v !== null && Object.values(v).some((x) => x !== '' && x !== null);
  return nonEmpty(object.data) || nonEmpty(object.stringData);
}

/** apiVersion → {group, version}. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash === -1
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}
