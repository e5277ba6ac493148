// List reconciliation on the emulator, through the local runtime (startLocalPipeline) as
// `fleetplane dev` runs it: a Collection Listed event on the bus reaches the translate function by
// its own rule (TRANSLATOR_RULES), which tombstones the HTTPRoutes of the listed namespace that the
// list no longer names; the next snapshot drops them. A route written after the list (a higher
// resourceVersion) survives, other kinds and namespaces are untouched, and a malformed event ends
// in the dead-letter queue.

import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqsInvocation } from '../../services/local/event-source-mappings.ts';
import {
  type LocalPipeline,
  localPipelineNames,
  startLocalPipeline,
} from '../../services/local/local-pipeline.ts';
import {
  CHANGE_EVENT_DETAIL_TYPE,
  CHANGE_EVENT_SOURCE,
  type ChangeEventDetail,
} from '../../shared/events/change-event.ts';
import type { CollectionListedDetail } from '../../shared/events/collection-listed.ts';
import { parsePipelineMessage } from '../../shared/pipeline/change-event-message.ts';
import { collectionListedEvent } from '../../shared/pipeline/collection-listed.ts';
import { latestKey } from '../../shared/snapshot/layout.ts';
import { parseLatest } from '../../shared/snapshot/publish.ts';
import { uniqueName, useEmulator } from '../support/moto.ts';
import { fleet, type Obj, route, upsert } from '../unit/pipeline/kube.ts';

const emulator = useEmulator();
const CLUSTER = 'listed';
const EDGE = { namespace: 'infra', name: 'edge' };
const WAIT_MS = 30_000;

let pipeline: LocalPipeline;
let sqs: SQSClient;
const translated: SqsInvocation[] = [];
const errors: string[] = [];

beforeAll(async () => {
  pipeline = await startLocalPipeline({
    clientConfig: emulator.current.clientConfig,
    names: localPipelineNames(uniqueName('listed')),
    logLevel: 'SILENT',
    maxReceiveCount: 2,
    translateVisibilityTimeoutSeconds: 2,
    buildSnapshot: { maxBatchingWindowMs: 200 },
    onTranslate: (i) => translated.push(i),
    onError: (err) => errors.push(err.message),
  });
  sqs = new SQSClient(emulator.current.clientConfig);
});

afterAll(async () => {
  await pipeline?.stop();
  sqs?.destroy();
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last errors:\n  ${errors.slice(-5).join('\n  ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function sendChanges(details: ChangeEventDetail[]) {
  return pipeline.publisher.putEvents(
    details.map((detail) => ({ source: CHANGE_EVENT_SOURCE, detailType: CHANGE_EVENT_DETAIL_TYPE, detail })),
  );
}

/** The edge Gateway's latest route configuration (rds.json), or undefined before the first snapshot. */
async function edgeRoutes(): Promise<string | undefined> {
  const store = pipeline.snapshotStore;
  const pointer = await store.get(latestKey(CLUSTER, EDGE));
  if (!pointer) return undefined;
  const key = parseLatest(pointer.body, 'latest').objects.find((k) => k.endsWith('/rds.json')) ?? '';
  return new TextDecoder().decode((await store.get(key))?.body);
}

function inNamespace(object: Obj, namespace: string): Obj {
  return { ...object, metadata: { ...object.metadata, namespace } };
}

const liveRoutes = async () =>
  (await pipeline.irStore.listCluster(CLUSTER))
    .filter((i) => i.kind === 'HTTPRoute')
    .map((i) => `${i.id.namespace}/${i.id.name}@${i.resourceVersion}`)
    .sort();

describe('Collection Listed on the emulator', () => {
  it('tombstones what the list no longer holds, keeps newer writes, other kinds and other namespaces', async () => {
    // Prepare: the fleet, plus shop/gone (deleted while no forwarder watched) and other/elsewhere.
    await sendChanges([
      ...fleet().map((o, i) => upsert(o, String(i + 1), CLUSTER)),
      upsert(route('gone', 'edge'), '7', CLUSTER),
      upsert(inNamespace(route('elsewhere', 'edge'), 'other'), '8', CLUSTER),
    ]);
    await waitFor('gone and elsewhere on the edge Gateway', async () => {
      const rds = await edgeRoutes();
      return rds?.includes('gone.example.com') && rds.includes('elsewhere.example.com');
    });
    // shop/fresh is created after the list below was taken (resourceVersion 25 > 20).
    await sendChanges([upsert(route('fresh', 'edge'), '25', CLUSTER)]);
    await waitFor('fresh on the edge Gateway', async () =>
      (await edgeRoutes())?.includes('fresh.example.com'),
    );
    const itemsBefore = (await pipeline.irStore.listCluster(CLUSTER)).filter((i) => i.kind !== 'HTTPRoute');

    // Act: the list of HTTPRoutes in namespace shop at 20 names public and private only.
    const listed: CollectionListedDetail = {
      schemaVersion: 1,
      clusterId: CLUSTER,
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      kind: 'HTTPRoute',
      namespace: 'shop',
      resourceVersion: '20',
      observedAt: new Date().toISOString(),
      names: [
        { namespace: 'shop', name: 'public' },
        { namespace: 'shop', name: 'private' },
      ],
    };
    await pipeline.publisher.putEvents([collectionListedEvent(listed)]);

    // Assess: the next snapshot no longer routes gone.example.com; the rest stays.
    const rds = await waitFor('a snapshot without gone', async () => {
      const r = await edgeRoutes();
      return r && !r.includes('gone.example.com') ? r : undefined;
    });
    expect(rds).toContain('public.example.com');
    expect(rds).toContain('fresh.example.com');
    expect(rds).toContain('elsewhere.example.com');
    expect(await liveRoutes()).toEqual([
      'other/elsewhere@8',
      'shop/fresh@25',
      'shop/private@6',
      'shop/public@5',
    ]);
    const itemsAfter = (await pipeline.irStore.listCluster(CLUSTER)).filter((i) => i.kind !== 'HTTPRoute');
    expect(itemsAfter).toEqual(itemsBefore);
    // The tombstone is order-safe: a late upsert of gone from before the list stays deleted.
    const target = processed() + 1;
    await sendChanges([upsert(route('gone', 'edge'), '9', CLUSTER)]);
    await waitFor('the late upsert translated', () => processed() >= target);
    expect(await liveRoutes()).not.toContain('shop/gone@9');
  });

  it('sends a malformed Collection Listed event to the dead-letter queue, with a clear error', async () => {
    // Prepare: matches the rule, but has no names and a resourceVersion that is not a number.
    const body = {
      schemaVersion: 1,
      clusterId: CLUSTER,
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      kind: 'HTTPRoute',
      resourceVersion: 'latest',
      observedAt: new Date().toISOString(),
    };

    // Act
    await pipeline.publisher.putEvents([
      { source: CHANGE_EVENT_SOURCE, detailType: 'Kubernetes Collection Listed', detail: body },
    ]);

    // Assess
    const dead = await waitFor('the malformed event in the DLQ', async () => {
      const res = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: pipeline.resources.translateDlq.url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      return res.Messages?.length ? res.Messages : undefined;
    });
    expect(dead).toHaveLength(1);
    const message = dead[0]?.Body ?? '';
    expect(JSON.parse(message).detail.resourceVersion).toBe('latest');
    // What the handler logged when it failed the record (the same parser):
    expect(() => parsePipelineMessage(message)).toThrow(
      'invalid Collection Listed event: detail.resourceVersion: must be a decimal integer string; detail.names: carries exactly one of names or namesRef',
    );
    expect(translated.filter((i) => i.failed.length > 0).length).toBeGreaterThanOrEqual(2);
    expect(await liveRoutes()).toHaveLength(4);
  });
});

function processed(): number {
  return translated.reduce((n, i) => n + i.messageIds.length - i.failed.length, 0);
}
