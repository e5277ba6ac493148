// The relay over real gRPC with plain grpc-js clients (the relay's own client definition): streams
// of both protocols share one encoding per type and version, ACKs are counted, and a stream for a
// gateway the relay does not hold stays open and is reported.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ChannelCredentials,
  type Client,
  type ClientDuplexStream,
  credentials,
  makeGenericClientConstructor,
} from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adsClientDefinition } from '../../services/relay/ads/grpc-service.ts';
import type {
  DeltaRequest,
  DeltaResponse,
  NodeInfo,
  SotwRequest,
  SotwResponse,
} from '../../services/relay/ads/messages.ts';
import type { RunningRelay } from '../../services/relay/relay.ts';
import { TypeUrl } from '../../shared/xds/types.ts';
import { freePort } from '../support/envoy.ts';
import {
  eventually,
  manifests,
  NODE_CLUSTER,
  startBackend,
  startDirectoryRelay,
  translateToSnapshot,
} from './relay-support/harness.ts';

type Sotw = ClientDuplexStream<SotwRequest, SotwResponse>;
type Delta = ClientDuplexStream<DeltaRequest, DeltaResponse>;
interface AdsClient extends Client {
  StreamAggregatedResources(): Sotw;
  DeltaAggregatedResources(): Delta;
}
const AdsClient = makeGenericClientConstructor(
  adsClientDefinition,
  'AggregatedDiscoveryService',
) as unknown as new (
  address: string,
  creds: ChannelCredentials,
) => AdsClient;

let relay: RunningRelay | undefined;
let client: AdsClient | undefined;
const calls: Array<Sotw | Delta> = [];

const node = (id: string, cluster = NODE_CLUSTER): NodeInfo => ({ id, cluster, userAgent: 'grpc-test' });

function next<T>(call: { once(event: 'data', listener: (message: T) => void): unknown }): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no response within 5 s')), 5_000);
    call.once('data', (message: T) => {
      clearTimeout(timer);
      resolve(message);
    });
  });
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fleetplane-relay-grpc-'));
  const backend = await startBackend('svc-a');
  backend.server.close();
  await translateToSnapshot(manifests(await freePort(), [backend], 'svc-a'), dir);
  relay = await startDirectoryRelay(dir, { ads: 0, admin: 0 });
  client = new AdsClient(`127.0.0.1:${relay.ads.port}`, credentials.createInsecure());
}, 20_000);

afterAll(async () => {
  for (const call of calls) {
    call.on('error', () => {}); // CANCELLED, from the cancel below
    call.cancel();
  }
  client?.close();
  await relay?.stop();
});

describe('relay over gRPC', () => {
  it('serves SotW and Delta streams from one encoding per type and version', async () => {
    // Prepare
    if (!client) throw new Error('no client');
    const sotw = [1, 2].map(() => (client as AdsClient).StreamAggregatedResources());
    const delta = client.DeltaAggregatedResources();
    calls.push(...sotw, delta);

    // Act
    const responses = await Promise.all(
      sotw.map((call, i) => {
        const response = next<SotwResponse>(call);
        call.write({
          node: node(`sotw-${i}`),
          typeUrl: TypeUrl.Cluster,
          versionInfo: '',
          resourceNames: [],
          responseNonce: '',
        });
        return response;
      }),
    );
    const deltaResponse = next<DeltaResponse>(delta);
    delta.write({
      node: node('delta-0'),
      typeUrl: TypeUrl.Cluster,
      subscribe: [],
      unsubscribe: [],
      initialResourceVersions: {},
      responseNonce: '',
    });
    const fromDelta = await deltaResponse;
    for (const [i, call] of sotw.entries()) {
      const r = responses[i] as SotwResponse;
      call.write({
        typeUrl: r.typeUrl,
        versionInfo: r.versionInfo,
        resourceNames: [],
        responseNonce: r.nonce,
      });
    }
    delta.write({
      typeUrl: fromDelta.typeUrl,
      subscribe: [],
      unsubscribe: [],
      initialResourceVersions: {},
      responseNonce: fromDelta.nonce,
    });

    // Assess
    for (const r of responses) expect(r).toMatchObject({ typeUrl: TypeUrl.Cluster, versionInfo: '1' });
    expect(responses[0]?.resources).toEqual(responses[1]?.resources);
    expect(responses[0]?.nonce).not.toBe(responses[1]?.nonce);
    expect(fromDelta.resources.map((r) => r.resource)).toEqual(responses[0]?.resources);
    const metrics = relay?.metrics.registry;
    await eventually(async () => {
      if ((metrics?.value('fleetplane_relay_acks_total', { type: 'cds' }) ?? 0) < 3) throw new Error('acks');
    }, 5_000);
    expect(metrics?.value('fleetplane_relay_encodes_total', { type: 'cds' })).toBe(1);
    expect(metrics?.value('fleetplane_relay_streams', { protocol: 'sotw' })).toBe(2);
    expect(metrics?.value('fleetplane_relay_streams', { protocol: 'delta' })).toBe(1);
  });

  it('keeps a stream for an unknown gateway open with nothing to send, and reports it', async () => {
    // Prepare
    if (!client) throw new Error('no client');
    const call = client.StreamAggregatedResources();
    calls.push(call);
    let received = 0;
    let ended = false;
    call.on('data', () => received++);
    call.on('error', () => {
      ended = true;
    });

    // Act
    call.write({
      node: node('stray', 'c9/nowhere/none'),
      typeUrl: TypeUrl.Listener,
      versionInfo: '',
      resourceNames: [],
      responseNonce: '',
    });
    await eventually(async () => {
      if (!relay?.clients().some((c) => c.node?.id === 'stray')) throw new Error('not seen yet');
    }, 5_000);
    await new Promise((r) => setTimeout(r, 300));

    // Assess
    expect(received).toBe(0);
    expect(ended).toBe(false);
    expect(relay?.clients().find((c) => c.node?.id === 'stray')?.status).toBe('unknown-gateway');
    expect(
      relay?.metrics.registry.value('fleetplane_relay_streams_without_snapshot', {
        status: 'unknown-gateway',
      }),
    ).toBe(1);
  });
});
