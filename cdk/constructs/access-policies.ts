// Managed policies for the processes that run outside this stack, to attach to their roles (IRSA
// or EKS Pod Identity in the clusters, the ECS task role of the relay):
//   Producer        - the forwarder and audit ingestion: put change events, write claim checks,
//                     store referenced Secret data under SECRETS_PREFIX.
//   SnapshotReader  - the relay and the agent: read snapshots and `latest.json`.

import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SECRETS_PREFIX, SNAPSHOT_BUCKET } from '../../shared/pipeline/definition.ts';
import { acknowledge, iam5Resource } from '../nag.ts';
import { SNAPSHOT_PREFIX } from './snapshot-bucket.ts';

export interface AccessPoliciesProps {
  readonly bus: IEventBus;
  readonly bucket: IBucket;
  readonly bucketKey: IKey;
}

export class AccessPolicies extends Construct {
  readonly producer: ManagedPolicy;
  readonly snapshotReader: ManagedPolicy;

  constructor(scope: Construct, id: string, props: AccessPoliciesProps) {
    super(scope, id);
    const claimChecks = props.bucket.arnForObjects(`${SNAPSHOT_BUCKET.claimCheckPrefix}*`);
    const secrets = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${SECRETS_PREFIX}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.producer = new ManagedPolicy(this, 'Producer', {
      description:
        'fleetplane producers (forwarder, audit ingestion): change events, claim checks, Secret data',
      statements: [
        new PolicyStatement({ actions: ['events:PutEvents'], resources: [props.bus.eventBusArn] }),
        new PolicyStatement({ actions: ['s3:PutObject'], resources: [claimChecks] }),
        new PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [props.bucketKey.keyArn] }),
        new PolicyStatement({
          // What shared/aws/secrets-manager-secret-sink.ts calls: it reads the current value back so an
          // unchanged Secret keeps its version, and tags what it creates (TagResource).
          actions: [
            'secretsmanager:CreateSecret',
            'secretsmanager:DeleteSecret',
            'secretsmanager:GetSecretValue',
            'secretsmanager:PutSecretValue',
            'secretsmanager:RestoreSecret',
            'secretsmanager:TagResource',
          ],
          resources: [secrets],
        }),
      ],
    });
    acknowledge(
      this.producer,
      iam5Resource(this, claimChecks),
      'Claim-check keys are content-addressed (sha256) under claim-check/, so only a prefix wildcard ' +
        'can name them; limited to s3:PutObject there.',
    );
    acknowledge(
      this.producer,
      iam5Resource(this, secrets),
      `Producers create one secret per referenced Kubernetes Secret, named under ${SECRETS_PREFIX} ` +
        '(secretName() in shared/pipeline/definition.ts), and Secrets Manager appends a random suffix ' +
        'to each ARN, so only a prefix wildcard can name them; nothing outside that prefix is reachable.',
    );

    const snapshots = props.bucket.arnForObjects(`${SNAPSHOT_PREFIX}*`);
    this.snapshotReader = new ManagedPolicy(this, 'SnapshotReader', {
      description: 'fleetplane snapshot readers (relay, agent): snapshots and latest.json',
      statements: [
        new PolicyStatement({ actions: ['s3:GetObject'], resources: [snapshots] }),
        // So a Gateway without a snapshot yet reads as 404, not 403.
        new PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }),
        new PolicyStatement({ actions: ['kms:Decrypt'], resources: [props.bucketKey.keyArn] }),
      ],
    });
    acknowledge(
      this.snapshotReader,
      iam5Resource(this, snapshots),
      'Readers poll clusters/<clusterId>/gateways/<ns>/<name>/latest.json and its versions for ' +
        'Gateways that are not known when the stack is deployed; read-only and limited to clusters/.',
    );
  }
}
