import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  RELAY_ADMIN_PORT,
  RELAY_IMAGE_CLI,
  RELAY_TLS_DIR,
  RELAY_XDS_PORT,
} from '../../cdk/constructs/relay-service.ts';
import type { PipelineStack } from '../../cdk/pipeline-stack.ts';
import { RELAY_VPC_CIDR, type RelayStack } from '../../cdk/relay-stack.ts';
import {
  NACK_DETAIL_TYPE,
  PROXY_EVENT_SOURCE,
  SNAPSHOT_EVENT_SOURCE,
  SNAPSHOT_PUBLISHED_DETAIL_TYPE,
} from '../../shared/pipeline/definition.ts';
import { buildApp } from './support.ts';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

type Json = Record<string, unknown>;

const TLS_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fleetplane/relay-tls-AbCdEf';
const ECR_IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleetplane/relay:v1.2.3';

function build(context: Record<string, unknown> = {}) {
  const { app, stack, relayStack } = buildApp({ context });
  if (!relayStack) throw new Error('no relay stack');
  return { app, pipeline: stack, relay: relayStack, template: Template.fromStack(relayStack) };
}

function containerOf(template: Template): Json {
  const taskDefs = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
  expect(taskDefs).toHaveLength(1);
  const containers = taskDefs[0]?.Properties.ContainerDefinitions as Json[];
  expect(containers).toHaveLength(1);
  return containers[0] as Json;
}

/** The value after `flag` in a container command. */
function argOf(command: unknown[], flag: string): unknown {
  const i = command.indexOf(flag);
  return i === -1 ? undefined : command[i + 1];
}

/** `{Fn::GetStackOutput}` of the pipeline stack, whatever output name CDK chose. */
const pipelineOutput = (pipeline: PipelineStack) =>
  Match.objectLike({ 'Fn::GetStackOutput': Match.objectLike({ StackName: pipeline.stackName }) });

function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  return Object.values(
    template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith([{ Ref: roleLogicalId }]) },
    }),
  ).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const logicalId = (stack: RelayStack, c: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(c.node.defaultChild as Parameters<RelayStack['getLogicalId']>[0]);

describe('relay stack with the defaults', () => {
  let app: App;
  let pipeline: PipelineStack;
  let relay: RelayStack;
  let template: Template;
  beforeAll(() => {
    ({ app, pipeline, relay, template } = build());
  });

  it('is its own stack, Fleetplane-default-relay, depending on the pipeline stack', () => {
    expect(relay.stackName).toBe('Fleetplane-default-relay');
    expect(relay.dependencies).toContain(pipeline);
  });

  it('creates a VPC with flow logs and an S3 gateway endpoint', () => {
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: RELAY_VPC_CIDR });
    template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL' });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['.s3'])] }),
    });
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  it('runs an ECS cluster with Container Insights', () => {
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });

  it('runs the relay on ARM64 Fargate with the S3 source, notify queue, NACK bus and region', () => {
    // Prepare
    const container = containerOf(template);
    const command = container.Command as unknown[];

    // Assess
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      NetworkMode: 'awsvpc',
      Cpu: '1024',
      Memory: '2048',
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
    expect(container.EntryPoint).toBeUndefined();
    expect(command.filter((a) => typeof a === 'string' && a.startsWith('--'))).toEqual([
      '--source',
      '--listen',
      '--admin',
      '--notify-queue',
      '--nack-event-bus',
      '--region',
      '--max-connection-age',
      '--log-level',
    ]);
    expect(command[0]).toBe('relay');
    expect(argOf(command, '--listen')).toBe(`0.0.0.0:${RELAY_XDS_PORT}`);
    expect(argOf(command, '--admin')).toBe(`0.0.0.0:${RELAY_ADMIN_PORT}`);
    expect(argOf(command, '--max-connection-age')).toBe('1800s');
    expect(argOf(command, '--region')).toEqual({ Ref: 'AWS::Region' });
    expect(argOf(command, '--notify-queue')).toEqual(relay.resolve(relay.relay.notifyQueue.queueUrl));
    expect(argOf(command, '--source')).toEqual({ 'Fn::Join': ['', ['s3://', expect.any(Object)]] });
    expect(
      Match.objectLike({ 'Fn::Join': ['', ['s3://', pipelineOutput(pipeline)]] }).test(
        argOf(command, '--source'),
      ).isSuccess,
    ).toBe(true);
    expect(pipelineOutput(pipeline).test(argOf(command, '--nack-event-bus')).isSuccess).toBe(true);
    expect(container.Environment).toBeUndefined();
    expect(container.Secrets).toBeUndefined();
  });

  it('checks the container with GET /healthz on the admin port, logs non-blocking to its log group', () => {
    const container = containerOf(template);
    expect(container.HealthCheck).toEqual({
      Command: [
        'CMD',
        'node',
        '-e',
        `fetch('http://127.0.0.1:${RELAY_ADMIN_PORT}/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
      ],
      Interval: 15,
      Timeout: 5,
      Retries: 3,
      StartPeriod: 30,
    });
    expect(container.LogConfiguration).toEqual({
      LogDriver: 'awslogs',
      Options: expect.objectContaining({
        'awslogs-group': relay.resolve(relay.relay.logGroup.logGroupName),
        mode: 'non-blocking',
      }),
    });
    expect(container.PortMappings).toEqual([
      { ContainerPort: RELAY_XDS_PORT, Name: 'xds', Protocol: 'tcp' },
      { ContainerPort: RELAY_ADMIN_PORT, Name: 'admin', Protocol: 'tcp' },
    ]);
  });

  it('health-checks the container with a Node one-liner that really exits 0 on 200 and 1 otherwise', async () => {
    // Prepare: an admin server on a free port, answering /healthz as the relay does, then not.
    const { createServer } = await import('node:http');
    let healthy = true;
    const server = createServer((req, res) => {
      res.statusCode = req.url === '/healthz' && healthy ? 200 : 503;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const script = (containerOf(template).HealthCheck as { Command: string[] }).Command[3] ?? '';
    const run = () =>
      new Promise<number | null>((resolve) => {
        import('node:child_process').then(({ spawn }) => {
          const child = spawn(process.execPath, ['-e', script.replace(`:${RELAY_ADMIN_PORT}/`, `:${port}/`)]);
          child.on('exit', (code) => resolve(code));
        });
      });

    try {
      // Act / Assess
      expect(await run()).toBe(0);
      healthy = false;
      expect(await run()).toBe(1);
    } finally {
      server.close();
    }
  });

  it('runs the service in private subnets with a circuit breaker and rolling deployment behind the NLB', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      DesiredCount: 2,
      DeploymentConfiguration: {
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      },
      HealthCheckGracePeriodSeconds: 60,
      LoadBalancers: [
        {
          ContainerName: 'relay',
          ContainerPort: RELAY_XDS_PORT,
          TargetGroupArn: relay.resolve(relay.relay.targetGroup.targetGroupArn),
        },
      ],
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
    });
  });

  it('has an internal cross-zone NLB with a TCP listener on 18000 and the default 350 s idle timeout', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'network',
      Scheme: 'internal',
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'load_balancing.cross_zone.enabled', Value: 'true' }]),
      SecurityGroups: [relay.resolve(relay.relay.loadBalancerSecurityGroup.securityGroupId)],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: RELAY_XDS_PORT,
      Protocol: 'TCP',
      ListenerAttributes: [{ Key: 'tcp.idle_timeout.seconds', Value: '350' }],
    });
  });

  it('targets task IPs on 18000, health-checked over HTTP /healthz on the admin port, with a short draining', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'ip',
      Port: RELAY_XDS_PORT,
      Protocol: 'TCP',
      HealthCheckProtocol: 'HTTP',
      HealthCheckPort: String(RELAY_ADMIN_PORT),
      HealthCheckPath: '/healthz',
      TargetGroupAttributes: Match.arrayWith([
        { Key: 'deregistration_delay.timeout_seconds', Value: '30' },
        { Key: 'preserve_client_ip.enabled', Value: 'false' },
        { Key: 'deregistration_delay.connection_termination.enabled', Value: 'true' },
      ]),
    });
  });

  it('admits ADS from the VPC to the NLB, and only the NLB (ADS and health checks) to the tasks', () => {
    // Prepare
    const nlbSg = relay.resolve(relay.relay.loadBalancerSecurityGroup.securityGroupId);
    const serviceSg = relay.resolve(relay.relay.service.connections.securityGroups[0]?.securityGroupId);

    // Act
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map(
      (r) => r.Properties,
    );
    const nlbGroup = Object.values(template.findResources('AWS::EC2::SecurityGroup')).find((g) =>
      g.Properties.GroupDescription?.startsWith?.('fleetplane relay NLB'),
    );

    // Assess
    expect(nlbGroup?.Properties.SecurityGroupIngress).toEqual([
      expect.objectContaining({ CidrIp: RELAY_VPC_CIDR, FromPort: RELAY_XDS_PORT, ToPort: RELAY_XDS_PORT }),
    ]);
    expect(
      ingress
        .map((i) => ({ to: i.GroupId, from: i.SourceSecurityGroupId, port: i.FromPort }))
        .sort((a, b) => a.port - b.port),
    ).toEqual([
      { to: serviceSg, from: nlbSg, port: RELAY_ADMIN_PORT },
      { to: serviceSg, from: nlbSg, port: RELAY_XDS_PORT },
    ]);
  });

  it('scales 2 to 10 tasks on CPU (60 %) and memory (75 %), scaling in more slowly than out', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 10,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    for (const [metric, target] of [
      ['ECSServiceAverageCPUUtilization', 60],
      ['ECSServiceAverageMemoryUtilization', 75],
    ] as const) {
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          PredefinedMetricSpecification: { PredefinedMetricType: metric },
          TargetValue: target,
          ScaleOutCooldown: 60,
          ScaleInCooldown: 600,
        },
      });
    }
  });

  it('subscribes its notify queue to "Snapshot Published" on the pipeline bus', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: pipelineOutput(pipeline),
      EventPattern: Match.exact({
        source: [SNAPSHOT_EVENT_SOURCE],
        'detail-type': [SNAPSHOT_PUBLISHED_DETAIL_TYPE],
      }),
      Targets: [Match.objectLike({ Arn: relay.resolve(relay.relay.notifyQueue.queueArn) })],
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 300,
    });
  });

  it('gives the task role the SnapshotReader policy, the notify queue, and NACK events only', () => {
    // Prepare
    const role = logicalId(relay, relay.relay.taskDefinition.taskRole);

    // Act
    const statements = statementsOfRole(template, role);

    // Assess
    const managed = template.findResources('AWS::IAM::Role')[role]?.Properties.ManagedPolicyArns;
    expect(managed).toHaveLength(1);
    expect(pipelineOutput(pipeline).test(managed[0]).isSuccess).toBe(true);
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:ReceiveMessage',
        ],
        Resource: relay.resolve(relay.relay.notifyQueue.queueArn),
      },
      {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: expect.objectContaining({ 'Fn::GetStackOutput': expect.any(Object) }),
        Condition: {
          StringEquals: { 'events:source': [PROXY_EVENT_SOURCE], 'events:detail-type': [NACK_DETAIL_TYPE] },
        },
      },
    ]);
    // The SnapshotReader policy it takes is read-only.
    const reader =
      Template.fromStack(pipeline).findResources('AWS::IAM::ManagedPolicy')[
        pipeline.getLogicalId(
          pipeline.accessPolicies.snapshotReader.node.defaultChild as Parameters<
            PipelineStack['getLogicalId']
          >[0],
        )
      ];
    const actions = ((reader?.Properties.PolicyDocument.Statement ?? []) as Statement[]).flatMap(
      (s) => s.Action,
    );
    expect(actions.sort()).toEqual(['kms:Decrypt', 's3:GetObject', 's3:ListBucket']);
  });

  it('builds the image from the root Dockerfile for linux/arm64, staging only the allow-listed context', () => {
    // Act
    const assembly = app.synth();
    const manifest = JSON.parse(
      readFileSync(join(assembly.directory, `${relay.artifactId}.assets.json`), 'utf8'),
    ) as {
      dockerImages: Record<string, { source: { directory: string; dockerFile: string; platform: string } }>;
    };
    const images = Object.values(manifest.dockerImages);

    // Assess
    expect(images).toHaveLength(1);
    expect(images[0]?.source).toMatchObject({ dockerFile: 'Dockerfile', platform: 'linux/arm64' });
    const context = join(assembly.directory, images[0]?.source.directory ?? '');
    expect(readdirSync(context).sort()).toEqual(
      [
        '.dockerignore',
        '.npmrc',
        'Dockerfile',
        'bin',
        'cli',
        'functions',
        'package-lock.json',
        'package.json',
        'scripts',
        'services',
        'shared',
        'tsconfig.json',
      ].sort(),
    );
    expect(readdirSync(join(context, 'scripts'))).toEqual(['build-codec-descriptors.ts']);
    expect(existsSync(join(context, 'bin', 'fleetplane.mjs'))).toBe(true);
    // The TLS entrypoint execs the same command line the image's ENTRYPOINT runs.
    const dockerfile = readFileSync(join(context, 'Dockerfile'), 'utf8');
    const entrypoint = /^ENTRYPOINT (.+)$/m.exec(dockerfile)?.[1] ?? 'null';
    expect(JSON.parse(entrypoint)).toEqual([...RELAY_IMAGE_CLI]);
  });

  it('alarms when a relay task is unhealthy for 3 minutes', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/NetworkELB',
      MetricName: 'UnHealthyHostCount',
      EvaluationPeriods: 3,
      Threshold: 0,
    });
  });
});

describe('relay stack with TLS, mTLS and an authz policy', () => {
  let relay: RelayStack;
  let template: Template;
  let container: Json;
  const policy = 'spiffe://fleet/ns/infra/sa/edge: [c1/infra/edge]\n';
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetplane-authz-'));
    writeFileSync(join(dir, 'authz.yaml'), policy);
    ({ relay, template } = build({
      'fleetplane:relayTlsSecretArn': TLS_SECRET,
      'fleetplane:relayClientCaField': 'ca',
      'fleetplane:relayAuthzFile': join(dir, 'authz.yaml'),
      'fleetplane:relayInternetFacing': 'true',
      'fleetplane:relayAllowedCidrs': '0.0.0.0/0',
      'fleetplane:relayImage': ECR_IMAGE,
    }));
    container = containerOf(template);
  });

  it('injects certificate, key and client CA from Secrets Manager and passes the TLS flags', () => {
    expect(container.Secrets).toEqual([
      { Name: 'FLEETPLANE_TLS_CERT', ValueFrom: `${TLS_SECRET}:cert::` },
      { Name: 'FLEETPLANE_TLS_KEY', ValueFrom: `${TLS_SECRET}:key::` },
      { Name: 'FLEETPLANE_CLIENT_CA', ValueFrom: `${TLS_SECRET}:ca::` },
    ]);
    const command = container.Command as unknown[];
    expect(argOf(command, '--tls-cert')).toBe(`${RELAY_TLS_DIR}/cert.pem`);
    expect(argOf(command, '--tls-key')).toBe(`${RELAY_TLS_DIR}/key.pem`);
    expect(argOf(command, '--client-ca')).toBe(`${RELAY_TLS_DIR}/client-ca.pem`);
    expect(argOf(command, '--authz')).toBe(`${RELAY_TLS_DIR}/authz.yaml`);
    expect(container.Environment).toEqual([{ Name: 'FLEETPLANE_AUTHZ_POLICY', Value: policy }]);
    // The execution role (which injects secrets) may read that secret; the task role may not.
    const exec = statementsOfRole(
      template,
      logicalId(relay, relay.relay.taskDefinition.obtainExecutionRole()),
    );
    expect(exec).toContainEqual(
      expect.objectContaining({
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Resource: TLS_SECRET,
      }),
    );
    const task = statementsOfRole(template, logicalId(relay, relay.relay.taskDefinition.taskRole));
    expect(JSON.stringify(task)).not.toContain('secretsmanager');
  });

  it('writes the PEM files with a shell entrypoint that really works, then execs the CLI with the same arguments', () => {
    // Prepare: the entrypoint script, pointed at a scratch directory and a stand-in CLI that
    // reports its arguments, the files and whether the secrets are still in its environment.
    const entryPoint = container.EntryPoint as string[];
    expect(entryPoint.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(entryPoint[3]).toBe('fleetplane-relay');
    const dir = mkdtempSync(join(tmpdir(), 'fleetplane-entry-'));
    const cli = join(dir, 'cli.mjs');
    writeFileSync(
      cli,
      `import { readFileSync, statSync } from 'node:fs';
       const d = ${JSON.stringify(join(dir, 'tls'))};
       const files = Object.fromEntries(['cert.pem', 'key.pem', 'client-ca.pem', 'authz.yaml'].map((f) => [f, readFileSync(d + '/' + f, 'utf8')]));
       const mode = (statSync(d + '/key.pem').mode & 0o777).toString(8);
       const leaked = Object.keys(process.env).filter((k) => k.startsWith('FLEETPLANE_'));
       process.stdout.write(JSON.stringify({ argv: process.argv.slice(2), files, mode, leaked }));`,
    );
    const script = (entryPoint[2] ?? '')
      .replaceAll(RELAY_TLS_DIR, join(dir, 'tls'))
      .replace(RELAY_IMAGE_CLI.join(' '), `${process.execPath} ${cli}`);

    // Act
    const run = spawnSync(
      '/bin/sh',
      ['-c', script, 'fleetplane-relay', 'relay', '--source', 's3://b', 'a b'],
      {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH ?? '',
          FLEETPLANE_TLS_CERT: '-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----',
          FLEETPLANE_TLS_KEY: '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----',
          FLEETPLANE_CLIENT_CA: '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----',
          FLEETPLANE_AUTHZ_POLICY: policy,
        },
      },
    );

    // Assess
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as {
      argv: string[];
      files: Record<string, string>;
      mode: string;
      leaked: string[];
    };
    expect(out.argv).toEqual(['relay', '--source', 's3://b', 'a b']);
    expect(out.files).toEqual({
      'cert.pem': '-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n',
      'key.pem': '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n',
      'client-ca.pem': '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n',
      'authz.yaml': `${policy}\n`,
    });
    expect(out.mode).toBe('600');
    expect(out.leaked).toEqual([]);
  });

  it('opens an internet-facing NLB to 0.0.0.0/0 only because clients must present certificates', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: RELAY_XDS_PORT })],
    });
  });

  it('pulls a prebuilt ECR image with the execution role, limited to that repository', () => {
    expect(container.Image).toEqual({
      'Fn::Join': [
        '',
        ['123456789012.dkr.ecr.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/fleetplane/relay:v1.2.3'],
      ],
    });
    const exec = statementsOfRole(
      template,
      logicalId(relay, relay.relay.taskDefinition.obtainExecutionRole()),
    );
    expect(exec).toContainEqual(
      expect.objectContaining({
        Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
        Resource: 'arn:aws:ecr:eu-west-1:123456789012:repository/fleetplane/relay',
      }),
    );
  });
});

describe('relay configuration errors', () => {
  it('can be left out with fleetplane:relay=false', () => {
    const { app, relayStack } = buildApp({ context: { 'fleetplane:relay': 'false' } });
    expect(relayStack).toBeUndefined();
    expect(app.node.children.map((c) => c.node.id)).toEqual(['Fleetplane-default']);
  });

  it.each([
    [{ 'fleetplane:relayInternetFacing': 'true' }, /internet-facing relay.*must authenticate its clients/],
    [{ 'fleetplane:relayAllowedCidrs': '0.0.0.0/0' }, /open to 0\.0\.0\.0\/0, must authenticate its clients/],
    [
      { 'fleetplane:relayAllowedCidrs': '10.0.0.0/8,nope' },
      /relayAllowedCidrs is "10\.0\.0\.0\/8,nope"; give comma-separated IPv4 CIDRs/,
    ],
    [
      { 'fleetplane:relayVpcId': 'vpc-0123456789abcdef0' },
      /relayVpcId .*needs an environment: also set fleetplane:account and fleetplane:region/,
    ],
    [{ 'fleetplane:relayVpcId': 'my-vpc' }, /relayVpcId is "my-vpc"; give a VPC id/],
    [
      { 'fleetplane:relayTlsSecretArn': 'relay-tls' },
      /relayTlsSecretArn is "relay-tls"; give the complete secret ARN/,
    ],
    [
      { 'fleetplane:relayClientCaField': 'ca' },
      /relayClientCaField is "ca"; set fleetplane:relayTlsSecretArn too/,
    ],
    [
      { 'fleetplane:relayMinTasks': '3', 'fleetplane:relayMaxTasks': '2' },
      /maxTasks is 2; use a whole number of at least minTasks \(3\)/,
    ],
    [{ 'fleetplane:relayMinTasks': '0' }, /minTasks is 0; use a whole number of at least 1/],
    [
      { 'fleetplane:relayImage': '123456789012.dkr.ecr.eu-west-1.amazonaws.com/relay' },
      /imageUri .* looks like ECR but is not/,
    ],
    [
      { 'fleetplane:relayStackName': 'Fleetplane-default' },
      /relayStackName is "Fleetplane-default"; .*differs from the pipeline stack/,
    ],
    [
      { 'fleetplane:relayAuthzFile': '/nonexistent/authz.yaml' },
      /relayAuthzFile is "\/nonexistent\/authz.yaml"; the file cannot be read/,
    ],
  ])('rejects %j with the setting and the fix', (context, message) => {
    expect(() => build(context)).toThrow(message);
  });

  it('rejects an authz policy that does not parse, naming the bad entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetplane-authz-'));
    writeFileSync(join(dir, 'authz.yaml'), 'relay.internal: [c1/infra]\n');
    expect(() =>
      build({
        'fleetplane:relayTlsSecretArn': TLS_SECRET,
        'fleetplane:relayClientCaField': 'ca',
        'fleetplane:relayAuthzFile': join(dir, 'authz.yaml'),
      }),
    ).toThrow(/relayAuthzFile .*fix the policy: .*c1\/infra.* is not <clusterId>\/<namespace>\/<gateway>/s);
  });

  it('rejects an authz policy without mTLS', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetplane-authz-'));
    writeFileSync(join(dir, 'authz.yaml'), 'relay.internal: [c1/infra/edge]\n');
    expect(() =>
      build({
        'fleetplane:relayTlsSecretArn': TLS_SECRET,
        'fleetplane:relayAuthzFile': join(dir, 'authz.yaml'),
      }),
    ).toThrow(
      /authzPolicy maps client certificate identities to gateways; it needs tls with a clientCaField/,
    );
  });
});
