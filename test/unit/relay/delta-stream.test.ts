// The incremental (Delta) protocol rules against a fake transport.

import { describe, expect, it } from 'vitest';
import { DeltaStream } from '../../../services/relay/ads/delta-stream.ts';
import type { DeltaRequest, DeltaResponse } from '../../../services/relay/ads/messages.ts';
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

function setup() {
  const env = testEnv();
  const transport = new FakeTransport();
  const stream = new DeltaStream(env, transport, 'test-peer');
  let first = true;
  const send = (request: Partial<DeltaRequest> & { typeUrl: string }) => {
    stream.handle({
      subscribe: [],
      unsubscribe: [],
      initialResourceVersions: {},
      responseNonce: '',
      ...(first ? { node: NODE } : {}),
      ...request,
    });
    first = false;
  };
  const ack = (r: DeltaResponse) => send({ typeUrl: r.typeUrl, responseNonce: r.nonce });
  const last = () => {
    const all = transport.delta();
    const response = all[all.length - 1];
    if (!response) throw new Error('nothing sent');
    return response;
  };
  return { env, transport, stream, send, ack, last, sent: () => transport.delta() };
}

const versions = (r: DeltaResponse) => Object.fromEntries(r.resources.map((x) => [x.name, x.version]));

describe('Delta stream', () => {
  it('sends the wildcard CDS set, then only what changed and what was removed', () => {
    // Prepare
    const { env, send, ack, last } = setup();
    env.cache.accept(sourceSnapshot(1, resources({ clusters: [cluster('a'), cluster('b'), cluster('c')] })));
    send({ typeUrl: CDS });
    const initial = last();
    ack(initial);

    // Act: b changes, c goes away, a stays.
    env.cache.accept(sourceSnapshot(2, resources({ clusters: [cluster('a'), cluster('b', '9s')] })));
    const update = last();

    // Assess
    expect(initial.resources.map((r) => r.name)).toEqual(['a', 'b', 'c']);
    expect(initial.systemVersionInfo).toBe('1');
    expect(update.resources.map((r) => r.name)).toEqual(['b']);
    expect(update.removedResources).toEqual(['c']);
    expect(update.resources[0]?.version).not.toBe(versions(initial).b);
  });

  it('honours initial_resource_versions: a reconnecting client gets only what it lacks', () => {
    // Prepare: learn the versions a first client received.
    const { env, send, last } = setup();
    env.cache.accept(sourceSnapshot(1, resources({ clusters: [cluster('a'), cluster('b')] })));
    send({ typeUrl: CDS });
    const held = versions(last());
    env.cache.accept(sourceSnapshot(2, resources({ clusters: [cluster('a'), cluster('b', '7s')] })));
    const again = setup();
    again.env.cache.accept(sourceSnapshot(2, resources({ clusters: [cluster('a'), cluster('b', '7s')] })));

    // Act: a new stream that says it holds v1's a and b, plus a name that no longer exists.
    again.send({ typeUrl: CDS, initialResourceVersions: { ...held, gone: 'x' } });

    // Assess
    const response = again.last();
    expect(response.resources.map((r) => r.name)).toEqual(['b']);
    expect(response.removedResources).toEqual(['gone']);
  });

  it('tells the client a subscribed name does not exist, and sends it when it appears', () => {
    // Prepare
    const { env, send, ack, last } = setup();
    env.cache.accept(sourceSnapshot(1, resources({ endpoints: [endpoints('a', 1)] })));

    // Act
    send({ typeUrl: EDS, subscribe: ['a', 'b'] });
    const first = last();
    ack(first);
    env.cache.accept(sourceSnapshot(2, resources({ endpoints: [endpoints('a', 1), endpoints('b', 2)] })));
    const second = last();

    // Assess
    expect(first.resources.map((r) => r.name)).toEqual(['a']);
    expect(first.removedResources).toEqual(['b']);
    expect(second.resources.map((r) => r.name)).toEqual(['b']);
    expect(second.removedResources).toEqual([]);
  });

  it('does not resend a NACKed resource version, and still applies subscriptions from stale requests', () => {
    // Prepare
    const { env, stream, send, ack, last, sent } = setup();
    env.cache.accept(sourceSnapshot(1, resources({ endpoints: [endpoints('a', 1)] })));
    send({ typeUrl: EDS, subscribe: ['a'] });
    const v1 = last();
    ack(v1);
    env.cache.accept(sourceSnapshot(2, resources({ endpoints: [endpoints('a', 2), endpoints('b', 3)] })));
    const v2 = last();

    // Act: NACK v2; then a request with v1's (stale) nonce subscribes to b.
    send({ typeUrl: EDS, responseNonce: v2.nonce, errorDetail: { code: 3, message: 'bad endpoint' } });
    const afterNack = sent().length;
    send({ typeUrl: EDS, responseNonce: v1.nonce, subscribe: ['b'] });

    // Assess
    expect(afterNack).toBe(2);
    expect(last().resources.map((r) => r.name)).toEqual(['b']);
    expect(env.metrics.registry.value('fleetplane_relay_nacks_total', { type: 'eds' })).toBe(1);
    expect(env.metrics.registry.value('fleetplane_relay_stale_nonces_total', { type: 'eds' })).toBe(1);
    expect(stream.describe().types.eds).toMatchObject({
      subscribed: ['a', 'b'],
      lastNack: { version: '2', message: 'bad endpoint' },
    });
  });

  it('sends cluster removals only after listeners and routes are answered', () => {
    // Prepare
    const { env, send, ack, sent } = setup();
    const v = (n: number, name: string) =>
      sourceSnapshot(
        n,
        resources({
          clusters: [cluster(name)],
          listeners: [listener('l1', 8080)],
          routes: [route('r1', name)],
        }),
      );
    env.cache.accept(v(1, 'a'));
    send({ typeUrl: CDS });
    send({ typeUrl: LDS });
    send({ typeUrl: RDS, subscribe: ['r1'] });
    for (let i = 0; i < sent().length && i < 10; i++) ack(sent()[i] as DeltaResponse);
    const before = sent().length;

    // Act
    env.cache.accept(v(2, 'b'));
    for (let i = before; i < sent().length && i < before + 10; i++) ack(sent()[i] as DeltaResponse);

    // Assess
    const update = sent()
      .slice(before)
      .map(
        (r) =>
          `${r.typeUrl.split('.').pop()}:+${r.resources.map((x) => x.name).join(',')}-${r.removedResources.join(',')}`,
      );
    expect(update).toEqual(['Cluster:+b-', 'RouteConfiguration:+r1-', 'Cluster:+-a']);
  });
});
