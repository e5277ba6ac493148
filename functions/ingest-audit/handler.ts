// Lambda entry point of the audit ingestion function: environment, clients and adapters are built
// once per container, here at module scope; the behaviour lives in create-handler.ts.

import { EventBridgePublisher } from '../../shared/aws/event-bridge-publisher.ts';
import { S3ClaimCheck } from '../../shared/aws/s3-claim-check.ts';
import { ENV, readEnv } from '../shared/env.ts';
import { createObservability } from '../shared/observability.ts';
import { createHandler } from './create-handler.ts';
import { INGEST_AUDIT_ENV } from './env.ts';
import { parseWebhookTokens } from './webhook-auth.ts';

export { createHandler, type IngestAuditDeps } from './create-handler.ts';

export { INGEST_AUDIT_ENV } from './env.ts';

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
