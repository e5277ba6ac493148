// Creates the IR table and the snapshot bucket on an emulator (moto, LocalStack) the way the CDK
// stack defines them: the keys and TTL attribute from shared/pipeline/definition.ts, a stream with
// new and old images, a versioned bucket. For tests and the local runtime; AWS deployments get
// them from cdk/.

import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import { IR_TABLE } from '../pipeline/definition.ts';

/** Creates the IR table (if absent) and returns its stream ARN. */
export async function ensureIrTable(client: DynamoDBClient, tableName: string): Promise<string> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: IR_TABLE.partitionKey, AttributeType: 'S' },
          { AttributeName: IR_TABLE.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: IR_TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: IR_TABLE.sortKey, KeyType: 'RANGE' },
        ],
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: IR_TABLE.ttlAttribute, Enabled: true },
      }),
    );
  } catch (err) {
    if ((err as Error).name !== 'ResourceInUseException') throw err;
  }
  for (let attempt = 0; ; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE' && Table.LatestStreamArn) return Table.LatestStreamArn;
    if (attempt === 100) throw new Error(`table ${tableName} did not become ACTIVE with a stream`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Creates the snapshot bucket (if absent) with versioning, as the CDK stack does. */
export async function ensureSnapshotBucket(client: S3Client, bucketName: string): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucketName }));
  } catch (err) {
    const name = (err as Error).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  }
  await client.send(
    new PutBucketVersioningCommand({ Bucket: bucketName, VersioningConfiguration: { Status: 'Enabled' } }),
  );
}
