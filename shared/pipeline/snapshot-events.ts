// The "Snapshot Published" event the snapshot builder puts on the bus for every new Gateway
// version. Relays refresh from S3 at once when they see it instead of waiting for their next poll.

import { z } from 'zod';
import type { OutboundEvent } from '../ports/event-publisher.ts';
import type { GatewayRef } from '../snapshot/layout.ts';
import { SNAPSHOT_EVENT_SOURCE, SNAPSHOT_PUBLISHED_DETAIL_TYPE } from './definition.ts';

export const SnapshotPublishedDetailSchema = z.object({
  clusterId: z.string().min(1),
  gateway: z.object({ namespace: z.string().min(1), name: z.string().min(1) }),
  version: z.number().int().positive(),
  /** Key of `latest.json` in the snapshot bucket. */
  latestKey: z.string().min(1),
  /** Key of this version's immutable `manifest.json` (`.../versions/<0000000001>/manifest.json`). */
  manifestKey: z.string().min(1),
});

export type SnapshotPublishedDetail = z.infer<typeof SnapshotPublishedDetailSchema>;

export function snapshotPublishedEvent(published: {
  clusterId: string;
  gateway: GatewayRef;
  version: number;
  latestKey: string;
  manifestKey: string;
}): OutboundEvent {
  const detail: SnapshotPublishedDetail = {
    clusterId: published.clusterId,
    gateway: { namespace: published.gateway.namespace, name: published.gateway.name },
    version: published.version,
    latestKey: published.latestKey,
    manifestKey: published.manifestKey,
  };
  return { source: SNAPSHOT_EVENT_SOURCE, detailType: SNAPSHOT_PUBLISHED_DETAIL_TYPE, detail };
}
