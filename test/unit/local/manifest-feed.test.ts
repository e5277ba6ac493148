// The dev runtime's manifest feed while watching a directory: a sync the bus refuses is reported
// and tried again on its own, so a change is not left waiting for the next edit of a file.

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FeedSync, ManifestFeed } from '../../../services/local/manifest-feed.ts';
import { RecordingEventPublisher } from '../pipeline/fakes.ts';

const ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: shop}
spec:
  parentRefs: [{name: edge, namespace: infra}]
`;

describe('ManifestFeed.watch', () => {
  it('retries a sync the bus refused, and sends the change once it is back', async () => {
    // Prepare: the bus refuses until the first error has been reported.
    const dir = await mkdtemp(join(tmpdir(), 'fleetplane-feed-'));
    const publisher = new RecordingEventPublisher();
    publisher.failWith = new Error('PutEvents: connection refused');
    const feed = new ManifestFeed({ dir, clusterId: 'local', publisher });
    const errors: string[] = [];
    const syncs: FeedSync[] = [];
    const stop = feed.watch({
      onSync: (sync) => syncs.push(sync),
      onError: (err) => {
        errors.push(err.message);
        publisher.failWith = undefined;
      },
    });

    try {
      // Act
      await writeFile(join(dir, 'route.yaml'), ROUTE);
      const deadline = Date.now() + 15_000;
      while (syncs.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

      // Assess
      expect(errors).toEqual(['PutEvents: connection refused']);
      expect(syncs[0]?.upserts).toEqual(['gateway.networking.k8s.io/HTTPRoute shop/shop']);
      expect(publisher.events).toHaveLength(1);
      expect(feed.objectCount).toBe(1);
    } finally {
      await stop();
    }
  });
});
