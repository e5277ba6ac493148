// RelayStack: the fleet's xDS relays (RelayService) in their own stack, next to the PipelineStack
// whose bus, snapshot bucket and SnapshotReader policy it takes. Its own stack so that the
// pipeline deploys without Docker (the relay image is a Docker asset) and the two change apart.
// A VPC is created unless one is passed in: looking one up needs an account and region at synth.

import { CfnOutput, Stack, type StackProps, Tags, Token } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  IpAddresses,
  type IVpc,
  type SubnetSelection,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { Repository } from 'aws-cdk-lib/aws-ecr';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IManagedPolicy } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { Alarms } from './constructs/alarms.ts';
import { REPO_ROOT } from './constructs/pipeline-function.ts';
import { RELAY_XDS_PORT, RelayService, type RelayServiceProps } from './constructs/relay-service.ts';
import { StackConfigError } from './errors.ts';

export interface RelayStackProps
  extends StackProps,
    Omit<RelayServiceProps, 'vpc' | 'image' | 'bus' | 'bucket' | 'snapshotReaderPolicy'> {
  /** The fleet, as the PipelineStack's; tagged on every resource as `fleetplane:fleet`. */
  readonly fleet: string;
  /** The PipelineStack's change bus. */
  readonly bus: IEventBus;
  /** The PipelineStack's snapshot bucket. */
  readonly bucket: IBucket;
  /** The PipelineStack's SnapshotReader policy (read access to snapshots and the bucket's key). */
  readonly snapshotReaderPolicy: IManagedPolicy;
  /**
   * The VPC of the relays and the NLB; Envoys must reach it (peering, Transit Gateway, or
   * PrivateLink; see docs/deploy.md). It needs private subnets with egress, and public ones for an
   * internet-facing NLB.
   *
   * @default - a new VPC over 2 zones with one NAT gateway, an S3 gateway endpoint and flow logs
   */
  readonly vpc?: IVpc;
  /**
   * An existing VPC to look up by id, instead of `vpc`. A lookup needs the stack's account and
   * region, and credentials at synth (the result is cached in cdk.context.json).
   *
   * @default - see `vpc`
   */
  readonly vpcId?: string;
  /** @default - private subnets with egress */
  readonly taskSubnets?: SubnetSelection;
  /**
   * The relay image.
   *
   * @default - the repository's root Dockerfile, built for ARM64 by `cdk deploy` (needs Docker with
   * buildx there; `cdk synth` only stages the build context)
   */
  readonly image?: ContainerImage;
  /**
   * A prebuilt relay image instead of `image`: `<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`
   * (or `@sha256:<digest>`), pulled with the execution role, or any other registry reference, pulled
   * anonymously. It must be built from the root Dockerfile.
   *
   * @default - see `image`
   */
  readonly imageUri?: string;
  /**
   * Complete ARN of a Secrets Manager secret with the ADS listener's certificate and key as PEM in
   * the JSON fields `cert` and `key` (RelayServiceProps.tls for other field names).
   *
   * @default - plaintext gRPC, unless `tls` is given
   */
  readonly tlsSecretArn?: string;
  /** With `tlsSecretArn`: the field holding the client CA bundle, which turns on mTLS. @default - no mTLS */
  readonly tlsClientCaField?: string;
  /**
   * NAT gateways of the created VPC. One is enough to keep serving through a zone outage (S3 is
   * reached through the gateway endpoint); two keep notifications and NACK reports flowing too.
   *
   * @default 1
   */
  readonly natGateways?: number;
  /** ARN of an existing SNS topic that the relay alarms notify. @default - none */
  readonly alarmTopicArn?: string;
}

/** CIDR block of the VPC the stack creates. */
export const RELAY_VPC_CIDR = '10.64.0.0/16';

export class RelayStack extends Stack {
  readonly vpc: IVpc;
  readonly relay: RelayService;
  readonly alarms: Alarms;

  constructor(scope: Construct, id: string, props: RelayStackProps) {
    super(scope, id, {
      description: `fleetplane xDS relays for fleet ${props.fleet}: ADS to Envoy behind an NLB`,
      ...props,
    });
    Tags.of(this).add('fleetplane:fleet', props.fleet);

    this.vpc =
      props.vpc ?? (props.vpcId ? this.lookupVpc(props.vpcId) : this.createVpc(props.natGateways ?? 1));
    const tls =
      props.tls ??
      (props.tlsSecretArn
        ? {
            secret: Secret.fromSecretCompleteArn(this, 'TlsSecret', props.tlsSecretArn),
            ...(props.tlsClientCaField ? { clientCaField: props.tlsClientCaField } : {}),
          }
        : undefined);
    this.relay = new RelayService(this, 'Relay', {
      ...props,
      vpc: this.vpc,
      ...(props.allowedClientCidrs === undefined && !props.vpc && !props.vpcId
        ? { allowedClientCidrs: [RELAY_VPC_CIDR] }
        : {}),
      image: props.image ?? (props.imageUri ? this.imageFromUri(props.imageUri) : relayImageFromDockerfile()),
      ...(tls ? { tls } : {}),
    });
    this.alarms = new Alarms(this, 'Alarms', {
      deadLetterQueues: [],
      functions: [],
      metrics: this.relay.metricAlarms,
      ...(props.alarmTopicArn ? { topic: Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn) } : {}),
    });

    const output = (outputId: string, value: string, description: string) =>
      new CfnOutput(this, outputId, { value, description });
    output(
      'XdsEndpoint',
      `${this.relay.loadBalancer.loadBalancerDnsName}:${RELAY_XDS_PORT}`,
      'ADS endpoint for Envoy (fleetplane bootstrap --xds-server)',
    );
    output('LoadBalancerDnsName', this.relay.loadBalancer.loadBalancerDnsName, 'The relay NLB');
    output('NotifyQueueUrl', this.relay.notifyQueue.queueUrl, '"Snapshot Published" notifications');
    output('ClusterName', this.relay.cluster.clusterName, 'ECS cluster of the relays');
    output('ServiceName', this.relay.service.serviceName, 'ECS service of the relays');
    output('RelayLogGroup', this.relay.logGroup.logGroupName, 'Relay logs');
  }

  private lookupVpc(vpcId: string): IVpc {
    if (Token.isUnresolved(this.account) || Token.isUnresolved(this.region)) {
      throw new StackConfigError(
        `RelayStack ${this.node.path}: vpcId ${vpcId} needs a stack with an account and region to look it up ` +
          '(context fleetplane:account and fleetplane:region), or pass `vpc`, or leave both unset for a new VPC',
      );
    }
    return Vpc.fromLookup(this, 'Vpc', { vpcId });
  }

  /** An ECR image is pulled with the execution role (which needs the grant); others anonymously. */
  private imageFromUri(uri: string): ContainerImage {
    const ecr =
      /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([a-z0-9][a-z0-9._/-]*)(?::([\w][\w.-]{0,127})|@(sha256:[0-9a-f]{64}))$/.exec(
        uri,
      );
    if (!ecr) {
      if (/\.dkr\.ecr\./.test(uri)) {
        throw new StackConfigError(
          `RelayStack ${this.node.path}: imageUri ${JSON.stringify(uri)} looks like ECR but is not ` +
            '<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag> (or @sha256:<digest>)',
        );
      }
      return ContainerImage.fromRegistry(uri);
    }
    const [, account, region, cn, name, tag, digest] = ecr as unknown as [
      string,
      string,
      string,
      string | undefined,
      string,
      string | undefined,
      string | undefined,
    ];
    const repository = Repository.fromRepositoryAttributes(this, 'RelayRepository', {
      repositoryName: name,
      repositoryArn: `arn:${cn ? 'aws-cn' : 'aws'}:ecr:${region}:${account}:repository/${name}`,
    });
    return ContainerImage.fromEcrRepository(repository, tag ?? digest);
  }

  private createVpc(natGateways: number): Vpc {
    const flowLogs = new LogGroup(this, 'VpcFlowLogs', { retention: RetentionDays.ONE_MONTH });
    return new Vpc(this, 'Vpc', {
      // A literal, not a token, so the default client CIDR (the VPC's) is one cdk-nag can evaluate.
      ipAddresses: IpAddresses.cidr(RELAY_VPC_CIDR),
      maxAzs: 2,
      natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      // Snapshot reads stay off the NAT gateway (and keep working without it).
      gatewayEndpoints: { S3: { service: GatewayVpcEndpointAwsService.S3 } },
      flowLogs: {
        All: {
          destination: FlowLogDestination.toCloudWatchLogs(flowLogs),
          trafficType: FlowLogTrafficType.ALL,
        },
      },
    });
  }
}

/**
 * The root Dockerfile as an ARM64 image asset. Synthesis only copies the build context (what
 * .dockerignore lets through) into the cloud assembly and hashes it; Docker runs at deploy time.
 */
export function relayImageFromDockerfile(): ContainerImage {
  return ContainerImage.fromAsset(REPO_ROOT, {
    file: 'Dockerfile',
    platform: Platform.LINUX_ARM64,
  });
}
