// SecretSink on AWS Secrets Manager. A Secret's data is stored as one JSON SecretString (key →
// base64 value, keys sorted) under `secretName(clusterId, namespace, name)`, encrypted with the
// given KMS key. The current value is read first, so a resync of an unchanged Secret creates no
// new version and keeps its versionId.

import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  type SecretsManagerClient,
  type SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import { FleetplaneError } from '../errors.ts';
import { secretName } from '../pipeline/definition.ts';
import type { SecretLocator, SecretSink, SecretVersion } from '../ports/secret-sink.ts';
import { createSecretsManagerClient } from './clients.ts';

export interface SecretsManagerSecretSinkOptions {
  /** Your own client; one is built from `clientConfig` otherwise. */
  client?: SecretsManagerClient;
  clientConfig?: SecretsManagerClientConfig;
  /** KMS key (id, ARN or alias) for new secrets. Default: the account's `aws/secretsmanager` key. */
  kmsKeyId?: string;
  /** Recovery window for deletes, 7–30 days. Default: 7. */
  recoveryWindowInDays?: number;
}

export class SecretSinkError extends FleetplaneError {}

export class SecretsManagerSecretSink implements SecretSink {
  readonly #client: SecretsManagerClient;
  readonly #kmsKeyId: string | undefined;
  readonly #recoveryWindowInDays: number;

  constructor(options: SecretsManagerSecretSinkOptions = {}) {
    this.#client = options.client ?? createSecretsManagerClient(options.clientConfig);
    this.#kmsKeyId = options.kmsKeyId;
    this.#recoveryWindowInDays = options.recoveryWindowInDays ?? 7;
  }

  async putSecret(secret: SecretLocator, data: Record<string, string>): Promise<SecretVersion> {
    const name = secretName(secret.clusterId, secret.namespace, secret.name);
    const value = JSON.stringify(
      Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1))),
    );
    const current = await this.#current(name);
    if (current.state === 'current' && current.value === value) {
      return { secretName: name, versionId: current.versionId };
    }
    if (current.state === 'missing') {
      try {
        const res = await this.#client.send(
          new CreateSecretCommand({
            Name: name,
            SecretString: value,
            KmsKeyId: this.#kmsKeyId,
            Description: `Kubernetes Secret ${secret.namespace}/${secret.name} of cluster ${secret.clusterId} (fleetplane)`,
            Tags: [
              { Key: 'fleetplane:cluster', Value: secret.clusterId },
              { Key: 'fleetplane:namespace', Value: secret.namespace },
              { Key: 'fleetplane:name', Value: secret.name },
            ],
          }),
        );
        return { secretName: name, versionId: required(res.VersionId, name) };
      } catch (err) {
        // Another writer created it first: fall through and put a new version.
        if ((err as Error).name !== 'ResourceExistsException') throw err;
      }
    }
    if (current.state === 'scheduledForDeletion') {
      await this.#client.send(new RestoreSecretCommand({ SecretId: name }));
    }
    const res = await this.#client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
    return { secretName: name, versionId: required(res.VersionId, name) };
  }

  async deleteSecret(secret: SecretLocator): Promise<void> {
    const name = secretName(secret.clusterId, secret.namespace, secret.name);
    try {
      await this.#client.send(
        new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: this.#recoveryWindowInDays }),
      );
    } catch (err) {
      const code = (err as Error).name;
      // Never stored, or already scheduled for deletion: the outcome wanted is already there.
      if (code === 'ResourceNotFoundException' || code === 'InvalidRequestException') return;
      throw err;
    }
  }

  async #current(
    name: string,
  ): Promise<
    | { state: 'current'; value: string | undefined; versionId: string }
    | { state: 'missing' }
    | { state: 'scheduledForDeletion' }
  > {
    try {
      const res = await this.#client.send(new GetSecretValueCommand({ SecretId: name }));
      return { state: 'current', value: res.SecretString, versionId: required(res.VersionId, name) };
    } catch (err) {
      const code = (err as Error).name;
      if (code === 'ResourceNotFoundException') return { state: 'missing' };
      // GetSecretValue on a secret pending deletion answers InvalidRequestException.
      if (code === 'InvalidRequestException') return { state: 'scheduledForDeletion' };
      throw err;
    }
  }
}

function required(versionId: string | undefined, name: string): string {
  if (!versionId) throw new SecretSinkError(`${name}: Secrets Manager returned no VersionId`);
  return versionId;
}
