// The event the forwarder puts on the bus after every successful list of a kind (per namespace
// scope): `source: fleetplane.kubernetes`, `detail-type: Kubernetes Collection Listed`. It names
// every object the list returned, so the translate function can tombstone IR items of that kind and
// scope that the list no longer holds: deletes that happened while no watch was running. Large name
// lists travel by claim check (`namesRef`), with the change event's threshold.

import { z } from 'zod';
import {
  CHANGE_EVENT_SCHEMA_VERSION,
  ClusterIdSchema,
  ObjectNameSchema,
  ObjectRefSchema,
  ResourceVersionSchema,
} from './change-event.ts';

export const COLLECTION_LISTED_DETAIL_TYPE = 'Kubernetes Collection Listed';

export const ListedNameSchema = z.object({
  /** Absent for cluster-scoped kinds. */
  namespace: z.string().min(1).max(63).optional(),
  name: ObjectNameSchema,
});

export const ListedNamesSchema = z.array(ListedNameSchema);

export const CollectionListedDetailSchema = z
  .object({
    schemaVersion: z.literal(CHANGE_EVENT_SCHEMA_VERSION),
    clusterId: ClusterIdSchema,
    group: z.string(),
    version: z.string().min(1),
    kind: z.string().min(1),
    /** The namespace the list was scoped to; absent = every namespace (or a cluster-scoped kind). */
    namespace: z.string().min(1).max(63).optional(),
    /** The list's resourceVersion: every listed object is at or below it, every later change above. */
    resourceVersion: ResourceVersionSchema,
    observedAt: z.iso.datetime(),
    names: ListedNamesSchema.optional(),
    /** `names` as JSON in the claim check, when they exceed CLAIM_CHECK_THRESHOLD_BYTES. */
    namesRef: ObjectRefSchema.optional(),
  })
  .superRefine((d, ctx) => {
    if (!d.names === !d.namesRef) {
      ctx.addIssue({ code: 'custom', path: ['names'], message: 'carries exactly one of names or namesRef' });
    }
    d.names?.forEach((n, i) => {
      if (d.namespace !== undefined && n.namespace !== d.namespace) {
        ctx.addIssue({
          code: 'custom',
          path: ['names', i, 'namespace'],
          message: `is ${JSON.stringify(n.namespace ?? null)}, outside the listed namespace ${d.namespace}`,
        });
      }
    });
  });

export type CollectionListedDetail = z.infer<typeof CollectionListedDetailSchema>;
export type ListedName = z.infer<typeof ListedNameSchema>;
