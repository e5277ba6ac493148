// Lambda entry point of the audit ingestion function: environment, clients and adapters are built
// once per container, here at module scope; the behaviour lives in create-handler.ts.

import { EventBridgePublisher } from '../../shared/aws/event-bridge-publisher.ts';
import { S3ClaimCheck } from '../../shared/aws/s3-claim-check.ts';
import { ENV, readEnv } from '../shared/env.ts';
import { createObservability } from '../shared/observability.ts';
import { createHandler } from './create-handler.ts';
import { AUDIT_WEBHOOK_TOKENS_ENV, parseWebhookTokens } from './webhook-auth.ts';

export { createHandler, type IngestAuditDeps } from './create-handler.ts';

/** Variables of this function beyond the shared ones; the deployment sets them. */
export const INGEST_AUDIT_ENV = {
  /** `<clusterId>=<sha256 hex of the bearer token>`, comma separated; absent: the webhook refuses all. */
  webhookTokens: AUDIT_WEBHOOK_TOKENS_ENV,
  /** Cluster id for the CloudWatch Logs input; default: the name in `/aws/eks/<name>/cluster`. */
  clusterId: 'CLUSTER_ID',
} as const;

const env = readEnv(
  { eventBusName: ENV.eventBusName, snapshotBucketName: ENV.snapshotBucketName },
  INGEST_AUDIT_ENV,
);

export const handler = createHandler({
  publisher: new EventBridgePublisher({ eventBusName: env.eventBusName }),
  claimCheck: new S3ClaimCheck({ bucketName: env.snapshotBucketName }),
  webhookTokens: parseWebhookTokens(env.webhookTokens),
  clusterId: env.clusterId,
  ...createObservability('ingest-audit'),
});
