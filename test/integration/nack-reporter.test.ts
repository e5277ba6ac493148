// NACK events on the bus, against the emulator: a bus with a rule for the relay's NACK events
// delivering to an SQS queue. A relay built with `--nack-event-bus` (cli/relay-security.ts) gets a
// NACK from a real ADS client over gRPC, and the event read back from the queue matches the schema;
// a storm of repeated NACKs becomes one event per (node, type, version).

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  type Client,
  type ClientDuplexStream,
  credentials,
  makeGenericClientConstructor,
} from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relaySecurityFromOptions } from '../../cli/relay-security.ts';
import { silentLogger } from '../../services/common/log.ts';
import { adsClientDefinition } from '../../services/relay/ads/grpc-service.ts';
import type { SotwRequest, SotwResponse } from '../../services/relay/ads/messages.ts';
import type { NackReport } from '../../services/relay/nack-reporter.ts';
import type { RunningRelay } from '../../services/relay/relay.ts';
import { RelayMetrics } from '../../services/relay/relay-metrics.ts';
import {
  RELAY_NACK_DETAIL_TYPE,
  RELAY_NACK_SOURCE,
  type RelayNackDetail,
  RelayNackDetailSchema,
  relayNackEventPattern,
} from '../../shared/pipeline/relay-events.ts';
import { TypeUrl } from '../../shared/xds/types.ts';
import {
  CLUSTER_ID,
  GATEWAY,
  manifests,
  NODE_CLUSTER,
  startBackend,
  startDirectoryRelay,
  translateToSnapshot,
} from '../e2e/relay-support/harness.ts';
import { freePort } from '../support/envoy.ts';
import { uniqueName, useEmulator } from '../support/moto.ts';

const emulator = useEmulator();
const busName = uniqueName('nack-bus');
let sqs: SQSClient;
let queueUrl: string;

interface AdsClient extends Client {
  StreamAggregatedResources(): ClientDuplexStream<SotwRequest, SotwResponse>;
}
const AdsClient = makeGenericClientConstructor(
  adsClientDefinition,
  'AggregatedDiscoveryService',
) as unknown as new (
  address: string,
  creds: ReturnType<typeof credentials.createInsecure>,
) => AdsClient;

interface Received {
  source: string;
  'detail-type': string;
  time: string;
  detail: RelayNackDetail;
}

/** Receives until `expected` events arrived, then once more so that extras would show up too. */
async function receiveEvents(expected: number, timeoutMs = 15_000): Promise<Received[]> {
  const seen: Received[] = [];
  const deadline = Date.now() + timeoutMs;
  let extraCheck = false;
  while ((seen.length < expected || !extraCheck) && Date.now() < deadline) {
    if (seen.length >= expected) extraCheck = true;
    const res = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const messages = res.Messages ?? [];
    for (const m of messages) seen.push(JSON.parse(m.Body ?? '{}') as Received);
    if (messages.length > 0)
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
        }),
      );
  }
  return seen;
}

function nack(overrides: Partial<NackReport> = {}): NackReport {
  return {
    clusterId: 'c1',
    gateway: { namespace: 'infra', name: 'edge' },
    nodeId: 'edge-1',
    typeUrl: TypeUrl.Listener,
    version: '7',
    message: 'duplicate listener address',
    at: new Date().toISOString(),
    ...overrides,
  };
}

beforeAll(async () => {
  const events = new EventBridgeClient(emulator.current.clientConfig);
  sqs = new SQSClient(emulator.current.clientConfig);
  await events.send(new CreateEventBusCommand({ Name: busName }));
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('nacks') }))).QueueUrl ?? '';
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  await events.send(
    new PutRuleCommand({
      Name: 'relay-nacks',
      EventBusName: busName,
      EventPattern: JSON.stringify(relayNackEventPattern()),
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: 'relay-nacks',
      EventBusName: busName,
      Targets: [{ Id: 'queue', Arn: attrs.Attributes?.QueueArn ?? '' }],
    }),
  );
});

describe('NACK events on the bus (--nack-event-bus)', () => {
  it('puts one event per (node, type, version) of a NACK storm, each matching the schema', async () => {
    // Prepare
    const metrics = new RelayMetrics();
    const { nackReporter } = await relaySecurityFromOptions(
      { nackEventBus: busName },
      { log: silentLogger, metrics, eventBridge: { clientConfig: emulator.current.clientConfig } },
    );

    // Act: two proxies reject version 7 ten times each (reconnects), one of them version 8 too.
    for (let i = 0; i < 10; i++) {
      nackReporter.report(nack({ nodeId: 'edge-1' }));
      nackReporter.report(nack({ nodeId: 'edge-2' }));
    }
    nackReporter.report(nack({ nodeId: 'edge-2', version: '8' }));
    await nackReporter.close?.();
    const received = await receiveEvents(3);

    // Assess
    expect(received.map((e) => `${e.detail.nodeId}@${e.detail.version}`).sort()).toEqual([
      'edge-1@7',
      'edge-2@7',
      'edge-2@8',
    ]);
    for (const event of received) {
      expect(event.source).toBe(RELAY_NACK_SOURCE);
      expect(event['detail-type']).toBe(RELAY_NACK_DETAIL_TYPE);
      expect(RelayNackDetailSchema.safeParse(event.detail).success).toBe(true);
    }
    expect(metrics.registry.value('fleetplane_relay_nack_events_total', { outcome: 'sent' })).toBe(3);
    expect(metrics.registry.value('fleetplane_relay_nack_events_total', { outcome: 'duplicate' })).toBe(18);
    // The log reporter still counts every NACK per gateway.
    expect(
      metrics.registry.value('fleetplane_relay_nack_reports_total', {
        node_cluster: 'c1/infra/edge',
        type: 'lds',
      }),
    ).toBe(21);
  });

  it('turns a NACK an ADS client sends to a running relay into an event', async () => {
    // Prepare: a relay serving a snapshot, with the bus reporter from the flags.
    const dir = await mkdtemp(join(tmpdir(), 'fleetplane-nack-events-'));
    const backend = await startBackend('svc-a');
    await translateToSnapshot(manifests(await freePort(), [backend], 'svc-a'), dir);
    const metrics = new RelayMetrics();
    const security = await relaySecurityFromOptions(
      { nackEventBus: busName },
      { log: silentLogger, metrics, eventBridge: { clientConfig: emulator.current.clientConfig } },
    );
    let relay: RunningRelay | undefined;
    let client: AdsClient | undefined;
    try {
      relay = await startDirectoryRelay(dir, { ads: 0, admin: 0 }, { metrics, ...security });
      client = new AdsClient(`127.0.0.1:${relay.ads.port}`, credentials.createInsecure());
      const call = client.StreamAggregatedResources();
      call.on('error', () => {});
      const first = new Promise<SotwResponse>((resolve) => call.once('data', resolve));

      // Act: ask for listeners, reject what comes.
      call.write({
        node: { id: 'proxy-7', cluster: NODE_CLUSTER, userAgent: 'nack-test' },
        typeUrl: TypeUrl.Listener,
        versionInfo: '',
        resourceNames: [],
        responseNonce: '',
      });
      const response = await first;
      call.write({
        typeUrl: TypeUrl.Listener,
        versionInfo: '',
        resourceNames: [],
        responseNonce: response.nonce,
        errorDetail: { code: 3, message: 'Error adding/updating listener(s): duplicate listener' },
      });
      const [event, ...more] = await receiveEvents(1);
      call.end();

      // Assess
      expect(more).toEqual([]);
      expect(event?.detail).toMatchObject({
        clusterId: CLUSTER_ID,
        gateway: GATEWAY,
        nodeId: 'proxy-7',
        typeUrl: TypeUrl.Listener,
        version: response.versionInfo,
        message: 'Error adding/updating listener(s): duplicate listener',
      });
      expect(RelayNackDetailSchema.safeParse(event?.detail).success).toBe(true);
    } finally {
      client?.close();
      await relay?.stop();
      backend.server.close();
    }
  });
});

afterAll(() => sqs?.destroy());
