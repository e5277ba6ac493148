// Lambda entry point of the build-snapshot function: environment, clients and adapters are built
// once per container, here at module scope; the behaviour lives in create-handler.ts.

import { DynamoDbIrStore } from '../../shared/aws/dynamodb-ir-store.ts';
import { EventBridgePublisher } from '../../shared/aws/event-bridge-publisher.ts';
import { S3SnapshotStore } from '../../shared/aws/s3-snapshot-store.ts';
import { ENV, readEnv } from '../shared/env.ts';
import { createObservability } from '../shared/observability.ts';
import { createHandler } from './create-handler.ts';

export { type BuildSnapshotHandlerDeps, createHandler } from './create-handler.ts';

const env = readEnv(
  {
    irTableName: ENV.irTableName,
    snapshotBucketName: ENV.snapshotBucketName,
    eventBusName: ENV.eventBusName,
  },
  { controllerName: ENV.controllerName },
);

const irStore = new DynamoDbIrStore({ tableName: env.irTableName });

export const handler = createHandler({
  irStore,
  rejections: irStore,
  snapshotStore: new S3SnapshotStore({ bucketName: env.snapshotBucketName }),
  events: new EventBridgePublisher({ eventBusName: env.eventBusName }),
  controllerName: env.controllerName,
  ...createObservability('build-snapshot'),
});
