// The snapshot bucket: immutable snapshot versions and the `latest.json` pointers under
// `clusters/`, claim-checked change-event objects under `claim-check/`. SSE-KMS with a customer
// managed key, versioned, private, TLS-only, with server access logs to a separate log bucket.

import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type LifecycleRule,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { SNAPSHOT_BUCKET } from '../../shared/pipeline/definition.ts';
import { StackConfigError } from '../errors.ts';

/** Where snapshots live in the bucket; see shared/snapshot/layout.ts. */
export const SNAPSHOT_PREFIX = 'clusters/';

export interface SnapshotBucketProps {
  /**
   * Noncurrent object versions kept per key under `clusters/` (the history of each Gateway's
   * `latest.json`, for rollback); older ones expire a day after they are replaced.
   *
   * @default SNAPSHOT_BUCKET.keepVersions
   */
  readonly keepVersions?: number;
  /**
   * How long server access logs are kept, in days.
   *
   * @default 90
   */
  readonly accessLogRetentionDays?: number;
  /**
   * What happens to the buckets and the key when they leave the stack. A bucket that still holds
   * objects cannot be destroyed; empty it first.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

export class SnapshotBucket extends Construct {
  readonly bucket: Bucket;
  readonly key: Key;
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: SnapshotBucketProps = {}) {
    super(scope, id);
    // Log delivery by bucket policy, whatever the app's feature flags: the ACL-based default cannot
    // coexist with BucketOwnerEnforced object ownership.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const keepVersions = props.keepVersions ?? SNAPSHOT_BUCKET.keepVersions;
    const logDays = props.accessLogRetentionDays ?? 90;
    if (!Number.isInteger(keepVersions) || keepVersions < 1 || keepVersions > 100) {
      throw new StackConfigError(
        `SnapshotBucket ${this.node.path}: keepVersions is ${keepVersions}; S3 keeps 1 to 100 noncurrent versions`,
      );
    }
    if (!Number.isInteger(logDays) || logDays < 1) {
      throw new StackConfigError(
        `SnapshotBucket ${this.node.path}: accessLogRetentionDays is ${logDays}; use a whole number of days, e.g. 90`,
      );
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.key = new Key(this, 'Key', {
      description: 'fleetplane snapshot bucket (SSE-KMS)',
      enableKeyRotation: true,
      removalPolicy,
    });

    // Server access log delivery does not support SSE-KMS destinations, hence SSE-S3 here. It has no
    // access logs of its own; cdk-nag (S1) accepts a bucket that is another bucket's log target.
    this.accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: Duration.days(logDays) }],
      removalPolicy,
    });

    const lifecycleRules: LifecycleRule[] = [
      {
        id: 'KeepRecentSnapshotVersions',
        prefix: SNAPSHOT_PREFIX,
        noncurrentVersionExpiration: Duration.days(1),
        noncurrentVersionsToRetain: keepVersions,
        expiredObjectDeleteMarker: true,
      },
      {
        id: 'ExpireClaimChecks',
        prefix: SNAPSHOT_BUCKET.claimCheckPrefix,
        expiration: Duration.days(SNAPSHOT_BUCKET.claimCheckExpiryDays),
        // Versioning turns the expiration into a delete marker; this removes the data itself.
        noncurrentVersionExpiration: Duration.days(1),
      },
      { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
    ];

    this.bucket = new Bucket(this, 'Bucket', {
      versioned: true,
      encryption: BucketEncryption.KMS,
      encryptionKey: this.key,
      // One data key per bucket rather than per object: far fewer KMS calls on every publish.
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'snapshot-bucket/',
      lifecycleRules,
      removalPolicy,
    });
  }
}
