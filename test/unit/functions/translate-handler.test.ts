import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/translate/create-handler.ts';
import { applyChangeEvent } from '../../../shared/pipeline/apply-change-event.ts';
import { MemoryIrStore } from '../pipeline/fakes.ts';
import { route, upsert } from '../pipeline/kube.ts';
import { lambdaContext, loadEvent, quietObservability } from './lambda.ts';

const context = lambdaContext('translate');

describe('translate handler', () => {
  it('applies the valid records and fails only the poison one', async () => {
    // Prepare
    const irStore = new MemoryIrStore();
    const handler = createHandler({ irStore, ...quietObservability() });
    const event = loadEvent<SQSEvent>('sqs/change-events.json');

    // Act
    const response = await handler(event, context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-poison' }] });
    expect(irStore.calls.sort()).toEqual([
      'deleteItem prod-eu-1 Gateway.gateway.networking.k8s.io#infra/edge 48300',
      'putItem prod-eu-1 Backend.gateway.kgateway.dev#shop/payments-api 48213',
    ]);
  });

  it('fails a record whose write fails, without blocking the others', async () => {
    // Prepare: the store is down for Backends only.
    const irStore = new (class extends MemoryIrStore {
      override putItem(): Promise<never> {
        return Promise.reject(new Error('ProvisionedThroughputExceededException'));
      }
    })();
    const handler = createHandler({ irStore, ...quietObservability() });
    const event = loadEvent<SQSEvent>('sqs/change-events.json');

    // Act
    const response = await handler(event, context);

    // Assess
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      'msg-poison',
      'msg-upsert',
    ]);
    expect(irStore.calls).toEqual([
      'deleteItem prod-eu-1 Gateway.gateway.networking.k8s.io#infra/edge 48300',
    ]);
  });

  it('reports every record when the whole batch fails, instead of throwing', async () => {
    // Prepare
    const event = loadEvent<SQSEvent>('sqs/change-events.json');
    const poisonOnly: SQSEvent = { Records: event.Records.filter((r) => r.messageId === 'msg-poison') };
    const handler = createHandler({ irStore: new MemoryIrStore(), ...quietObservability() });

    // Act
    const response = await handler(poisonOnly, context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-poison' }] });
  });

  it('reconciles a Collection Listed record and fails a malformed one towards the DLQ', async () => {
    // Prepare: two routes in the IR; the list at 50 holds only one of them.
    const irStore = new MemoryIrStore();
    await applyChangeEvent(upsert(route('public', 'edge'), '10'), { irStore });
    await applyChangeEvent(upsert(route('private', 'internal'), '11'), { irStore });
    const handler = createHandler({ irStore, ...quietObservability() });
    const detail = {
      schemaVersion: 1,
      clusterId: 'c1',
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      kind: 'HTTPRoute',
      resourceVersion: '50',
      observedAt: '2026-03-01T00:00:00.000Z',
      names: [{ namespace: 'shop', name: 'public' }],
    };
    const record = (messageId: string, body: unknown): SQSRecord => {
      const base = loadEvent<SQSEvent>('sqs/change-events.json').Records[0] as SQSRecord;
      return { ...base, messageId, body: JSON.stringify(body) };
    };
    const envelope = { source: 'fleetplane.kubernetes', 'detail-type': 'Kubernetes Collection Listed' };

    // Act
    const response = await handler(
      {
        Records: [
          record('msg-listed', { ...envelope, detail }),
          record('msg-bad-listed', { ...envelope, detail: { ...detail, names: undefined } }),
        ],
      },
      context,
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-bad-listed' }] });
    expect(irStore.calls.filter((c) => c.startsWith('deleteItem'))).toEqual([
      'deleteItem c1 HTTPRoute.gateway.networking.k8s.io#shop/private 50',
    ]);
    expect((await irStore.listCluster('c1')).map((i) => i.id.name)).toEqual(['public']);
  });
});
