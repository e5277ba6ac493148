// Notifications for the relay's polled sources (S3 and directory): what a notification body may
// be, the authenticated HTTP endpoint (a real listener driving a real directory source, with a poll
// interval far too long to be what picks the version up), its token rules, and `s3://` parsing.

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../services/common/log.ts';
import { RelayMetrics } from '../../../services/relay/relay-metrics.ts';
import { SnapshotCache } from '../../../services/relay/snapshot-cache.ts';
import { DirectorySnapshotSource } from '../../../services/relay/source/directory-source.ts';
import {
  HttpNotificationReceiver,
  NOTIFY_TOKEN_ENV,
  readNotifyToken,
} from '../../../services/relay/source/http-notifications.ts';
import { parseNotification } from '../../../services/relay/source/notifications.ts';
import { parseS3Url } from '../../../services/relay/source/s3-source.ts';
import { FsSnapshotStore } from '../../../shared/fs/fs-snapshot-store.ts';
import { publishSnapshot } from '../../../shared/snapshot/publish.ts';
import { cluster, GATEWAY, listener, NODE_CLUSTER, resources } from './fixtures.ts';

const TOKEN = 'a-token-of-32-characters-or-so-xx';
const stops: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

const event = (detail: unknown, detailType = 'Snapshot Published') => ({
  version: '0',
  source: 'fleetplane.snapshots',
  'detail-type': detailType,
  detail,
});

describe('parseNotification', () => {
  it.each([
    ['nothing', undefined, { valid: true }],
    ['an empty object', {}, { valid: true }],
    [
      'a Snapshot Published event',
      event({ ...GATEWAY, version: 3, latestKey: 'k', manifestKey: 'm' }),
      { valid: true, target: GATEWAY },
    ],
    ['an event detail with only the gateway', event(GATEWAY), { valid: true, target: GATEWAY }],
    ['the gateway alone', { ...GATEWAY, extra: 1 }, { valid: true, target: GATEWAY }],
  ])('accepts %s', (_what, body, expected) => {
    expect(parseNotification(body)).toEqual(expected);
  });

  it.each([
    ['an array', [], /^body: expected a JSON object/],
    [
      'another event',
      event(GATEWAY, 'Envoy Config Rejected'),
      /source\/detail-type: .*is not a "Snapshot Published" event/,
    ],
    ['an event without a gateway', event({ clusterId: 'c1' }), /^detail\.gateway: /],
    [
      'a blank namespace',
      { clusterId: 'c1', gateway: { namespace: '', name: 'edge' } },
      /^gateway\.namespace: /,
    ],
  ])('rejects %s, naming the field', (_what, body, message) => {
    const parsed = parseNotification(body);
    expect(parsed.valid).toBe(false);
    expect(!parsed.valid && parsed.error).toMatch(message);
  });
});

describe('HttpNotificationReceiver', () => {
  async function setup() {
    const root = await mkdtemp(join(tmpdir(), 'fleetplane-relay-notify-'));
    const store = new FsSnapshotStore(root);
    const publish = async (clusterName: string) => {
      const result = await publishSnapshot(
        store,
        GATEWAY,
        resources({ clusters: [cluster(clusterName)], listeners: [listener('l', 1)] }),
      );
      if (result.status !== 'published') throw new Error('nothing published');
      return result.version;
    };
    const receiver = new HttpNotificationReceiver({
      listen: { host: '127.0.0.1', port: 0 },
      token: TOKEN,
      log: silentLogger,
    });
    const metrics = new RelayMetrics();
    const source = new DirectorySnapshotSource({
      root,
      pollIntervalMs: 3_600_000,
      notifications: [receiver],
      log: silentLogger,
      metrics,
    });
    stops.push(() => source.stop());
    const cache = new SnapshotCache({ metrics, log: silentLogger });
    await publish('a');
    await source.start(cache);
    const post = async (body?: string, init: { token?: string; method?: string; path?: string } = {}) => {
      const res = await fetch(`http://127.0.0.1:${receiver.address?.port}${init.path ?? '/notify'}`, {
        method: init.method ?? 'POST',
        headers: init.token === '' ? {} : { authorization: `Bearer ${init.token ?? TOKEN}` },
        ...(body !== undefined ? { body } : {}),
      });
      return {
        status: res.status,
        headers: res.headers,
        body: (await res.json()) as { gateways: Array<{ nodeCluster: string }>; error?: string },
      };
    };
    return { publish, source, cache, post, receiver };
  }

  it('loads the new version of the gateway named at once, and answers with its status', async () => {
    // Prepare
    const { publish, cache, post } = await setup();
    const version = await publish('b');

    // Act
    const res = await post(JSON.stringify(GATEWAY));

    // Assess
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      gateways: [expect.objectContaining({ nodeCluster: NODE_CLUSTER, loadedVersion: version })],
    });
    expect(cache.get(NODE_CLUSTER)?.version).toBe(version);
  });

  it('looks at every gateway, new ones included, when the body is empty', async () => {
    // Prepare
    const { source, cache, post } = await setup();
    const other = { clusterId: 'c2', gateway: { namespace: 'apps', name: 'api' } };
    const root = (source.description.match(/^dir:(.*)$/) ?? [])[1] ?? '';
    await publishSnapshot(new FsSnapshotStore(root), other, resources({ clusters: [cluster('x')] }));

    // Act
    const res = await post();

    // Assess
    expect(res.status).toBe(200);
    expect(res.body.gateways.map((g: { nodeCluster: string }) => g.nodeCluster)).toEqual([
      NODE_CLUSTER,
      'c2/apps/api',
    ]);
    expect(cache.get('c2/apps/api')?.version).toBe(1);
    expect(source.status().notifications?.http).toMatchObject({ received: 1, ignored: 0 });
  });

  it('does not keep a gateway a notification names when nothing is published for it', async () => {
    // Prepare
    const { source, post } = await setup();

    // Act
    const res = await post(JSON.stringify({ clusterId: 'nope', gateway: { namespace: 'x', name: 'y' } }));

    // Assess
    expect(res.status).toBe(200);
    expect(res.body.gateways).toEqual([{ nodeCluster: 'nope/x/y' }]);
    expect(source.status().gateways.map((g) => g.nodeCluster)).toEqual([NODE_CLUSTER]);
  });

  it.each([
    ['no token', { token: '' }, 401],
    ['a wrong token', { token: `${TOKEN}x` }, 401],
    ['GET', { method: 'GET' }, 405],
    ['another path', { path: '/refresh' }, 404],
  ])('refuses %s and loads nothing', async (_what, init, status) => {
    // Prepare
    const { publish, cache, post } = await setup();
    await publish('b');

    // Act
    const res = await post(undefined, init);

    // Assess
    expect(res.status).toBe(status);
    if (status === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    if (status === 405) expect(res.headers.get('allow')).toBe('POST');
    expect(cache.get(NODE_CLUSTER)?.version).toBe(1);
  });

  it.each([
    ['a body that is not JSON', '{ nope', /body: not JSON/],
    [
      'a gateway without a name',
      JSON.stringify({ clusterId: 'c1', gateway: { namespace: 'infra' } }),
      /gateway\.name/,
    ],
  ])('answers 400 to %s, naming the problem, and counts it as ignored', async (_what, body, message) => {
    // Prepare
    const { source, post } = await setup();

    // Act
    const res = await post(body);

    // Assess
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(message);
    expect(source.status().notifications?.http).toMatchObject({ received: 0, ignored: 1 });
  });

  it('answers 413 to a body over 64 KiB', async () => {
    const { post } = await setup();
    expect((await post(JSON.stringify({ pad: 'x'.repeat(70_000) }))).status).toBe(413);
  });

  it('fails to start, naming the flag, when its port is taken, and the source stops cleanly', async () => {
    // Prepare
    const { receiver } = await setup();
    const port = receiver.address?.port ?? 0;
    const clash = new DirectorySnapshotSource({
      root: await mkdtemp(join(tmpdir(), 'fleetplane-relay-notify-')),
      notifications: [
        new HttpNotificationReceiver({
          listen: { host: '127.0.0.1', port },
          token: TOKEN,
          log: silentLogger,
        }),
      ],
      log: silentLogger,
      metrics: new RelayMetrics(),
    });

    // Act + Assess
    await expect(
      clash.start(new SnapshotCache({ metrics: new RelayMetrics(), log: silentLogger })),
    ).rejects.toThrow(/--notify-listen 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    await clash.stop();
  });
});

describe('readNotifyToken', () => {
  it('reads the token from a file (trimmed), else from the environment', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'fleetplane-token-')), 'token');
    await writeFile(file, `${TOKEN}\n`);
    expect(readNotifyToken(file, {})).toBe(TOKEN);
    expect(readNotifyToken(undefined, { [NOTIFY_TOKEN_ENV]: TOKEN })).toBe(TOKEN);
  });

  it.each([
    [
      'no token anywhere',
      undefined,
      {},
      /--notify-listen needs a bearer token: pass --notify-token-file <file> or set FLEETPLANE_NOTIFY_TOKEN/,
    ],
    ['a missing file', '/nonexistent/token', {}, /--notify-token-file \/nonexistent\/token: cannot read it/],
    [
      'a short token',
      undefined,
      { [NOTIFY_TOKEN_ENV]: 'short' },
      /FLEETPLANE_NOTIFY_TOKEN: the token must be at least 16 characters/,
    ],
  ])('refuses %s and says how to fix it', (_what, file, env, message) => {
    expect(() => readNotifyToken(file, env)).toThrow(message);
  });
});

describe('parseS3Url', () => {
  it.each([
    ['s3://fleet-snapshots', { bucketName: 'fleet-snapshots', prefix: '' }],
    ['s3://fleet-snapshots/prod/eu', { bucketName: 'fleet-snapshots', prefix: 'prod/eu' }],
    ['s3://Bad_Bucket', undefined],
    ['s3://', undefined],
  ])('%s', (value, expected) => {
    expect(parseS3Url(value)).toEqual(expected);
  });
});
