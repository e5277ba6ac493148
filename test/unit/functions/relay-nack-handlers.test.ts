// A relay NACK through both handlers: the translate function records it, and the stream record of
// that write makes the build-snapshot function rebuild the cluster's statuses.

import type { DynamoDBStreamEvent, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createHandler as createBuildHandler } from '../../../functions/build-snapshot/create-handler.ts';
import { createHandler as createTranslateHandler } from '../../../functions/translate/create-handler.ts';
import { applyChangeEvent } from '../../../shared/pipeline/apply-change-event.ts';
import { buildClusterSnapshots } from '../../../shared/pipeline/build-cluster-snapshots.ts';
import { relayNackEvent } from '../../../shared/pipeline/relay-events.ts';
import { MemoryIrStore, MemorySnapshotStore } from '../pipeline/fakes.ts';
import { fleet, upsert } from '../pipeline/kube.ts';
import { lambdaContext, quietObservability } from './lambda.ts';

const LISTENER = 'type.googleapis.com/envoy.config.listener.v3.Listener';

function sqsRecord(messageId: string, body: unknown): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1772366400000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1772366400000',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:111122223333:fleetplane-translate',
    awsRegion: 'eu-west-1',
  };
}

function nackMessage(messageId: string, version: string): SQSRecord {
  const event = relayNackEvent({
    clusterId: 'c1',
    gateway: { namespace: 'infra', name: 'edge' },
    nodeId: 'envoy-edge-1',
    typeUrl: LISTENER,
    version,
    message: 'duplicate listener name',
    at: '2026-03-01T00:00:05Z',
  });
  return sqsRecord(messageId, {
    source: event.source,
    'detail-type': event.detailType,
    detail: event.detail,
  });
}

describe('relay NACKs in the handlers', () => {
  it('translate records a valid NACK and fails only the invalid one', async () => {
    // Prepare
    const irStore = new MemoryIrStore();
    const handler = createTranslateHandler({ irStore, rejections: irStore, ...quietObservability() });
    const event: SQSEvent = { Records: [nackMessage('ok', '3'), nackMessage('bad', 'v3')] };

    // Act
    const response = await handler(event, lambdaContext('translate'));

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    expect(await irStore.listRejections('c1')).toEqual([
      expect.objectContaining({ nodeId: 'envoy-edge-1', typeUrl: LISTENER, version: 3 }),
    ]);
  });

  it('translate fails a NACK when it has no rejection store, rather than dropping it', async () => {
    // Prepare
    const handler = createTranslateHandler({ irStore: new MemoryIrStore(), ...quietObservability() });

    // Act
    const response = await handler({ Records: [nackMessage('n', '1')] }, lambdaContext('translate'));

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'n' }] });
  });

  it('build-snapshot rebuilds the statuses of a cluster whose only change is a recorded NACK', async () => {
    // Prepare
    const irStore = new MemoryIrStore();
    let rv = 1;
    for (const object of fleet()) await applyChangeEvent(upsert(object, String(rv++), 'c1'), { irStore });
    const snapshotStore = new MemorySnapshotStore();
    await buildClusterSnapshots('c1', { irStore, snapshotStore });
    await irStore.putRejection('c1', {
      gateway: { namespace: 'infra', name: 'edge' },
      nodeId: 'envoy-edge-1',
      typeUrl: LISTENER,
      version: 1,
      message: 'duplicate listener name',
      at: '2026-03-01T00:00:05Z',
    });
    const handler = createBuildHandler({
      irStore,
      rejections: irStore,
      snapshotStore,
      ...quietObservability(),
    });
    const event = {
      Records: [
        {
          eventName: 'INSERT',
          dynamodb: {
            Keys: { pk: { S: 'CLUSTER#c1' }, sk: { S: `NACK#infra/edge#${LISTENER}` } },
            NewImage: { itemType: { S: 'nack' } },
            SequenceNumber: '500',
          },
        },
      ],
    } as DynamoDBStreamEvent;

    // Act
    const response = await handler(event, lambdaContext('build-snapshot'));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const edge = (await irStore.listStatuses('c1')).find(
      (s) => s.resource.kind === 'Gateway' && s.resource.name === 'edge',
    );
    expect(edge?.conditions).toContainEqual(
      expect.objectContaining({
        type: 'Programmed',
        status: 'False',
        reason: 'Invalid',
        message: 'node envoy-edge-1 rejected Listener version 1: duplicate listener name',
      }),
    );
  });
});
