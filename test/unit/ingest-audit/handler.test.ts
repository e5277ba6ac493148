// The audit ingestion handler with fake ports and no network: the audit webhook EventList through a
// Lambda Function URL event (bearer token auth), and an EKS CloudWatch Logs subscription payload
// built here with zlib. Every skip and failure path has a case.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type {
  LambdaFunctionURLResult as AnyUrlResult,
  CloudWatchLogsEvent,
  LambdaFunctionURLEvent,
} from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createHandler, type IngestSummary } from '../../../functions/ingest-audit/create-handler.ts';
import {
  authenticate,
  parseWebhookTokens,
  WebhookTokenConfigError,
} from '../../../functions/ingest-audit/webhook-auth.ts';
import type { ChangeEventDetail } from '../../../shared/events/change-event.ts';
import { AuditInputError } from '../../../shared/pipeline/audit-event.ts';
import { lambdaContext, quietObservability } from '../functions/lambda.ts';
import { MemoryClaimCheck, RecordingEventPublisher } from '../pipeline/fakes.ts';

const context = lambdaContext('ingest-audit');
/** The handler always answers the structured form. */
type LambdaFunctionURLResult = Exclude<AnyUrlResult, string>;
const TOKEN = 'Zm9vYmFyLXRva2VuLWZvci1wcm9kLWV1LTE';
const digest = (token: string) => createHash('sha256').update(token).digest('hex');
const TOKENS = parseWebhookTokens(`prod-eu-1=${digest(TOKEN)},staging=${digest('another-token')}`);

function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

function setup(more: { clusterId?: string; claimCheck?: MemoryClaimCheck } = {}) {
  const publisher = new RecordingEventPublisher();
  const handler = createHandler({ publisher, webhookTokens: TOKENS, ...more, ...quietObservability() });
  const details = () => publisher.events.map((e) => e.detail as ChangeEventDetail);
  return { publisher, handler, details };
}

function urlEvent(
  body: string,
  headers: Record<string, string> = {},
  more: Partial<LambdaFunctionURLEvent> = {},
) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: 'timeout=30s',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abcdefghijklmnopqrstuvwxyz0123',
      domainName: 'abcdefghijklmnopqrstuvwxyz0123.lambda-url.eu-west-1.on.aws',
      domainPrefix: 'abcdefghijklmnopqrstuvwxyz0123',
      http: {
        method: 'POST',
        path: '/',
        protocol: 'HTTP/1.1',
        sourceIp: '198.51.100.7',
        userAgent: 'Go-http-client/2.0',
      },
      requestId: 'b1d2c3e4-0000-4000-8000-000000000001',
      routeKey: '$default',
      stage: '$default',
      time: '02/Mar/2026:10:04:03 +0000',
      timeEpoch: 1772445843000,
    },
    body,
    isBase64Encoded: false,
    ...more,
  } as LambdaFunctionURLEvent;
}

function logsEvent(payload: unknown): CloudWatchLogsEvent {
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(payload))).toString('base64') } };
}

function dataMessage(messages: string[], logGroup = '/aws/eks/prod-eu-1/cluster') {
  return {
    messageType: 'DATA_MESSAGE',
    owner: '111122223333',
    logGroup,
    logStream: 'kube-apiserver-audit-6f0c3b1e8d5a4f2b9c7e0a1d3b5c7e9f',
    subscriptionFilters: ['fleetplane-audit'],
    logEvents: messages.map((message, i) => ({
      id: `3792637581634523500${i}`,
      timestamp: 1772445900020 + i,
      message,
    })),
  };
}

const json = (res: unknown) => JSON.parse((res as LambdaFunctionURLResult).body ?? '{}');

describe('ingest-audit: webhook EventList through the Function URL', () => {
  it('forwards successful ResponseComplete writes of watched kinds and skips the rest, saying why', async () => {
    const { handler, details } = setup();
    const res = (await handler(
      urlEvent(JSON.stringify(fixture('webhook-event-list.json'))),
      context,
    )) as LambdaFunctionURLResult;

    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({
      clusterId: 'prod-eu-1',
      received: 6,
      forwarded: 2,
      skipped: { stage: 1, failed: 1, notWatched: 1, subresource: 1 },
    });
    const [created, deleted] = details();
    expect(created).toMatchObject({
      clusterId: 'prod-eu-1',
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      kind: 'HTTPRoute',
      namespace: 'shop',
      name: 'search',
      uid: '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9',
      resourceVersion: '48401',
      generation: 1,
      change: 'UPSERT',
      origin: 'audit',
      observedAt: '2026-03-02T10:02:13.118Z',
    });
    // The object is the response (as stored), not the request; kubectl's copy is dropped.
    expect(created?.object?.spec).toMatchObject({ rules: [{ matches: [{ path: { value: '/' } }] }] });
    expect(JSON.stringify(created)).not.toContain('last-applied-configuration');
    // A delete: identity from objectRef, version from the returned object, no object on the bus.
    expect(deleted).toMatchObject({
      change: 'DELETE',
      name: 'checkout',
      resourceVersion: '48415',
      origin: 'audit',
    });
    expect(deleted?.object).toBeUndefined();
  });

  it('names the cluster by the token: another cluster token sends in that cluster name', async () => {
    const { handler, details } = setup();
    const res = await handler(
      urlEvent(JSON.stringify(fixture('webhook-event-list.json')), { authorization: 'Bearer another-token' }),
      context,
    );
    expect((res as LambdaFunctionURLResult).statusCode).toBe(200);
    expect(new Set(details().map((d) => d.clusterId))).toEqual(new Set(['staging']));
  });

  it('accepts a base64-encoded body', async () => {
    const { handler, details } = setup();
    const body = Buffer.from(JSON.stringify(fixture('webhook-event-list.json'))).toString('base64');
    const res = await handler(urlEvent(body, {}, { isBase64Encoded: true }), context);
    expect((res as LambdaFunctionURLResult).statusCode).toBe(200);
    expect(details()).toHaveLength(2);
  });

  it.each([
    ['no Authorization header', { authorization: '' }],
    ['an unknown token', { authorization: 'Bearer not-the-token' }],
    ['a Basic credential', { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }],
    ['a token with trailing junk', { authorization: `Bearer ${TOKEN} extra` }],
  ])('answers 401 to %s and forwards nothing', async (_case, headers) => {
    const { handler, publisher } = setup();
    const res = (await handler(
      urlEvent(JSON.stringify(fixture('webhook-event-list.json')), headers),
      context,
    )) as LambdaFunctionURLResult;
    expect(res.statusCode).toBe(401);
    expect(res.headers?.['www-authenticate']).toBe('Bearer');
    expect(publisher.events).toHaveLength(0);
  });

  it('answers 401 to everyone when no token is configured', async () => {
    const publisher = new RecordingEventPublisher();
    const handler = createHandler({ publisher, webhookTokens: [], ...quietObservability() });
    const res = (await handler(urlEvent('{}'), context)) as LambdaFunctionURLResult;
    expect(res.statusCode).toBe(401);
  });

  it('answers 405 to anything but POST', async () => {
    const { handler } = setup();
    const event = urlEvent('');
    event.requestContext.http.method = 'GET';
    const res = (await handler(event, context)) as LambdaFunctionURLResult;
    expect(res.statusCode).toBe(405);
    expect(res.headers?.allow).toBe('POST');
  });

  it.each([
    ['a body that is not JSON', '{"kind": "EventList",', 'body'],
    ['another kind of list', JSON.stringify({ kind: 'PodList', apiVersion: 'v1', items: [] }), 'kind'],
    [
      'another audit API version',
      JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1beta1', items: [] }),
      'apiVersion',
    ],
    [
      'items that are not a list',
      JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: {} }),
      'items',
    ],
  ])('answers 400 naming the field for %s', async (_case, body, field) => {
    const { handler, publisher } = setup();
    const res = (await handler(urlEvent(body), context)) as LambdaFunctionURLResult;
    expect(res.statusCode).toBe(400);
    expect(json(res).field).toBe(field);
    expect(json(res).error).toMatch(new RegExp(`^${field.replace(/[[\]]/g, '\\$&')}: `));
    expect(publisher.events).toHaveLength(0);
  });

  it('answers 400 naming the item and field of a malformed audit event', async () => {
    const { handler } = setup();
    const list = fixture<{ items: Array<Record<string, unknown>> }>('webhook-event-list.json');
    delete list.items[1]?.stageTimestamp;
    const res = (await handler(urlEvent(JSON.stringify(list)), context)) as LambdaFunctionURLResult;
    expect(res.statusCode).toBe(400);
    expect(json(res).field).toBe('items[1].stageTimestamp');
  });

  it('answers 503 with Retry-After when the bus refuses, so the API server retries the batch', async () => {
    const { handler, publisher } = setup();
    publisher.failWith = new Error('ServiceUnavailable');
    const res = (await handler(
      urlEvent(JSON.stringify(fixture('webhook-event-list.json'))),
      context,
    )) as LambdaFunctionURLResult;
    expect(res.statusCode).toBe(503);
    expect(res.headers?.['retry-after']).toBe('5');
  });

  it('skips dry runs, unwatched verbs, Secrets, and deletes without any resourceVersion', async () => {
    const { handler, details } = setup();
    const list = fixture<{ items: Array<Record<string, unknown>> }>('webhook-event-list.json');
    const create = list.items[1] as Record<string, unknown>;
    const dryRun = { ...create, requestURI: `${create.requestURI}&dryRun=All` };
    const get = { ...create, verb: 'get' };
    const secret = {
      ...create,
      objectRef: { resource: 'secrets', namespace: 'shop', name: 'openai-key', apiVersion: 'v1' },
      responseObject: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'openai-key', namespace: 'shop', resourceVersion: '1' },
        data: { k: 'dmFsdWU=' },
      },
    };
    const bareDelete = {
      ...create,
      verb: 'delete',
      objectRef: { resource: 'services', namespace: 'shop', name: 'legacy', apiVersion: 'v1' },
      responseObject: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name: 'legacy', kind: 'services', uid: 'u-1' },
      },
    };
    const preconditioned = {
      ...bareDelete,
      requestObject: {
        kind: 'DeleteOptions',
        apiVersion: 'meta.k8s.io/v1',
        preconditions: { resourceVersion: '777' },
      },
    };
    const body = { ...list, items: [dryRun, get, secret, bareDelete, preconditioned] };
    const res = (await handler(urlEvent(JSON.stringify(body)), context)) as LambdaFunctionURLResult;

    expect(json(res).skipped).toEqual({ dryRun: 1, verb: 1, secret: 1, noResourceVersion: 1 });
    expect(JSON.stringify(details())).not.toContain('dmFsdWU=');
    expect(details()).toEqual([
      expect.objectContaining({
        kind: 'Service',
        name: 'legacy',
        change: 'DELETE',
        resourceVersion: '777',
        uid: 'u-1',
      }),
    ]);
  });

  it('sends a large audited object through the claim check', async () => {
    const claimCheck = new MemoryClaimCheck();
    const { handler, details } = setup({ claimCheck });
    const list = fixture<{ items: Array<Record<string, { spec?: unknown }>> }>('webhook-event-list.json');
    const created = list.items[1] as Record<string, Record<string, unknown>>;
    (created.responseObject as Record<string, unknown>).padding = 'x'.repeat(200 * 1024);
    await handler(urlEvent(JSON.stringify({ ...list, items: [created] })), context);
    expect(details()[0]?.objectRef?.bucket).toBe('memory');
    expect(details()[0]?.object).toBeUndefined();
  });
});

describe('ingest-audit: CloudWatch Logs subscription (EKS audit log)', () => {
  it('decodes gzip + base64, forwards the kept events and counts malformed lines', async () => {
    const { handler, details } = setup();
    const patch = fixture('eks-audit-patch.json');
    const received = { ...patch, stage: 'RequestReceived' };
    const event = logsEvent(
      dataMessage([
        JSON.stringify(received),
        JSON.stringify(patch),
        'I0302 10:05:00 not json',
        JSON.stringify({ kind: 'Event' }),
      ]),
    );

    const summary = (await handler(event, context)) as IngestSummary;

    expect(summary).toEqual({
      clusterId: 'prod-eu-1',
      received: 4,
      forwarded: 1,
      skipped: { stage: 1, malformed: 2 },
    });
    expect(details()).toEqual([
      expect.objectContaining({
        clusterId: 'prod-eu-1',
        group: 'gateway.kgateway.dev',
        kind: 'Backend',
        name: 'payments-api',
        resourceVersion: '48213',
        generation: 4,
        change: 'UPSERT',
        origin: 'audit',
      }),
    ]);
  });

  it('uses CLUSTER_ID over the log group name', async () => {
    const { handler, details } = setup({ clusterId: 'eks-prod' });
    await handler(logsEvent(dataMessage([JSON.stringify(fixture('eks-audit-patch.json'))])), context);
    expect(details()[0]?.clusterId).toBe('eks-prod');
  });

  it('skips CONTROL_MESSAGE payloads', async () => {
    const { handler, publisher } = setup();
    const control = {
      messageType: 'CONTROL_MESSAGE',
      owner: 'CloudwatchLogs',
      logGroup: '',
      logStream: '',
      subscriptionFilters: [],
      logEvents: [
        {
          id: '',
          timestamp: 1772445900000,
          message: 'CWL CONTROL MESSAGE: Checking health of destination Lambda function.',
        },
      ],
    };
    expect(await handler(logsEvent(control), context)).toEqual({ received: 0, forwarded: 0, skipped: {} });
    expect(publisher.events).toHaveLength(0);
  });

  it.each([
    ['missing data', { awslogs: { data: '' } }, 'awslogs.data'],
    ['data that is not gzip', { awslogs: { data: Buffer.from('plain').toString('base64') } }, 'awslogs.data'],
    [
      'gzip of something else than JSON',
      { awslogs: { data: gzipSync('nope').toString('base64') } },
      'awslogs.data',
    ],
    [
      'a payload without logEvents',
      logsEvent({ messageType: 'DATA_MESSAGE', logGroup: '/aws/eks/a/cluster', logStream: 's' }),
      'awslogs.data logEvents',
    ],
  ])('throws an AuditInputError naming the field for %s', async (_case, event, field) => {
    const { handler } = setup();
    const error = await handler(event as CloudWatchLogsEvent, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuditInputError);
    expect((error as AuditInputError).field).toBe(field);
  });

  it('throws when the log group names no cluster and CLUSTER_ID is unset', async () => {
    const { handler } = setup();
    const event = logsEvent(dataMessage([JSON.stringify(fixture('eks-audit-patch.json'))], '/custom/audit'));
    await expect(handler(event, context)).rejects.toThrow(/set CLUSTER_ID/);
  });

  it('lets a bus failure throw, so Lambda retries the payload', async () => {
    const { handler, publisher } = setup();
    publisher.failWith = new Error('ThrottlingException');
    await expect(
      handler(logsEvent(dataMessage([JSON.stringify(fixture('eks-audit-patch.json'))])), context),
    ).rejects.toThrow('ThrottlingException');
  });
});

describe('webhook tokens', () => {
  it('parses <clusterId>=<sha256> entries and matches a presented token to its cluster', () => {
    expect(authenticate(`Bearer ${TOKEN}`, TOKENS)).toEqual({ clusterId: 'prod-eu-1' });
    expect(authenticate(`bearer ${TOKEN}`, TOKENS)).toEqual({ clusterId: 'prod-eu-1' });
    expect(authenticate('Bearer ', TOKENS)).toBeUndefined();
    expect(authenticate(undefined, TOKENS)).toBeUndefined();
    expect(parseWebhookTokens(undefined)).toEqual([]);
    expect(parseWebhookTokens('  ')).toEqual([]);
  });

  it.each([
    ['a raw token instead of a digest', `prod=${TOKEN}`, /must be 64 hex digits/],
    ['a bad cluster id', `Prod_EU=${digest('x')}`, /DNS-label cluster id/],
    ['two equals signs', `prod=${digest('x')}=x`, /expected <clusterId>=<sha256 hex>/],
  ])('refuses %s, naming the entry', (_case, value, message) => {
    expect(() => parseWebhookTokens(value)).toThrow(WebhookTokenConfigError);
    expect(() => parseWebhookTokens(value)).toThrow(message);
    expect(() => parseWebhookTokens(value)).toThrow('AUDIT_WEBHOOK_TOKENS entry 1');
  });
});
