import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/translate/create-handler.ts';
import { MemoryIrStore } from '../pipeline/fakes.ts';
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
});
