// Lambda entry point of the translate function: environment, clients and adapters are built once
// per container, here at module scope; the behaviour lives in create-handler.ts.

import { DynamoDbIrStore } from '../../shared/aws/dynamodb-ir-store.ts';
import { S3ClaimCheck } from '../../shared/aws/s3-claim-check.ts';
import { ENV, readEnv } from '../shared/env.ts';
import { createObservability } from '../shared/observability.ts';
import { createHandler } from './create-handler.ts';

export { createHandler, type TranslateHandlerDeps } from './create-handler.ts';

const env = readEnv({ irTableName: ENV.irTableName, snapshotBucketName: ENV.snapshotBucketName });

const irStore = new DynamoDbIrStore({ tableName: env.irTableName });

export const handler = createHandler({
  irStore,
  rejections: irStore,
  claimCheck: new S3ClaimCheck({ bucketName: env.snapshotBucketName }),
  ...createObservability('translate'),
});
