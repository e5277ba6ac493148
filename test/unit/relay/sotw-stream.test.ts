// The state-of-the-world protocol rules, driven request by request against a fake transport.

import { describe, expect, it } from 'vitest';
import type { SotwRequest, SotwResponse } from '../../../services/relay/ads/messages.ts';
import { SotwStream } from '../../../services/relay/ads/sotw-stream.ts';
import { decodeResource } from '../../../shared/codec/index.ts';
import { TypeUrl } from '../../../shared/xds/types.ts';
import {
  cluster,
  endpoints,
  FakeTransport,
  listener,
  NODE,
  resources,
  route,
  sourceSnapshot,
  testEnv,
} from './fixtures.ts';

const { Cluster: CDS, ClusterLoadAssignment: EDS, Listener: LDS, RouteConfiguration: RDS } = TypeUrl;

function names(response: SotwResponse): string[] {
  return response.resources.map((r) => {
    const json = decodeResource(r.typeUrl, r.value);
    return String(json.name ?? json.cluster_name);
  });
}

function setup(firstVersion = true) {
  const env = testEnv();
  const transport = new FakeTransport();
  const stream = new SotwStream(env, transport, 'test-peer');
  if (firstVersion)
    env.cache.accept(
      sourceSnapshot(
        1,
        resources({
          clusters: [cluster('a'), cluster('b')],
          endpoints: [endpoints('a', 1001)],
          listeners: [listener('l1', 8080)],
          routes: [route('r1', 'a')],
        }),
      ),
    );
  let first = true;
  const send = (request: Omit<SotwRequest, 'versionInfo'> & { versionInfo?: string }) => {
    stream.handle({ versionInfo: '', ...(first ? { node: NODE } : {}), ...request });
    first = false;
  };
  const client = {
    subscribe: (typeUrl: string, resourceNames: string[] = []) =>
      send({ typeUrl, resourceNames, responseNonce: '' }),
    ack: (r: SotwResponse, resourceNames: string[] = []) =>
      send({ typeUrl: r.typeUrl, versionInfo: r.versionInfo, resourceNames, responseNonce: r.nonce }),
    nack: (r: SotwResponse, message: string, resourceNames: string[] = []) =>
      send({
        typeUrl: r.typeUrl,
        versionInfo: '',
        resourceNames,
        responseNonce: r.nonce,
        errorDetail: { code: 3, message },
      }),
    send,
  };
  const sent = () => transport.sotw();
  const last = () => {
    const all = sent();
    const response = all[all.length - 1];
    if (!response) throw new Error('nothing sent');
    return response;
  };
  return { env, transport, stream, client, sent, last };
}

describe('SotW stream', () => {
  it('answers the first request with the full CDS set and records the ACK', () => {
    // Prepare
    const { env, stream, client, sent, last } = setup();

    // Act
    client.subscribe(CDS);
    const response = last();
    client.ack(response);

    // Assess
    expect(sent()).toHaveLength(1);
    expect(response).toMatchObject({ typeUrl: CDS, versionInfo: '1' });
    expect(names(response)).toEqual(['a', 'b']);
    expect(response.nonce).not.toBe('');
    expect(env.metrics.registry.value('fleetplane_relay_acks_total', { type: 'cds' })).toBe(1);
    expect(stream.describe().types.cds).toMatchObject({
      sent: { version: '1' },
      acked: { version: '1' },
      awaitingAck: false,
    });
  });

  it('sends CDS, EDS, LDS, RDS in that order, listeners and routes only once clusters and endpoints are answered', () => {
    // Prepare: the client asks for every type before it has answered anything.
    const { env, client, sent } = setup();
    client.subscribe(CDS);
    client.subscribe(EDS, ['a']);
    client.subscribe(LDS);
    client.subscribe(RDS, ['r1']);
    const beforeAnswers = sent().map((r) => r.typeUrl);

    // Act: answer in order; then a version that changes every type, answered the same way.
    const answer = (i: number) => {
      const response = sent()[i];
      if (response)
        client.ack(response, response.typeUrl === EDS ? ['a'] : response.typeUrl === RDS ? ['r1'] : []);
    };
    answer(0);
    const afterCds = sent().length;
    answer(1);
    answer(2);
    answer(3);
    env.cache.accept(
      sourceSnapshot(
        2,
        resources({
          clusters: [cluster('a', '2s'), cluster('b')],
          endpoints: [endpoints('a', 1002)],
          listeners: [listener('l1', 8081)],
          routes: [route('r1', 'b')],
        }),
      ),
    );
    const updateBeforeAnswers = sent()
      .slice(4)
      .map((r) => r.typeUrl);
    for (let i = 4; i < 8; i++) answer(i);

    // Assess: EDS need not wait for the CDS answer (Envoy answers CDS once clusters are warm,
    // which takes their endpoints); LDS and RDS wait for both.
    expect(beforeAnswers).toEqual([CDS, EDS]);
    expect(afterCds).toBe(2);
    expect(updateBeforeAnswers).toEqual([CDS, EDS]);
    expect(sent().map((r) => r.typeUrl)).toEqual([CDS, EDS, LDS, RDS, CDS, EDS, LDS, RDS]);
    expect(sent().map((r) => r.versionInfo)).toEqual(['1', '1', '1', '1', '2', '2', '2', '2']);
  });

  it('keeps dropped clusters until routes have moved off them, then removes them', () => {
    // Prepare: v1 routes to a; the client has everything.
    const { env, client, sent } = setup();
    env.cache.accept(
      sourceSnapshot(
        1,
        resources({
          clusters: [cluster('a')],
          endpoints: [endpoints('a', 1)],
          listeners: [listener('l1', 8080)],
          routes: [route('r1', 'a')],
        }),
      ),
    );
    const namesFor = (r: SotwResponse) => (r.typeUrl === EDS ? ['a', 'b'] : r.typeUrl === RDS ? ['r1'] : []);
    client.subscribe(CDS);
    client.subscribe(EDS, ['a']);
    client.subscribe(LDS);
    client.subscribe(RDS, ['r1']);
    for (let i = 0; i < 4; i++) client.ack(sent()[i] as SotwResponse, namesFor(sent()[i] as SotwResponse));
    const before = sent().length;

    // Act: v2 replaces cluster a by b and routes to b; the client answers everything it gets.
    env.cache.accept(
      sourceSnapshot(
        2,
        resources({
          clusters: [cluster('b')],
          endpoints: [endpoints('b', 2)],
          listeners: [listener('l1', 8080)],
          routes: [route('r1', 'b')],
        }),
      ),
    );
    for (let i = before; i < sent().length && i < before + 10; i++) {
      const response = sent()[i] as SotwResponse;
      client.ack(response, namesFor(response));
    }

    // Assess: clusters a+b, endpoints, routes to b, and only then clusters without a.
    const update = sent()
      .slice(before)
      .map((r) => `${r.typeUrl.split('.').pop()}:${names(r).join('+')}`);
    expect(update).toEqual(['Cluster:a+b', 'ClusterLoadAssignment:b', 'RouteConfiguration:r1', 'Cluster:b']);
  });

  it('never resends a NACKed version on the stream, and sends the next different one', () => {
    // Prepare
    const { env, stream, client, sent, last } = setup();
    client.subscribe(LDS);
    client.ack(last());
    env.cache.accept(
      sourceSnapshot(
        2,
        resources({ clusters: [cluster('a')], listeners: [listener('l1', 8080), listener('l2', 8080)] }),
      ),
    );
    const rejected = last();

    // Act: NACK it, then keep talking (a repeated request, another version whose listeners are the same).
    client.nack(rejected, 'duplicate listener address');
    client.send({ typeUrl: LDS, resourceNames: [], responseNonce: rejected.nonce });
    env.cache.accept(
      sourceSnapshot(
        3,
        resources({ clusters: [cluster('b')], listeners: [listener('l1', 8080), listener('l2', 8080)] }),
      ),
    );
    const afterNack = sent().length;
    env.cache.accept(
      sourceSnapshot(4, resources({ listeners: [listener('l1', 8080), listener('l2', 8082)] })),
    );

    // Assess
    expect(rejected.versionInfo).toBe('2');
    expect(afterNack).toBe(2);
    expect(last().versionInfo).toBe('4');
    expect(sent()).toHaveLength(3);
    expect(env.metrics.registry.value('fleetplane_relay_nacks_total', { type: 'lds' })).toBe(1);
    expect(stream.describe().types.lds?.lastNack).toMatchObject({
      version: '2',
      message: 'duplicate listener address',
    });
  });

  it('ignores an ACK or NACK that carries a stale nonce', () => {
    // Prepare
    const { env, stream, client, last } = setup();
    client.subscribe(CDS);
    const v1 = last();
    client.ack(v1);
    env.cache.accept(sourceSnapshot(2, resources({ clusters: [cluster('c')] })));
    const v2 = last();

    // Act: a late NACK of v1 arrives after v2 went out.
    client.nack(v1, 'too late');

    // Assess
    expect(env.metrics.registry.value('fleetplane_relay_nacks_total', { type: 'cds' })).toBe(0);
    expect(env.metrics.registry.value('fleetplane_relay_stale_nonces_total', { type: 'cds' })).toBe(1);
    expect(stream.describe().types.cds).toMatchObject({ awaitingAck: true, acked: { version: '1' } });
    client.ack(v2);
    expect(stream.describe().types.cds).toMatchObject({ awaitingAck: false, acked: { version: '2' } });
  });

  it('sends EDS names that were requested but missing as soon as a version has them', () => {
    // Prepare: the client wants endpoints of a and b; only a exists.
    const { env, client, sent, last } = setup();
    client.subscribe(EDS, ['a', 'b']);
    const first = last();
    client.ack(first, ['a', 'b']);

    // Act: a version that changes nothing this stream asked for, then one that adds b.
    env.cache.accept(
      sourceSnapshot(2, resources({ clusters: [cluster('z')], endpoints: [endpoints('a', 1001)] })),
    );
    const afterUnrelated = sent().length;
    env.cache.accept(
      sourceSnapshot(3, resources({ endpoints: [endpoints('a', 1001), endpoints('b', 2002)] })),
    );

    // Assess
    expect(names(first)).toEqual(['a']);
    expect(afterUnrelated).toBe(1);
    expect(last().versionInfo).toBe('3');
    expect(names(last())).toEqual(['a', 'b']);
  });

  it('coalesces versions for a slow stream: once it drains, only the latest goes out', () => {
    // Prepare
    const { env, transport, client, sent, last } = setup();
    client.subscribe(CDS);
    client.ack(last());
    transport.paused = true;

    // Act: v2 is written but not flushed; v3 and v4 arrive meanwhile.
    env.cache.accept(sourceSnapshot(2, resources({ clusters: [cluster('v2')] })));
    env.cache.accept(sourceSnapshot(3, resources({ clusters: [cluster('v3')] })));
    env.cache.accept(sourceSnapshot(4, resources({ clusters: [cluster('v4')] })));
    const whilePaused = sent().length;
    transport.resume();
    client.ack(sent()[1] as SotwResponse);

    // Assess
    expect(whilePaused).toBe(2);
    expect(sent().map((r) => r.versionInfo)).toEqual(['1', '2', '4']);
    expect(names(last())).toEqual(['v4']);
  });

  it('holds a stream whose gateway is unknown, and serves it once a snapshot appears', () => {
    // Prepare
    const { env, stream, client, sent } = setup(false);

    // Act
    client.subscribe(CDS);
    const before = sent().length;
    const statusBefore = stream.describe().status;
    env.cache.accept(sourceSnapshot(1, resources({ clusters: [cluster('a')] })));

    // Assess
    expect(before).toBe(0);
    expect(statusBefore).toBe('unknown-gateway');
    expect(stream.describe().status).toBe('serving');
    expect(sent().map((r) => r.versionInfo)).toEqual(['1']);
  });

  it('sends nothing to a node whose cluster is not <clusterId>/<ns>/<gateway>', () => {
    // Prepare
    const env = testEnv();
    env.cache.accept(sourceSnapshot(1, resources({ clusters: [cluster('a')] })));
    const transport = new FakeTransport();
    const stream = new SotwStream(env, transport, 'peer');

    // Act
    stream.handle({
      node: { id: 'n', cluster: 'just-a-name', userAgent: '' },
      typeUrl: CDS,
      versionInfo: '',
      resourceNames: [],
      responseNonce: '',
    });

    // Assess
    expect(transport.written).toHaveLength(0);
    expect(stream.describe()).toMatchObject({
      status: 'malformed-node-cluster',
      node: { cluster: 'just-a-name' },
    });
  });

  it('encodes each type once per version, however many streams receive it', () => {
    // Prepare
    const env = testEnv();
    const streams = [1, 2, 3].map(() => {
      const transport = new FakeTransport();
      return { transport, stream: new SotwStream(env, transport, 'peer') };
    });
    for (const { stream } of streams)
      stream.handle({ node: NODE, typeUrl: CDS, versionInfo: '', resourceNames: [], responseNonce: '' });

    // Act
    env.cache.accept(sourceSnapshot(1, resources({ clusters: [cluster('a'), cluster('b')] })));

    // Assess
    const value = (name: string, labels = {}) => env.metrics.registry.value(name, labels);
    expect(value('fleetplane_relay_encodes_total', { type: 'cds' })).toBe(1);
    expect(value('fleetplane_relay_responses_sent_total', { protocol: 'sotw', type: 'cds' })).toBe(3);
    const bodies = streams.map(({ transport }) => transport.sotw()[0]);
    expect(new Set(bodies.map((b) => b?.nonce)).size).toBe(3);
    expect(bodies.every((b) => b && names(b).join() === 'a,b')).toBe(true);
  });

  it('stops holding listeners back once the clusters answer is overdue', () => {
    // Prepare: CDS goes out and is never answered.
    const { env, client, sent } = setup();
    client.subscribe(CDS);
    client.subscribe(LDS);
    const beforeTimeout = sent().map((r) => r.typeUrl);

    // Act
    env.clock.now += env.ackTimeoutMs + 1;
    client.subscribe(RDS, ['r1']);

    // Assess
    expect(beforeTimeout).toEqual([CDS]);
    expect(sent().map((r) => r.typeUrl)).toEqual([CDS, LDS, RDS]);
    expect(env.metrics.registry.value('fleetplane_relay_ack_timeouts_total', { type: 'cds' })).toBe(1);
  });
});
