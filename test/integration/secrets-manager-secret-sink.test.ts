import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import { SecretsManagerSecretSink } from '../../shared/aws/secrets-manager-secret-sink.ts';
import { secretName } from '../../shared/pipeline/definition.ts';
import { uniqueName, useEmulator } from '../support/moto.ts';

const emulator = useEmulator();
const clusterId = uniqueName('c');
let client: SecretsManagerClient;
let sink: SecretsManagerSecretSink;

const b64 = (s: string) => Buffer.from(s).toString('base64');

beforeAll(() => {
  client = new SecretsManagerClient(emulator.current.clientConfig);
  sink = new SecretsManagerSecretSink({ client });
});

describe('SecretsManagerSecretSink', () => {
  it('stores the data under the derived name and returns the version holding it', async () => {
    // Act
    const version = await sink.putSecret(
      { clusterId, namespace: 'ai', name: 'openai' },
      { apiKey: b64('sk-1') },
    );

    // Assess
    expect(version.secretName).toBe(secretName(clusterId, 'ai', 'openai'));
    const stored = await client.send(new GetSecretValueCommand({ SecretId: version.secretName }));
    expect(stored.VersionId).toBe(version.versionId);
    expect(JSON.parse(stored.SecretString ?? '')).toEqual({ apiKey: b64('sk-1') });
  });

  it('keeps the version for unchanged data and makes a new one for changed data', async () => {
    // Prepare
    const locator = { clusterId, namespace: 'ai', name: 'rotating' };
    const first = await sink.putSecret(locator, { b: b64('2'), a: b64('1') });

    // Act
    const same = await sink.putSecret(locator, { a: b64('1'), b: b64('2') });
    const rotated = await sink.putSecret(locator, { a: b64('3'), b: b64('2') });

    // Assess
    expect(same.versionId).toBe(first.versionId);
    expect(rotated.versionId).not.toBe(first.versionId);
  });

  it('deletes, tolerates deleting twice, and restores a deleted Secret that comes back', async () => {
    // Prepare
    const locator = { clusterId, namespace: 'ai', name: 'comeback' };
    await sink.putSecret(locator, { k: b64('v1') });

    // Act
    await sink.deleteSecret(locator);
    await sink.deleteSecret(locator);
    await sink.deleteSecret({ clusterId, namespace: 'ai', name: 'never-stored' });
    const back = await sink.putSecret(locator, { k: b64('v2') });

    // Assess
    const stored = await client.send(new GetSecretValueCommand({ SecretId: back.secretName }));
    expect(JSON.parse(stored.SecretString ?? '')).toEqual({ k: b64('v2') });
  });
});
