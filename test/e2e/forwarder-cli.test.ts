// `fleetplane forwarder` as users run it: a child process with a kubeconfig pointing at a fake
// Kubernetes API (recorded list and watch responses over HTTP), the bus on the emulator (moto, or
// AWS_ENDPOINT_URL) through AWS_ENDPOINT_URL, an EventBridge rule delivering to SQS. Changes wait
// for the flush interval (an hour here) until SIGTERM, which must send them before the process
// exits. A Secret's value lands in Secrets Manager; the bus only sees the reference. Each list is
// followed by its Collection Listed event.

import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeEventDetail } from '../../shared/events/change-event.ts';
import type { CollectionListedDetail } from '../../shared/events/collection-listed.ts';
import { uniqueName, useEmulator } from '../support/moto.ts';
import { eventually, FakeKubeApi } from '../unit/forwarder/fake-kube-api.ts';
import { fixture, ROUTES_PATH, SECRETS_PATH } from '../unit/forwarder/fixtures.ts';

const repoRoot = join(import.meta.dirname, '..', '..');
const emulator = useEmulator();
const api = new FakeKubeApi();
const busName = uniqueName('forwarder-bus');
const clusterId = uniqueName('e2e');
let sqs: SQSClient;
let queueUrl = '';

beforeAll(async () => {
  await api.start();
  const config = emulator.current.clientConfig;
  const events = new EventBridgeClient(config);
  sqs = new SQSClient(config);
  await events.send(new CreateEventBusCommand({ Name: busName }));
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('forwarder-events') }));
  queueUrl = queue.QueueUrl ?? '';
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  await events.send(
    new PutRuleCommand({
      Name: 'to-queue',
      EventBusName: busName,
      EventPattern: JSON.stringify({ source: ['fleetplane.kubernetes'], detail: { clusterId: [clusterId] } }),
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: 'to-queue',
      EventBusName: busName,
      Targets: [{ Id: 'queue', Arn: attrs.Attributes?.QueueArn }],
    }),
  );
});

afterAll(async () => {
  await api.stop();
});

type Received =
  | { 'detail-type': 'Kubernetes Object Change'; detail: ChangeEventDetail }
  | { 'detail-type': 'Kubernetes Collection Listed'; detail: CollectionListedDetail };

async function receive(): Promise<Received[]> {
  const res = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  return (res.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}') as Received);
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

describe('fleetplane forwarder (child process)', () => {
  it('lists and watches, then on SIGTERM flushes the pending change events to the bus and exits 0', async () => {
    api.list(ROUTES_PATH, { body: fixture('httproutes-list.json') });
    api.list(SECRETS_PATH, { body: fixture('secrets-list.json') });
    const { endpoint, clientConfig } = emulator.current;
    const child = spawn(
      process.execPath,
      [
        join(repoRoot, 'bin', 'fleetplane.mjs'),
        'forwarder',
        '--cluster-id',
        clusterId,
        '--event-bus',
        busName,
        '--kubeconfig',
        api.writeKubeconfig(),
        '--kinds',
        'HTTPRoute,Secret',
        '--flush-interval',
        '1h',
        '--resync',
        '0',
        '--metrics-addr',
        '127.0.0.1:0',
      ],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          AWS_ENDPOINT_URL: endpoint,
          AWS_REGION: clientConfig.region,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
        },
      },
    );
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    const code = exited(child);
    try {
      await eventually(
        () => api.openWatches(ROUTES_PATH) === 1 && api.openWatches(SECRETS_PATH) === 1,
        'both watches to be open',
        30_000,
      );
      // Held back by the flush interval: nothing on the bus yet.
      expect(await receive()).toEqual([]);
      expect(stderr).toContain('forwarder started');
    } catch (err) {
      child.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n${stderr}`);
    }

    child.kill('SIGTERM');
    expect(await code, stderr).toBe(0);
    expect(stderr).toContain('"unsent":0');

    const events: Received[] = [];
    const deadline = Date.now() + 15_000;
    while (events.length < 5 && Date.now() < deadline) events.push(...(await receive()));
    const received = events.flatMap((e) =>
      e['detail-type'] === 'Kubernetes Object Change' ? [e.detail] : [],
    );
    const listed = events.flatMap((e) =>
      e['detail-type'] === 'Kubernetes Collection Listed' ? [e.detail] : [],
    );
    expect(
      listed
        .map(
          (l) =>
            `${l.kind}@${l.resourceVersion} ${l.names?.map((n) => `${n.namespace}/${n.name}`).join(',')}`,
        )
        .sort(),
    ).toEqual(['HTTPRoute@48213 shop/checkout,shop/catalog', 'Secret@52310 shop/openai-key']);
    expect(received.map((d) => `${d.kind} ${d.namespace}/${d.name}@${d.resourceVersion}`).sort()).toEqual([
      'HTTPRoute shop/catalog@48102',
      'HTTPRoute shop/checkout@47990',
      'Secret shop/openai-key@52001',
    ]);

    const secret = received.find((d) => d.kind === 'Secret');
    expect(secret?.object?.data).toEqual({ apiKey: '' });
    expect(secret?.secretRef?.secretName).toBe(`fleetplane/${clusterId}/shop/openai-key`);
    expect(JSON.stringify(received)).not.toContain('c2stdGVzdC1ub3QtYS1yZWFsLWtleQ==');
    const stored = await new SecretsManagerClient(clientConfig).send(
      new GetSecretValueCommand({
        SecretId: secret?.secretRef?.secretName,
        VersionId: secret?.secretRef?.versionId,
      }),
    );
    expect(JSON.parse(stored.SecretString ?? '{}')).toEqual({ apiKey: 'c2stdGVzdC1ub3QtYS1yZWFsLWtleQ==' });

    const route = received.find((d) => d.name === 'checkout');
    expect(route?.object?.metadata).not.toHaveProperty('managedFields');
    expect(JSON.stringify(route)).not.toContain('last-applied-configuration');
  });

  it('fails with a clear message for a bad --cluster-id', async () => {
    const child = spawn(
      process.execPath,
      [
        join(repoRoot, 'bin', 'fleetplane.mjs'),
        'forwarder',
        '--cluster-id',
        'Not_A_Label',
        '--event-bus',
        'b',
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    expect(await exited(child)).toBe(1);
    expect(stderr).toContain('--cluster-id "Not_A_Label": must be a DNS label');
  });

  it('fails with a clear message for an unknown kind', async () => {
    const child = spawn(
      process.execPath,
      [
        join(repoRoot, 'bin', 'fleetplane.mjs'),
        'forwarder',
        '--cluster-id',
        'c1',
        '--event-bus',
        'b',
        '--kinds',
        'Pod',
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    expect(await exited(child)).toBe(1);
    expect(stderr).toContain('--kinds "Pod" is not a watched kind');
  });
});
