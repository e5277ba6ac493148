// AWS SDK client factories. An explicit `endpoint` in the config wins; without one the SDK applies
// its own configured-endpoint lookup (AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, then the
// shared config file), which is how emulators such as moto and LocalStack are reached. The only
// addition here is path-style S3 addressing whenever an endpoint is configured: emulators serve
// `http://host:port/bucket/key`, not `bucket.host`.

import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient, type DynamoDBStreamsClientConfig } from '@aws-sdk/client-dynamodb-streams';
import { EventBridgeClient, type EventBridgeClientConfig } from '@aws-sdk/client-eventbridge';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';

/** The settings every client shares; what tests and the local runtime pass to reach an emulator. */
export interface AwsClientConfig {
  endpoint?: string;
  region?: string;
  credentials?: DynamoDBClientConfig['credentials'];
  maxAttempts?: number;
}

export function createDynamoDbClient(config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient(config);
}

export function createDynamoDbStreamsClient(config: DynamoDBStreamsClientConfig = {}): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient(config);
}

export function createEventBridgeClient(config: EventBridgeClientConfig = {}): EventBridgeClient {
  return new EventBridgeClient(config);
}

export function createSqsClient(config: SQSClientConfig = {}): SQSClient {
  return new SQSClient(config);
}

export function createSecretsManagerClient(config: SecretsManagerClientConfig = {}): SecretsManagerClient {
  return new SecretsManagerClient(config);
}

export function createS3Client(config: S3ClientConfig = {}): S3Client {
  const forcePathStyle =
    config.forcePathStyle ?? (config.endpoint !== undefined || hasConfiguredEndpoint('S3'));
  return new S3Client({ ...config, forcePathStyle });
}

/**
 * Whether the SDK will use a configured endpoint for this service from the environment. Mirrors
 * the SDK's rule (service variable, then global, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS); the
 * shared-config-file form is not mirrored, so set `forcePathStyle` explicitly when using it.
 */
function hasConfiguredEndpoint(serviceSuffix: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === 'true') return false;
  return Boolean(env[`AWS_ENDPOINT_URL_${serviceSuffix}`] || env.AWS_ENDPOINT_URL);
}
