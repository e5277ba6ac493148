// The environment contract of the audit ingestion function, beyond the shared variables of
// functions/shared/env.ts. Free of side effects, so the CDK construct that sets these variables
// imports the same names the handler reads.

import { AUDIT_WEBHOOK_TOKENS_ENV } from './webhook-auth.ts';

export const INGEST_AUDIT_ENV = {
  /** `<clusterId>=<sha256 hex of the bearer token>`, comma separated; absent: the webhook refuses all. */
  webhookTokens: AUDIT_WEBHOOK_TOKENS_ENV,
  /** Cluster id for the CloudWatch Logs input; default: the name in `/aws/eks/<name>/cluster`. */
  clusterId: 'CLUSTER_ID',
} as const;
