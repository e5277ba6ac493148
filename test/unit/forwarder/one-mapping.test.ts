// The producers share one mapping (shared/pipeline/object-to-change-event.ts): the manifest feed of
// `fleetplane dev` and the forwarder's batcher must put the same change event on the bus for the
// same object, keep Secret values off it, and treat deletes and oversized objects the same way.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../services/common/log.ts';
import { ChangeBatcher } from '../../../services/forwarder/change-batcher.ts';
import { ForwarderMetrics } from '../../../services/forwarder/forwarder-metrics.ts';
import { ManifestFeed } from '../../../services/local/manifest-feed.ts';
import type { ChangeEventDetail } from '../../../shared/events/change-event.ts';
import type { KubeObjectLike } from '../../../shared/pipeline/object-to-change-event.ts';
import type { SecretLocator, SecretSink } from '../../../shared/ports/secret-sink.ts';
import { MemoryClaimCheck, RecordingEventPublisher } from '../pipeline/fakes.ts';
import { kind } from './fixtures.ts';

const NOW = new Date('2026-03-02T10:00:00.000Z');

class Sink implements SecretSink {
  readonly stored = new Map<string, Record<string, string>>();
  readonly deleted: string[] = [];
  async putSecret(s: SecretLocator, data: Record<string, string>) {
    this.stored.set(`${s.namespace}/${s.name}`, data);
    return { secretName: `fleetplane/${s.clusterId}/${s.namespace}/${s.name}`, versionId: 'v1' };
  }
  async deleteSecret(s: SecretLocator) {
    this.deleted.push(`${s.namespace}/${s.name}`);
  }
}

const MANIFESTS = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: fleetplane
  namespace: ignored-for-cluster-scoped
spec:
  controllerName: fleetplane.dev/gateway-controller
---
apiVersion: v1
kind: Secret
metadata:
  name: openai-key
type: Opaque
stringData:
  apiKey: sk-test-not-a-real-key
`;

async function feedDir(text: string) {
  const dir = await mkdtemp(join(tmpdir(), 'fleetplane-feed-'));
  await writeFile(join(dir, 'objects.yaml'), text);
  return dir;
}

describe('one mapping for the manifest feed and the forwarder', () => {
  it('produces the same change events for the same objects', async () => {
    const dir = await feedDir(MANIFESTS);
    try {
      const feedBus = new RecordingEventPublisher();
      const feed = new ManifestFeed({
        dir,
        clusterId: 'local',
        publisher: feedBus,
        secretSink: new Sink(),
        claimCheck: new MemoryClaimCheck(),
        firstResourceVersion: 100n,
        now: () => NOW,
      });
      const sync = await feed.sync();
      expect(sync.problems).toEqual([]);
      const fromFeed = feedBus.events.map((e) => e.detail as ChangeEventDetail);

      // The forwarder, given the objects as the API server would serve them.
      const forwarderBus = new RecordingEventPublisher();
      const batcher = new ChangeBatcher({
        clusterId: 'local',
        publisher: forwarderBus,
        mapping: { secretSink: new Sink(), claimCheck: new MemoryClaimCheck() },
        metrics: new ForwarderMetrics(),
        log: silentLogger,
        flushIntervalMs: 60_000,
        backoff: { baseMs: 10, maxMs: 10 },
      });
      for (const detail of fromFeed) {
        const served = detail.object as KubeObjectLike;
        const watched = kind(detail.kind === 'Secret' ? 'Secret' : 'GatewayClass');
        // What the API server holds: the Secret with its data, not the keys-only copy of the bus.
        const object =
          detail.kind === 'Secret'
            ? { ...served, data: { apiKey: Buffer.from('sk-test-not-a-real-key').toString('base64') } }
            : served;
        batcher.enqueue({ kind: watched, change: 'UPSERT', origin: 'watch', object, observedAt: NOW });
      }
      await batcher.flush();
      const fromForwarder = forwarderBus.events.map((e) => e.detail as ChangeEventDetail);

      const byName = (a: ChangeEventDetail, b: ChangeEventDetail) => a.name.localeCompare(b.name);
      expect(fromForwarder.sort(byName)).toEqual(fromFeed.sort(byName));
      expect(fromFeed.map((d) => `${d.kind} ${d.namespace}/${d.name}`).sort()).toEqual([
        'GatewayClass /fleetplane',
        'Secret default/openai-key',
      ]);
      const secret = fromFeed.find((d) => d.kind === 'Secret');
      expect(secret?.secretRef).toEqual({
        secretName: 'fleetplane/local/default/openai-key',
        versionId: 'v1',
      });
      expect(secret?.object?.data).toEqual({ apiKey: '' });
      expect(secret?.object).not.toHaveProperty('stringData');
      expect(JSON.stringify(feedBus.events)).not.toContain('sk-test-not-a-real-key');
      // Cluster-scoped: a namespace written in the file is not carried.
      const gatewayClass = fromFeed.find((d) => d.kind === 'GatewayClass');
      expect(gatewayClass?.object?.metadata).not.toHaveProperty('namespace');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('deletes without an object, removing the stored Secret, when a file goes away', async () => {
    const dir = await feedDir(MANIFESTS);
    try {
      const bus = new RecordingEventPublisher();
      const sink = new Sink();
      const feed = new ManifestFeed({
        dir,
        clusterId: 'local',
        publisher: bus,
        secretSink: sink,
        now: () => NOW,
      });
      await feed.sync();
      await rm(join(dir, 'objects.yaml'));
      const sync = await feed.sync();
      expect(sync.deletes).toHaveLength(2);
      const deletes = bus.events.slice(2).map((e) => e.detail as ChangeEventDetail);
      expect(deletes.map((d) => d.change)).toEqual(['DELETE', 'DELETE']);
      expect(deletes.every((d) => d.object === undefined)).toBe(true);
      expect(sink.deleted).toEqual(['default/openai-key']);
      expect(feed.objectCount).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports an oversized object without a claim check as a problem and keeps it off the bus', async () => {
    const big = `apiVersion: v1\nkind: Service\nmetadata:\n  name: big\n  annotations:\n    blob: ${'x'.repeat(200 * 1024)}\nspec:\n  ports: [{port: 80}]\n`;
    const dir = await feedDir(big);
    try {
      const bus = new RecordingEventPublisher();
      const feed = new ManifestFeed({ dir, clusterId: 'local', publisher: bus, secretSink: new Sink() });
      const sync = await feed.sync();
      expect(sync.upserts).toEqual([]);
      expect(sync.problems).toEqual([
        expect.objectContaining({ message: expect.stringMatching(/above the claim-check threshold/) }),
      ]);
      expect(bus.events).toHaveLength(0);
      expect(feed.objectCount).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
