// The xDS relay (`fleetplane relay`, services/relay) as an ECS Fargate service behind an NLB:
//   Envoy ─ADS/gRPC, TCP 18000─▶ NLB ─▶ relay tasks (ARM64) ─GetObject─▶ snapshot bucket (clusters/)
//   bus ─"Snapshot Published" rule─▶ NotifyQueue ─▶ relay (refresh now instead of at the next poll)
//   relay ─"Envoy Config Rejected" (NACK) events─▶ bus
// The task role reads snapshots through the pipeline's SnapshotReader policy, consumes its notify
// queue and may put only `fleetplane.relay` events on the bus; nothing else. The NLB passes TCP
// through, so TLS (and mTLS identities for --authz) end at the relay, not at the load balancer.

import { Duration, Size, Stack, Token } from 'aws-cdk-lib';
import { type IVpc, Peer, Port, SecurityGroup, type SubnetSelection, SubnetType } from 'aws-cdk-lib/aws-ec2';
import {
  AwsLogDriverMode,
  Cluster,
  type ContainerDefinition,
  type ContainerImage,
  ContainerInsights,
  CpuArchitecture,
  Secret as EcsSecret,
  FargatePlatformVersion,
  FargateService,
  FargateTaskDefinition,
  LogDrivers,
  OperatingSystemFamily,
  PropagatedTagSource,
} from 'aws-cdk-lib/aws-ecs';
import {
  type NetworkListener,
  NetworkLoadBalancer,
  type NetworkTargetGroup,
  Protocol,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { type IManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  NACK_DETAIL_TYPE,
  PROXY_EVENT_SOURCE,
  SNAPSHOT_EVENT_SOURCE,
  SNAPSHOT_PUBLISHED_DETAIL_TYPE,
} from '../../shared/pipeline/definition.ts';
import { StackConfigError } from '../errors.ts';
import { acknowledge } from '../nag.ts';
import type { NamedMetricAlarm } from './alarms.ts';
import { secureQueue } from './secure-queue.ts';

/** The ADS listener of each task, and of the NLB. */
export const RELAY_XDS_PORT = 18_000;
/** The admin HTTP listener (/healthz /readyz /debug/* /metrics); only the NLB's health checks reach it. */
export const RELAY_ADMIN_PORT = 9902;
/**
 * The relay's HTTP/2 keepalive ping interval (services/relay/relay.ts, `keepaliveMs`, 30 s). An
 * NLB drops a TCP flow that is idle for its idle timeout (350 s by default) without telling either
 * end; the pings keep an otherwise quiet ADS stream from ever being idle that long.
 */
export const RELAY_KEEPALIVE = Duration.seconds(30);
/** Where the root Dockerfile installs the app; the TLS entrypoint execs the CLI from here. */
export const RELAY_IMAGE_CLI = ['node', '/app/bin/fleetplane.mjs'] as const;
/** Where the TLS entrypoint writes the PEM files and the authz policy (writable in the container). */
export const RELAY_TLS_DIR = '/tmp/fleetplane-tls';

/** TLS on the ADS listener, from one Secrets Manager secret whose JSON fields hold PEM strings. */
export interface RelayTlsProps {
  readonly secret: ISecret;
  /** @default 'cert' */
  readonly certField?: string;
  /** @default 'key' */
  readonly keyField?: string;
  /**
   * Field holding the CA bundle for client certificates; with it every client must present a
   * certificate it signed (mTLS, `--client-ca`).
   *
   * @default - TLS without client certificates
   */
  readonly clientCaField?: string;
}

export interface RelayServiceProps {
  readonly vpc: IVpc;
  /** Subnets of the tasks. @default - the VPC's private subnets with egress */
  readonly taskSubnets?: SubnetSelection;
  /** The pipeline's bus: "Snapshot Published" comes from it, NACK events go to it. */
  readonly bus: IEventBus;
  /** The snapshot bucket; the relay reads `s3://<bucket>` (the pipeline's layout is at the root). */
  readonly bucket: IBucket;
  /** The pipeline's SnapshotReader policy: GetObject under clusters/, ListBucket, kms:Decrypt. */
  readonly snapshotReaderPolicy: IManagedPolicy;
  /** The relay image, built from the repository's root Dockerfile. */
  readonly image: ContainerImage;
  /** @default false: an internal NLB */
  readonly internetFacing?: boolean;
  /** Who may connect to port 18000 of the NLB. @default - the VPC's CIDR */
  readonly allowedClientCidrs?: readonly string[];
  /** @default 2 */
  readonly minTasks?: number;
  /** @default 10 */
  readonly maxTasks?: number;
  /** Target of the CPU scaling policy, in percent. @default 60 */
  readonly targetCpuUtilization?: number;
  /** Target of the memory scaling policy, in percent (RSS grows with streams). @default 75 */
  readonly targetMemoryUtilization?: number;
  /** Task CPU units. @default 1024 */
  readonly cpu?: number;
  /** @default 2048 */
  readonly memoryLimitMiB?: number;
  /** @default - plaintext gRPC */
  readonly tls?: RelayTlsProps;
  /** Contents of an `--authz` policy (JSON or YAML, services/relay/authz.ts); needs `tls.clientCaField`. @default - none */
  readonly authzPolicy?: string;
  /** `--max-connection-age`: Envoys reconnect (and rebalance across tasks) after it, ±10%. @default 30 minutes */
  readonly maxConnectionAge?: Duration;
  /** NLB TCP idle timeout; must exceed RELAY_KEEPALIVE. @default 350 seconds (the NLB default) */
  readonly tcpIdleTimeout?: Duration;
  /** @default 'info' */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

export class RelayService extends Construct {
  readonly cluster: Cluster;
  readonly taskDefinition: FargateTaskDefinition;
  readonly container: ContainerDefinition;
  readonly service: FargateService;
  readonly loadBalancer: NetworkLoadBalancer;
  readonly listener: NetworkListener;
  readonly targetGroup: NetworkTargetGroup;
  readonly loadBalancerSecurityGroup: SecurityGroup;
  readonly notifyQueue: Queue;
  readonly notifyRule: Rule;
  readonly logGroup: LogGroup;
  /** The relay's arguments after the CLI (`relay --source ...`). */
  readonly relayArgs: readonly string[];
  readonly metricAlarms: NamedMetricAlarm[] = [];

  constructor(scope: Construct, id: string, props: RelayServiceProps) {
    super(scope, id);
    const minTasks = props.minTasks ?? 2;
    const maxTasks = props.maxTasks ?? 10;
    const maxConnectionAge = props.maxConnectionAge ?? Duration.minutes(30);
    const tcpIdleTimeout = props.tcpIdleTimeout ?? Duration.seconds(350);
    const clientCidrs = props.allowedClientCidrs ?? [props.vpc.vpcCidrBlock];
    this.validate(props, { minTasks, maxTasks, tcpIdleTimeout, clientCidrs });

    // Notifications: the relay refreshes a gateway at once instead of at its next poll. They are
    // hints (the poll catches up anyway), so they are kept minutes, not days, and never dead-lettered.
    this.notifyQueue = secureQueue(this, 'NotifyQueue', {
      visibilityTimeout: Duration.seconds(30),
      retentionPeriod: Duration.minutes(5),
    });
    acknowledge(
      this.notifyQueue,
      'AwsSolutions-SQS3',
      '"Snapshot Published" notifications only make the relay re-read latest.json sooner than its poll ' +
        'would; a message that cannot be processed is worthless minutes later, so it expires instead of ' +
        'going to a dead-letter queue.',
    );
    this.notifyRule = new Rule(this, 'SnapshotPublished', {
      eventBus: props.bus,
      description: 'fleetplane relay: new snapshot versions, to refresh without waiting for the poll',
      eventPattern: { source: [SNAPSHOT_EVENT_SOURCE], detailType: [SNAPSHOT_PUBLISHED_DETAIL_TYPE] },
    });
    this.notifyRule.addTarget(
      new SqsQueue(this.notifyQueue, { maxEventAge: Duration.minutes(5), retryAttempts: 10 }),
    );

    this.cluster = new Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ContainerInsights.ENABLED,
    });
    this.taskDefinition = new FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu ?? 1024,
      memoryLimitMiB: props.memoryLimitMiB ?? 2048,
      runtimePlatform: {
        cpuArchitecture: CpuArchitecture.ARM64,
        operatingSystemFamily: OperatingSystemFamily.LINUX,
      },
    });
    this.grantTaskRole(props);

    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    const tlsArgs = props.tls
      ? [
          '--tls-cert',
          `${RELAY_TLS_DIR}/cert.pem`,
          '--tls-key',
          `${RELAY_TLS_DIR}/key.pem`,
          ...(props.tls.clientCaField ? ['--client-ca', `${RELAY_TLS_DIR}/client-ca.pem`] : []),
          ...(props.authzPolicy ? ['--authz', `${RELAY_TLS_DIR}/authz.yaml`] : []),
        ]
      : [];
    this.relayArgs = [
      'relay',
      '--source',
      `s3://${props.bucket.bucketName}`,
      '--listen',
      `0.0.0.0:${RELAY_XDS_PORT}`,
      '--admin',
      `0.0.0.0:${RELAY_ADMIN_PORT}`,
      '--notify-queue',
      this.notifyQueue.queueUrl,
      '--nack-event-bus',
      props.bus.eventBusName,
      '--region',
      Stack.of(this).region,
      '--max-connection-age',
      `${maxConnectionAge.toSeconds()}s`,
      '--log-level',
      props.logLevel ?? 'info',
      ...tlsArgs,
    ];

    this.container = this.taskDefinition.addContainer('Relay', {
      containerName: 'relay',
      image: props.image,
      essential: true,
      // With TLS, a shell writes the PEM strings ECS injected from Secrets Manager into files (the
      // relay's flags take files) and then execs the CLI, the image's entrypoint, with the same
      // arguments. Without TLS the image's entrypoint runs directly.
      ...(props.tls ? { entryPoint: ['/bin/sh', '-c', tlsEntrypointScript(props), 'fleetplane-relay'] } : {}),
      command: [...this.relayArgs],
      ...(props.tls ? { secrets: tlsSecrets(props.tls) } : {}),
      ...(props.authzPolicy ? { environment: { FLEETPLANE_AUTHZ_POLICY: props.authzPolicy } } : {}),
      portMappings: [
        { containerPort: RELAY_XDS_PORT, name: 'xds' },
        { containerPort: RELAY_ADMIN_PORT, name: 'admin' },
      ],
      // node:22-slim has no curl; Node's fetch does the liveness check.
      healthCheck: {
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${RELAY_ADMIN_PORT}/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
        ],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
      // On SIGTERM the relay closes its streams and stops; Envoys reconnect through the NLB.
      stopTimeout: Duration.seconds(30),
      logging: LogDrivers.awsLogs({
        streamPrefix: 'relay',
        logGroup: this.logGroup,
        // A slow log pipe must never stall ADS streams; the buffer absorbs bursts.
        mode: AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
    });
    if (props.authzPolicy) {
      acknowledge(
        this.taskDefinition,
        'AwsSolutions-ECS2',
        'The only environment variable is FLEETPLANE_AUTHZ_POLICY, the --authz policy (which client ' +
          'identity may read which gateways): configuration, not a secret; the TLS key and CAs come ' +
          'from Secrets Manager as container secrets.',
      );
    }
    acknowledge(
      this.taskDefinition,
      'AwsSolutions-IAM5[Resource::*]',
      'ecr:GetAuthorizationToken, which ECS adds to the execution role to pull the relay image, has ' +
        'no resource-level permissions; the image pull itself is limited to the image repository.',
    );

    this.service = new FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: minTasks,
      vpcSubnets: props.taskSubnets ?? { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      platformVersion: FargatePlatformVersion.LATEST,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: Duration.seconds(60),
      propagateTags: PropagatedTagSource.SERVICE,
      enableECSManagedTags: true,
    });

    this.loadBalancerSecurityGroup = new SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: props.vpc,
      description: `fleetplane relay NLB: ADS (TCP ${RELAY_XDS_PORT}) from the allowed client CIDRs`,
      allowAllOutbound: false,
    });
    for (const cidr of clientCidrs) {
      this.loadBalancerSecurityGroup.addIngressRule(
        Peer.ipv4(cidr),
        Port.tcp(RELAY_XDS_PORT),
        'Envoy ADS clients',
      );
    }
    if (clientCidrs.some((c) => Token.isUnresolved(c))) {
      acknowledge(
        this.loadBalancerSecurityGroup,
        'AwsSolutions-EC23',
        'The client CIDR is the VPC’s own CIDR block, which CloudFormation resolves at deploy time, so ' +
          'the rule cannot evaluate it; it is never 0.0.0.0/0 (literal CIDRs are checked by the stack).',
      );
    } else if (clientCidrs.some((c) => c.endsWith('/0'))) {
      acknowledge(
        this.loadBalancerSecurityGroup,
        'AwsSolutions-EC23',
        'allowedClientCidrs includes a /0 on purpose: Envoys connect from outside the VPC. The stack ' +
          'refuses an open relay without TLS and a client CA, so every client must present a ' +
          'certificate the relay trusts.',
      );
    }
    // Traffic and health checks from the NLB, and nothing else, reach the tasks.
    this.service.connections.allowFrom(
      this.loadBalancerSecurityGroup,
      Port.tcp(RELAY_XDS_PORT),
      'ADS from the NLB',
    );
    this.service.connections.allowFrom(
      this.loadBalancerSecurityGroup,
      Port.tcp(RELAY_ADMIN_PORT),
      'NLB health checks',
    );

    this.loadBalancer = new NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: props.internetFacing ?? false,
      vpcSubnets: { subnetType: props.internetFacing ? SubnetType.PUBLIC : SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.loadBalancerSecurityGroup],
      // ADS streams last for hours, so an uneven spread of tasks over zones would stay uneven.
      crossZoneEnabled: true,
    });
    acknowledge(
      this.loadBalancer,
      'AwsSolutions-ELB2',
      'NLB access logs are written only for TLS listeners; this listener is TCP pass-through (TLS ends ' +
        'at the relay, so client identities reach --authz). The relay logs each stream and VPC flow ' +
        'logs record the connections.',
    );
    // TCP, not TLS: only the relay sees the client certificate, which --authz needs.
    this.listener = this.loadBalancer.addListener('Xds', {
      port: RELAY_XDS_PORT,
      protocol: Protocol.TCP,
      tcpIdleTimeout,
    });
    this.targetGroup = this.listener.addTargets('Relay', {
      port: RELAY_XDS_PORT,
      protocol: Protocol.TCP,
      targets: [this.service.loadBalancerTarget({ containerName: 'relay', containerPort: RELAY_XDS_PORT })],
      // The tasks' security group admits the NLB's; with the client's address preserved it would not match.
      preserveClientIp: false,
      // A stopping task gets this long to keep its streams before ECS sends SIGTERM; Envoys then
      // reconnect to the other tasks. Short, because reconnecting is cheap and snapshots are shared.
      deregistrationDelay: Duration.seconds(30),
      healthCheck: {
        protocol: Protocol.HTTP,
        port: String(RELAY_ADMIN_PORT),
        // Liveness, not /readyz: a fleet without any snapshot yet must not have every task replaced.
        path: '/healthz',
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
      },
    });
    // When the deregistration delay ends, close what is left rather than let it linger on a stopped task.
    this.targetGroup.setAttribute('deregistration_delay.connection_termination.enabled', 'true');

    const scaling = this.service.autoScaleTaskCount({ minCapacity: minTasks, maxCapacity: maxTasks });
    // Scale-in closes the streams of the removed tasks, so it waits longer than scale-out.
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: props.targetCpuUtilization ?? 60,
      scaleOutCooldown: Duration.minutes(1),
      scaleInCooldown: Duration.minutes(10),
    });
    scaling.scaleOnMemoryUtilization('Memory', {
      targetUtilizationPercent: props.targetMemoryUtilization ?? 75,
      scaleOutCooldown: Duration.minutes(1),
      scaleInCooldown: Duration.minutes(10),
    });

    this.metricAlarms.push({
      name: 'RelayUnhealthyTasks',
      description:
        'a relay task failed its NLB health check (/healthz on the admin port) for 3 minutes; see the relay ' +
        'log group and the ECS service events',
      metric: this.targetGroup.metrics.unHealthyHostCount({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      evaluationPeriods: 3,
    });
  }

  /** Snapshots through the SnapshotReader policy, the notify queue, and NACK events on the bus. */
  private grantTaskRole(props: RelayServiceProps): void {
    const role = this.taskDefinition.taskRole;
    role.addManagedPolicy(props.snapshotReaderPolicy);
    this.notifyQueue.grantConsumeMessages(role);
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [props.bus.eventBusArn],
        conditions: {
          StringEquals: { 'events:source': [PROXY_EVENT_SOURCE], 'events:detail-type': [NACK_DETAIL_TYPE] },
        },
      }),
    );
  }

  private validate(
    props: RelayServiceProps,
    v: { minTasks: number; maxTasks: number; tcpIdleTimeout: Duration; clientCidrs: readonly string[] },
  ): void {
    const fail = (message: string): never => {
      throw new StackConfigError(`RelayService ${this.node.path}: ${message}`);
    };
    if (!Number.isInteger(v.minTasks) || v.minTasks < 1) {
      fail(`minTasks is ${v.minTasks}; use a whole number of at least 1 (2 spreads over two zones)`);
    }
    if (!Number.isInteger(v.maxTasks) || v.maxTasks < v.minTasks) {
      fail(`maxTasks is ${v.maxTasks}; use a whole number of at least minTasks (${v.minTasks})`);
    }
    const idle = v.tcpIdleTimeout.toSeconds();
    if (idle < 60 || idle > 6000) {
      fail(`tcpIdleTimeout is ${idle}s; an NLB accepts 60 s to 6000 s`);
    }
    if (idle <= RELAY_KEEPALIVE.toSeconds() * 2) {
      fail(
        `tcpIdleTimeout is ${idle}s; keep it well above the relay's ${RELAY_KEEPALIVE.toSeconds()} s keepalive ` +
          '(the default 350 s is), or quiet ADS streams are cut by the NLB',
      );
    }
    for (const cidr of v.clientCidrs) {
      if (Token.isUnresolved(cidr)) continue; // the VPC's own CIDR, resolved by CloudFormation
      if (!/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/.test(cidr)) {
        fail(`allowedClientCidrs has ${JSON.stringify(cidr)}; give IPv4 CIDRs, e.g. 10.0.0.0/8`);
      }
    }
    const open = v.clientCidrs.some((c) => c.endsWith('/0'));
    if ((props.internetFacing || open) && !props.tls?.clientCaField) {
      fail(
        'an internet-facing relay, or one open to 0.0.0.0/0, must authenticate its clients: set tls with a ' +
          'clientCaField (mTLS), or keep the NLB internal with narrower allowedClientCidrs',
      );
    }
    if (props.authzPolicy !== undefined && !props.tls?.clientCaField) {
      fail(
        'authzPolicy maps client certificate identities to gateways; it needs tls with a clientCaField (mTLS)',
      );
    }
    const age = props.maxConnectionAge;
    if (age !== undefined && age.toSeconds() !== 0 && age.toSeconds() < 60) {
      fail(`maxConnectionAge is ${age.toSeconds()}s; use 0 (never) or at least a minute, e.g. 30 minutes`);
    }
  }
}

function tlsSecrets(tls: RelayTlsProps): Record<string, EcsSecret> {
  return {
    FLEETPLANE_TLS_CERT: EcsSecret.fromSecretsManager(tls.secret, tls.certField ?? 'cert'),
    FLEETPLANE_TLS_KEY: EcsSecret.fromSecretsManager(tls.secret, tls.keyField ?? 'key'),
    ...(tls.clientCaField
      ? { FLEETPLANE_CLIENT_CA: EcsSecret.fromSecretsManager(tls.secret, tls.clientCaField) }
      : {}),
  };
}

/**
 * `sh -c` script: PEM strings from the environment to files only the relay's user can read, the
 * variables dropped, then the CLI with the container command as its arguments (`"$@"`, so no
 * argument is ever re-parsed by the shell).
 */
function tlsEntrypointScript(props: RelayServiceProps): string {
  const write = (variable: string, file: string) =>
    `printf '%s\\n' "$${variable}" > ${RELAY_TLS_DIR}/${file}`;
  return [
    'set -eu',
    'umask 077',
    `mkdir -p ${RELAY_TLS_DIR}`,
    write('FLEETPLANE_TLS_CERT', 'cert.pem'),
    write('FLEETPLANE_TLS_KEY', 'key.pem'),
    ...(props.tls?.clientCaField ? [write('FLEETPLANE_CLIENT_CA', 'client-ca.pem')] : []),
    ...(props.authzPolicy ? [write('FLEETPLANE_AUTHZ_POLICY', 'authz.yaml')] : []),
    'unset FLEETPLANE_TLS_CERT FLEETPLANE_TLS_KEY FLEETPLANE_CLIENT_CA FLEETPLANE_AUTHZ_POLICY',
    `exec ${RELAY_IMAGE_CLI.join(' ')} "$@"`,
  ].join('\n');
}
