// kgateway `Backend` (gateway.kgateway.dev/v1alpha1) → BackendIR: static hosts, AWS Lambda, AI
// providers and the dynamic forward proxy, in the older `spec.type` form, the newer inferred form
// and the flat form of the published JSON schema. Defaults follow kgateway; where kgateway is
// looser (a region it cannot sign for, an inline API key) the resource is rejected instead.

import {
  type AwsAuthIR,
  type BackendEndpointIR,
  type BackendIR,
  type EndpointAddressIR,
  type LlmAuthIR,
  type LlmProviderIR,
  type LlmProviderName,
  Reason,
  type ResourceId,
  type UpstreamProtocolIR,
  type UpstreamTlsIR,
} from '../ir/types.ts';
import {
  arnPartition,
  checkAccountId,
  checkExternalId,
  checkFunctionName,
  checkQualifier,
  checkRegion,
  checkRoleArn,
  checkSessionName,
  DEFAULT_AWS_REGION,
  defaultSessionName,
  isArn,
  type LambdaArn,
  lambdaArn,
  lambdaHost,
  parseLambdaArn,
  regionPartition,
} from '../resources/aws.ts';
import { dropNulls } from '../resources/common.ts';
import {
  byKeys,
  checkDnsName,
  checkHeaderName,
  isLoopback,
  parseIpAddress,
} from '../resources/envoy-gateway-backend.ts';
import {
  AnthropicConfigSchema,
  type AuthHeader,
  type AuthToken,
  AzureOpenAIConfigSchema,
  BedrockConfigSchema,
  GeminiConfigSchema,
  KGATEWAY_BACKEND_TYPES,
  type KgatewayAi,
  type KgatewayAws,
  type KgatewayAwsAuth,
  type KgatewayBackendSpec,
  KgatewayBackendSpecSchema,
  type KgatewayBackendType,
  type KgatewayLambda,
  type KgatewayStatic,
  LLM_ENTRY_FIELDS,
  type LlmEntry,
  type NamedRef,
  OpenAIConfigSchema,
  VertexAIConfigSchema,
} from '../resources/kgateway-backend.ts';
import {
  apiVersionFailure,
  type FieldError,
  makeIrItem,
  type ResourceTranslator,
  resourceId,
  type Validation,
  validateSchema,
} from './common.ts';
import {
  LLM_PROVIDER_NAMES,
  LLM_PROVIDERS,
  PROVIDER_SETTING_DEFAULTS,
  providerForKey,
} from './llm-providers.ts';

export const translateKgatewayBackend: ResourceTranslator<'Backend'> = (obj, ctx) => {
  const outcome: Validation<BackendIR> =
    apiVersionFailure(obj.apiVersion, 'gateway.kgateway.dev', ['v1alpha1']) ??
    translateSpec(dropNulls(obj.spec), resourceId(obj, ctx));
  return makeIrItem('Backend', obj, ctx, outcome);
};

/** Collects field errors for one resource. */
class Problems {
  readonly errors: FieldError[] = [];
  constructor(readonly id: ResourceId) {}

  add(field: string, message: string, reason?: string): undefined {
    this.errors.push(reason === undefined ? { field, message } : { field, message, reason });
    return undefined;
  }

  addAll(errors: FieldError[]): undefined {
    this.errors.push(...errors);
    return undefined;
  }
}

function translateSpec(spec: unknown, id: ResourceId): Validation<BackendIR> {
  const parsed = validateSchema(KgatewayBackendSpecSchema, spec, 'spec');
  if (!parsed.valid) return parsed;
  const p = new Problems(id);
  const block = resolveType(parsed.result, p);
  let ir: BackendIR | undefined;
  switch (block?.type) {
    case 'Static':
      ir = staticBackend(block.static, p);
      break;
    case 'AWS':
      ir = lambdaBackend(block.aws, p);
      break;
    case 'AI':
      ir = aiBackend(block.ai, p);
      break;
    case 'DynamicForwardProxy':
      ir = { type: 'dynamicForwardProxy', enableTls: block.dynamicForwardProxy.enableTls ?? false };
      break;
    case undefined:
      break;
  }
  return ir === undefined || p.errors.length > 0
    ? { valid: false, errors: p.errors }
    : { valid: true, result: ir };
}

// ---------------------------------------------------------------------------------------------
// Which kind of backend

type Block =
  | { type: 'Static'; static: NonNullable<KgatewayBackendSpec['static']> }
  | { type: 'AWS'; aws: NonNullable<KgatewayBackendSpec['aws']> }
  | { type: 'AI'; ai: NonNullable<KgatewayBackendSpec['ai']> }
  | {
      type: 'DynamicForwardProxy';
      dynamicForwardProxy: NonNullable<KgatewayBackendSpec['dynamicForwardProxy']>;
    };

const BLOCK_KEY: Record<KgatewayBackendType, 'static' | 'aws' | 'ai' | 'dynamicForwardProxy'> = {
  Static: 'static',
  AWS: 'aws',
  AI: 'ai',
  DynamicForwardProxy: 'dynamicForwardProxy',
};
const ALL_BLOCKS = 'spec.static, spec.aws, spec.ai or spec.dynamicForwardProxy';

/** The type from `spec.type` (older form) or from the one block that is set (newer form); both must agree. */
function resolveType(spec: KgatewayBackendSpec, p: Problems): Block | undefined {
  if (spec.gcp !== undefined) {
    return p.add('spec.gcp', 'GCP backends are not supported; use a static backend', Reason.UnsupportedValue);
  }
  let declared: KgatewayBackendType | undefined;
  if (spec.type !== undefined) {
    // Older releases spelled the types in lower case (`static`, `aws`, `ai`).
    declared = KGATEWAY_BACKEND_TYPES.find((t) => t.toLowerCase() === spec.type?.toLowerCase());
    if (declared === undefined) {
      return p.add(
        'spec.type',
        `"${spec.type}" is not supported; use one of ${KGATEWAY_BACKEND_TYPES.join(', ')}, or omit spec.type`,
        Reason.UnsupportedValue,
      );
    }
  }
  const present = KGATEWAY_BACKEND_TYPES.filter((t) => spec[BLOCK_KEY[t]] !== undefined);
  const [found] = present;
  if (found === undefined) {
    return declared === undefined
      ? p.add('spec', `exactly one of ${ALL_BLOCKS} must be set; none is`)
      : p.add('spec', `spec.type is ${declared} but spec.${BLOCK_KEY[declared]} is not set`);
  }
  if (present.length > 1) {
    const names = present.map((t) => `spec.${BLOCK_KEY[t]}`).join(' and ');
    return p.add('spec', `exactly one of ${ALL_BLOCKS} must be set; found ${names}`);
  }
  if (declared !== undefined && declared !== found) {
    return p.add(
      'spec.type',
      `spec.type is ${declared} but spec.${BLOCK_KEY[found]} is set; set spec.${BLOCK_KEY[declared]} instead, ` +
        `or change spec.type to ${found} (or omit it)`,
    );
  }
  switch (found) {
    case 'Static':
      return spec.static && { type: found, static: spec.static };
    case 'AWS':
      return spec.aws && { type: found, aws: spec.aws };
    case 'AI':
      return spec.ai && { type: found, ai: spec.ai };
    case 'DynamicForwardProxy':
      return spec.dynamicForwardProxy && { type: found, dynamicForwardProxy: spec.dynamicForwardProxy };
  }
}

// ---------------------------------------------------------------------------------------------
// Static

const STATIC_PROTOCOL: Record<NonNullable<KgatewayStatic['appProtocol']>, UpstreamProtocolIR> = {
  http2: 'http2',
  grpc: 'http2',
  // Envoy's grpc_web filter turns gRPC-Web into gRPC, which needs HTTP/2 upstream.
  'grpc-web': 'http2',
  'kubernetes.io/h2c': 'h2c',
  'kubernetes.io/ws': 'ws',
};

export const compareEndpoints = byKeys<BackendEndpointIR>(
  (e) => e.priority,
  (e) => e.address.kind,
  (e) =>
    e.address.kind === 'fqdn'
      ? e.address.hostname
      : e.address.kind === 'ip'
        ? e.address.address
        : e.address.path,
  (e) => (e.address.kind === 'unix' ? 0 : e.address.port),
);

function staticBackend(s: KgatewayStatic, p: Problems): BackendIR | undefined {
  const endpoints: BackendEndpointIR[] = [];
  s.hosts.forEach((h, i) => {
    const address = hostAddress(h.host, h.port, `spec.static.hosts[${i}].host`, p);
    if (address) endpoints.push({ address, priority: 0 });
  });
  const tls = staticTls(s, p);
  return {
    type: 'static',
    endpoints: endpoints.sort(compareEndpoints),
    protocol: s.appProtocol === undefined ? 'http1' : STATIC_PROTOCOL[s.appProtocol],
    ...(tls === undefined ? {} : { tls }),
  };
}

/** A host that is an IP address becomes an IP endpoint, anything else a DNS name Envoy resolves. */
function hostAddress(host: string, port: number, field: string, p: Problems): EndpointAddressIR | undefined {
  const ip = parseIpAddress(host);
  if (ip) {
    if (isLoopback(ip)) {
      return p.add(
        field,
        `${host} is a loopback address; it would reach the proxy itself (and its admin port)`,
      );
    }
    return { kind: 'ip', address: ip.address, port };
  }
  const problem = checkDnsName(host);
  if (problem) return p.add(field, `${problem}; use a hostname or an IPv4/IPv6 address`);
  return { kind: 'fqdn', hostname: host.toLowerCase(), port };
}

/** Flat form: `hosts[].tls.sni`. One Envoy cluster has one TLS context, so every host must agree. */
function staticTls(s: KgatewayStatic, p: Problems): UpstreamTlsIR | undefined {
  const withTls = s.hosts.flatMap((h, i) => (h.tls === undefined ? [] : [{ i, sni: h.tls.sni }]));
  const [first] = withTls;
  if (first === undefined) return undefined;
  if (withTls.length !== s.hosts.length) {
    const i = s.hosts.findIndex((h) => h.tls === undefined);
    return p.add(
      `spec.static.hosts[${i}].tls`,
      `required because spec.static.hosts[${first.i}] uses TLS: one backend connects to all its hosts the same way`,
    );
  }
  const other = withTls.find((t) => t.sni !== first.sni);
  if (other) {
    return p.add(
      `spec.static.hosts[${other.i}].tls.sni`,
      `must equal spec.static.hosts[${first.i}].tls.sni (${first.sni ?? 'unset'}): one backend sends one SNI; ` +
        'split the hosts into separate Backends',
    );
  }
  if (first.sni !== undefined) {
    const problem = parseIpAddress(first.sni)
      ? 'SNI must be a hostname, not an IP address'
      : checkDnsName(first.sni);
    if (problem) return p.add(`spec.static.hosts[${first.i}].tls.sni`, problem);
  }
  return {
    ...(first.sni === undefined ? {} : { sni: first.sni.toLowerCase() }),
    caCertificateRefs: [],
    wellKnownCACertificates: 'System',
    subjectAltNames: [],
    insecureSkipVerify: false,
  };
}

// ---------------------------------------------------------------------------------------------
// AWS Lambda

function lambdaBackend(a: KgatewayAws, p: Problems): BackendIR | undefined {
  const flat = a.lambdaFunctionName !== undefined || a.roleArn !== undefined;
  if (flat && (a.lambda !== undefined || a.auth !== undefined)) {
    return p.add(
      'spec.aws',
      'use either spec.aws.lambda with spec.aws.auth, or the flat spec.aws.lambdaFunctionName with spec.aws.roleArn; not both',
    );
  }
  const functionField = a.lambda ? 'spec.aws.lambda.functionName' : 'spec.aws.lambdaFunctionName';
  const lambda: KgatewayLambda | undefined =
    a.lambda ?? (a.lambdaFunctionName === undefined ? undefined : { functionName: a.lambdaFunctionName });
  if (lambda === undefined) {
    return p.add('spec.aws.lambda', 'required: the Lambda function to invoke (spec.aws.lambda.functionName)');
  }

  let fromArn: LambdaArn | undefined;
  if (isArn(lambda.functionName)) {
    fromArn = parseLambdaArn(lambda.functionName);
    if (fromArn === undefined) {
      p.add(
        functionField,
        `"${lambda.functionName}" is not a Lambda function ARN; expected ` +
          'arn:aws:lambda:us-east-1:123456789012:function:my-function[:qualifier], or just the function name',
      );
    }
  } else {
    const problem = checkFunctionName(lambda.functionName);
    if (problem) p.add(functionField, problem);
  }
  const functionName = fromArn?.functionName ?? lambda.functionName;

  // Without spec.aws.region the ARN names it; kgateway's us-east-1 default applies only to plain names.
  const region = a.region ?? fromArn?.region ?? DEFAULT_AWS_REGION;
  const regionProblem = checkRegion(region);
  if (regionProblem) p.add(a.region === undefined ? functionField : 'spec.aws.region', regionProblem);

  const accountId = a.accountId ?? fromArn?.accountId;
  if (accountId === undefined) {
    p.add('spec.aws.accountId', 'required: the 12-digit ID of the account that owns the function');
  } else {
    const problem = checkAccountId(accountId);
    if (problem) p.add(a.accountId === undefined ? functionField : 'spec.aws.accountId', problem);
  }

  if (fromArn) {
    if (fromArn.region !== region) {
      p.add(
        functionField,
        `the ARN is in region ${fromArn.region} but spec.aws.region is ${region}; they must agree`,
      );
    }
    if (accountId !== undefined && fromArn.accountId !== accountId) {
      p.add(
        functionField,
        `the ARN is in account ${fromArn.accountId} but spec.aws.accountId is ${accountId}; they must agree`,
      );
    }
    const partition = regionPartition(region);
    if (!regionProblem && fromArn.partition !== partition) {
      p.add(
        functionField,
        `the ARN's partition ${fromArn.partition} does not match region ${region} (${partition})`,
      );
    }
  }

  if (lambda.qualifier !== undefined) {
    const problem = checkQualifier(lambda.qualifier);
    if (problem) p.add('spec.aws.lambda.qualifier', problem);
    if (fromArn?.qualifier !== undefined && fromArn.qualifier !== lambda.qualifier) {
      p.add(
        'spec.aws.lambda.qualifier',
        `is ${lambda.qualifier} but the function ARN ends in :${fromArn.qualifier}; give the qualifier once`,
      );
    }
  }
  const qualifier = lambda.qualifier ?? fromArn?.qualifier ?? '$LATEST';

  const endpoint =
    lambda.endpointURL !== undefined
      ? endpointFromUrl(lambda.endpointURL, 'spec.aws.lambda.endpointURL', p)
      : { host: lambdaHost(region), port: 443, tls: true };

  let auth: AwsAuthIR | undefined = { mode: 'defaultChain' };
  if (a.roleArn !== undefined) {
    auth = assumeRole({ roleArn: a.roleArn }, 'spec.aws', region, p);
  } else if (a.auth !== undefined) {
    auth = awsAuth(a.auth, 'spec.aws.auth', region, p);
  }

  if (p.errors.length > 0 || accountId === undefined || endpoint === undefined || auth === undefined)
    return undefined;
  return {
    type: 'lambda',
    arn: lambdaArn(region, accountId, functionName, qualifier),
    functionName,
    qualifier,
    region,
    accountId,
    invocationMode: lambda.invocationMode ?? 'Sync',
    // kgateway later renamed Envelope to `Envoy`: Envoy's own JSON envelope either way.
    payloadTransformMode: lambda.payloadTransformMode === 'None' ? 'None' : 'Envelope',
    endpoint,
    auth,
  };
}

/** `endpointURL` (an emulator such as LocalStack): scheme, host and port only; https means TLS. */
function endpointFromUrl(raw: string, field: string, p: Problems) {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The raw value is not echoed: it may carry credentials.
    return p.add(field, 'is not a URL; expected http(s)://host[:port], e.g. http://localstack:4566');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return p.add(field, `scheme ${url.protocol.slice(0, -1)} is not supported; use http or https`);
  }
  if (url.username !== '' || url.password !== '') {
    return p.add(field, 'must not contain credentials; use spec.aws.auth');
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    return p.add(
      field,
      'must not have a path, query or fragment: Envoy sends Invoke to /2015-03-31/functions/...',
    );
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const hostProblem = parseIpAddress(host) ? undefined : checkDnsName(host);
  if (hostProblem) return p.add(field, `host ${hostProblem}`);
  // WHATWG URLs accept port 0; Envoy cannot connect to it.
  if (url.port === '0') return p.add(field, 'port must be between 1 and 65535');
  const tls = url.protocol === 'https:';
  return { host, port: url.port === '' ? (tls ? 443 : 80) : Number(url.port), tls };
}

/** `auth`: Secret (static keys), AssumeRole, or the proxy's default chain (IRSA, Pod Identity) when absent. */
function awsAuth(auth: KgatewayAwsAuth, field: string, region: string, p: Problems): AwsAuthIR | undefined {
  const type = auth.type;
  const misplaced = (key: keyof KgatewayAwsAuth, usedWith: string) =>
    auth[key] !== undefined ? p.add(`${field}.${key}`, `is only used with type ${usedWith}`) : undefined;
  switch (type) {
    case 'Secret':
    case 'secret': {
      misplaced('roleArn', 'AssumeRole');
      misplaced('externalId', 'AssumeRole');
      misplaced('roleSessionName', 'AssumeRole');
      const refField = auth.secretRef ? `${field}.secretRef` : `${field}.secret`;
      const ref = auth.secretRef ?? auth.secret;
      if (ref === undefined) {
        return p.add(
          `${field}.secretRef`,
          'required when type is Secret: the Secret holding accessKey, secretKey and optionally sessionToken',
        );
      }
      if (ref.key !== undefined)
        p.add(`${refField}.key`, 'is not used: the Secret must hold accessKey and secretKey');
      if (!sameNamespace(ref, refField, p)) return undefined;
      return { mode: 'secret', secretRef: { kind: 'Secret', namespace: p.id.namespace, name: ref.name } };
    }
    case 'AssumeRole':
      misplaced('secretRef', 'Secret');
      misplaced('secret', 'Secret');
      if (auth.roleArn === undefined) {
        return p.add(`${field}.roleArn`, 'required when type is AssumeRole: the IAM role the proxy assumes');
      }
      return assumeRole({ ...auth, roleArn: auth.roleArn }, field, region, p);
    case 'Default':
    case 'default':
      return { mode: 'defaultChain' };
    case 'irsa':
    case 'IRSA':
      return p.add(
        `${field}.type`,
        'irsa is no longer supported: omit auth to use the proxy default credential chain (which includes IRSA ' +
          'and EKS Pod Identity), or use type AssumeRole with roleArn',
        Reason.UnsupportedValue,
      );
    default:
      return p.add(
        `${field}.type`,
        `must be one of Secret, AssumeRole, Default (got ${JSON.stringify(type)})`,
      );
  }
}

function assumeRole(
  a: { roleArn: string; externalId?: string | undefined; roleSessionName?: string | undefined },
  field: string,
  region: string,
  p: Problems,
): AwsAuthIR | undefined {
  const before = p.errors.length;
  const arnProblem = checkRoleArn(a.roleArn);
  if (arnProblem) {
    p.add(`${field}.roleArn`, arnProblem);
  } else if (arnPartition(a.roleArn) !== (regionPartition(region) ?? arnPartition(a.roleArn))) {
    p.add(
      `${field}.roleArn`,
      `the role is in partition ${arnPartition(a.roleArn)} but region ${region} is in ${regionPartition(region)}; ` +
        'a role can only be assumed within its own partition',
    );
  }
  if (a.externalId !== undefined) {
    const problem = checkExternalId(a.externalId);
    if (problem) p.add(`${field}.externalId`, problem);
  }
  if (a.roleSessionName !== undefined) {
    const problem = checkSessionName(a.roleSessionName);
    if (problem) p.add(`${field}.roleSessionName`, problem);
  }
  if (p.errors.length > before) return undefined;
  return {
    mode: 'assumeRole',
    roleArn: a.roleArn,
    roleSessionName: a.roleSessionName ?? defaultSessionName(p.id.namespace, p.id.name),
    ...(a.externalId === undefined ? {} : { externalId: a.externalId }),
  };
}

/** Secrets must live beside the Backend: a cross-namespace reference would need a ReferenceGrant. */
function sameNamespace(ref: NamedRef, field: string, p: Problems): boolean {
  if (ref.namespace === undefined || ref.namespace === p.id.namespace) return true;
  p.add(
    `${field}.namespace`,
    `Secret ${ref.namespace}/${ref.name} is in another namespace; cross-namespace Secret references are not ` +
      `allowed: create the Secret in namespace ${p.id.namespace}`,
    Reason.RefNotPermitted,
  );
  return false;
}

// ---------------------------------------------------------------------------------------------
// AI

interface LocatedEntry {
  entry: LlmEntry;
  field: string;
}

function aiBackend(ai: KgatewayAi, p: Problems): BackendIR | undefined {
  const forms = (['llm', 'priorityGroups', 'multipool', 'provider'] as const).filter(
    (k) => ai[k] !== undefined,
  );
  const [form] = forms;
  if (form === undefined || forms.length > 1) {
    return p.add(
      'spec.ai',
      `exactly one of spec.ai.llm, spec.ai.priorityGroups or spec.ai.multipool must be set; ${
        form === undefined ? 'none is' : `found ${forms.map((f) => `spec.ai.${f}`).join(' and ')}`
      }`,
    );
  }
  let groups: LocatedEntry[][] = [];
  if (form === 'llm' && ai.llm) {
    groups = [[{ entry: ai.llm, field: 'spec.ai.llm' }]];
  } else if (form === 'provider' && ai.provider) {
    groups = [[{ entry: { provider: ai.provider }, field: 'spec.ai' }]];
  } else if (form === 'priorityGroups' && ai.priorityGroups) {
    groups = ai.priorityGroups.map((g, i) =>
      g.providers.map((entry, j) => ({ entry, field: `spec.ai.priorityGroups[${i}].providers[${j}]` })),
    );
  } else if (form === 'multipool' && ai.multipool) {
    groups = ai.multipool.priorities.map((g, i) =>
      g.pool.map((entry, j) => ({ entry, field: `spec.ai.multipool.priorities[${i}].pool[${j}]` })),
    );
  }

  checkUniqueNames(groups, p);
  const priorities = groups.map((g) => g.flatMap(({ entry, field }) => llmProvider(entry, field, p) ?? []));
  const kinds = [...new Set(priorities.flat().map((x) => x.provider))].sort();
  if (kinds.length > 1) {
    p.add(
      `spec.ai.${form}`,
      `all providers of one Backend must be of the same kind, as in kgateway (found ${kinds.join(', ')}); ` +
        'use one Backend per provider',
      Reason.UnsupportedValue,
    );
  }
  // Entries of one priority group are equals; only the order of the groups carries meaning.
  const compare = byKeys<LlmProviderIR>(
    (x) => x.host,
    (x) => x.port,
    (x) => x.path,
    (x) => x.model ?? '',
  );
  return { type: 'ai', priorities: priorities.map((g) => g.sort(compare)) };
}

function checkUniqueNames(groups: LocatedEntry[][], p: Problems): void {
  const seen = new Map<string, string>();
  for (const { entry, field } of groups.flat()) {
    if (entry.name === undefined) continue;
    const first = seen.get(entry.name);
    if (first)
      p.add(`${field}.name`, `"${entry.name}" is already used by ${first}; provider names must be unique`);
    else seen.set(entry.name, field);
  }
}

interface ProviderBlock {
  name: LlmProviderName;
  value: unknown;
  field: string;
}

const PROVIDER_LIST = LLM_PROVIDER_NAMES.join(', ');

/** Finds the one provider block of an entry: `openai: {...}` beside the overrides, or under `provider`. */
function findProviderBlock(entry: LlmEntry, field: string, p: Problems): ProviderBlock | undefined {
  const blocks: ProviderBlock[] = [];
  const unknown = (key: string, at: string) =>
    p.add(at, `unknown LLM provider "${key}"; supported: ${PROVIDER_LIST}`, Reason.UnsupportedValue);
  const collect = (source: Record<string, unknown>, prefix: string, skip: (key: string) => boolean) => {
    for (const [key, value] of Object.entries(source)) {
      if (skip(key) || value === undefined) continue;
      const name = providerForKey(key);
      if (name === undefined) unknown(key, `${prefix}.${key}`);
      else blocks.push({ name, value, field: `${prefix}.${key}` });
    }
  };
  collect(entry, field, (key) => LLM_ENTRY_FIELDS.has(key));
  if (entry.provider) collect(entry.provider, `${field}.provider`, (key) => key === 'type');

  const typed = entry.provider?.type;
  const typedName = typed === undefined ? undefined : providerForKey(typed);
  if (typed !== undefined && typedName === undefined) {
    return unknown(typed, `${field}.provider.type`);
  }
  const [block] = blocks;
  if (blocks.length > 1) {
    return p.add(
      field,
      `exactly one LLM provider per entry; found ${blocks.map((b) => b.field).join(' and ')}`,
    );
  }
  if (block === undefined) {
    if (typed !== undefined) {
      return p.add(
        `${field}.provider.${typed}`,
        `required: the settings of the ${typed} provider named by provider.type`,
      );
    }
    return p.errors.some((e) => e.field.startsWith(`${field}.`))
      ? undefined
      : p.add(field, `an LLM provider is required, one of: ${PROVIDER_LIST}`);
  }
  if (typedName !== undefined && typedName !== block.name) {
    return p.add(
      `${field}.provider.type`,
      `is ${typed} but ${block.field} is set; they must name the same provider`,
    );
  }
  return block;
}

const PATH_SAFE = /^[A-Za-z0-9._@-]+$/;
const GCP_PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const GCP_LOCATION = /^([a-z]+-[a-z]+\d+|global)$/;

function llmProvider(entry: LlmEntry, field: string, p: Problems): LlmProviderIR | undefined {
  const block = findProviderBlock(entry, field, p);
  if (block === undefined) return undefined;
  const before = p.errors.length;
  const info = LLM_PROVIDERS[block.name];
  const settings: Record<string, string> = { ...PROVIDER_SETTING_DEFAULTS[block.name] };
  const pathSafe = (value: string, at: string) =>
    PATH_SAFE.test(value)
      ? undefined
      : p.add(at, `"${value}" may only contain A-Z a-z 0-9 . _ @ - (it is part of the URL path)`);

  let model: string | undefined;
  let token: { value: AuthToken; field: string } | undefined;
  let auth: LlmAuthIR | undefined;
  const at = (key: string) => `${block.field}.${key}`;

  switch (block.name) {
    case 'openai':
    case 'mistral': {
      const parsed = validateSchema(OpenAIConfigSchema, block.value, block.field);
      if (!parsed.valid) return p.addAll(parsed.errors);
      model = parsed.result.model;
      token = { value: parsed.result.authToken, field: at('authToken') };
      break;
    }
    case 'anthropic': {
      const parsed = validateSchema(AnthropicConfigSchema, block.value, block.field);
      if (!parsed.valid) return p.addAll(parsed.errors);
      model = parsed.result.model;
      token = { value: parsed.result.authToken, field: at('authToken') };
      // Sent as the anthropic-version header.
      if (parsed.result.apiVersion !== undefined) settings.apiVersion = parsed.result.apiVersion;
      break;
    }
    case 'azureopenai': {
      const parsed = validateSchema(AzureOpenAIConfigSchema, block.value, block.field);
      if (!parsed.valid) return p.addAll(parsed.errors);
      const cfg = parsed.result;
      // kgateway strips a scheme from the endpoint; so do we.
      const endpoint = cfg.endpoint.replace(/^https?:\/\//, '').replace(/\/+$/, '');
      const problem = checkDnsName(endpoint);
      if (problem) p.add(at('endpoint'), `${problem}; expected e.g. my-resource.openai.azure.com`);
      pathSafe(cfg.deploymentName, at('deploymentName'));
      pathSafe(cfg.apiVersion, at('apiVersion'));
      settings.endpoint = endpoint.toLowerCase();
      settings.deploymentName = cfg.deploymentName;
      settings.apiVersion = cfg.apiVersion;
      token = { value: cfg.authToken, field: at('authToken') };
      break;
    }
    case 'gemini': {
      const parsed = validateSchema(GeminiConfigSchema, block.value, block.field);
      if (!parsed.valid) return p.addAll(parsed.errors);
      const cfg = parsed.result;
      model = cfg.model;
      pathSafe(cfg.model, at('model'));
      if (cfg.apiVersion !== undefined) settings.apiVersion = cfg.apiVersion;
      pathSafe(settings.apiVersion ?? '', at('apiVersion'));
      token = { value: cfg.authToken, field: at('authToken') };
      break;
    }
    case 'vertexai': {
      const parsed = validateSchema(VertexAIConfigSchema, block.value, block.field);
      if (!parsed.valid) return p.addAll(parsed.errors);
      const cfg = parsed.result;
      model = cfg.model;
      pathSafe(cfg.model, at('model'));
      if (!GCP_PROJECT.test(cfg.projectId)) {
        p.add(at('projectId'), `"${cfg.projectId}" is not a Google Cloud project ID (6-30 of a-z 0-9 -)`);
      }
      if (!GCP_LOCATION.test(cfg.location)) {
        p.add(at('location'), `"${cfg.location}" is not a Vertex AI location such as us-central1 or global`);
      }
      if (cfg.publisher !== undefined && cfg.publisher.toLowerCase() !== 'google') {
        p.add(
          at('publisher'),
          `"${cfg.publisher}" is not supported; only GOOGLE is`,
          Reason.UnsupportedValue,
        );
      }
      settings.projectId = cfg.projectId;
      settings.location = cfg.location;
      if (cfg.apiVersion !== undefined) settings.apiVersion = cfg.apiVersion;
      if (cfg.modelPath !== undefined) settings.modelPath = cfg.modelPath;
      pathSafe(settings.apiVersion ?? '', at('apiVersion'));
      pathSafe(settings.modelPath ?? '', at('modelPath'));
      token = { value: cfg.authToken, field: at('authToken') };
      break;
    }
    case 'bedrock': {
      const parsed = validateSchema(BedrockConfigSchema, block.value, block.field);
      if (!parsed.valid) return p.addAll(parsed.errors);
      const cfg = parsed.result;
      model = cfg.model;
      const region = cfg.region ?? DEFAULT_AWS_REGION;
      const problem = checkRegion(region);
      if (problem) p.add(at('region'), problem);
      settings.region = region;
      if (cfg.guardrail) {
        settings.guardrailIdentifier = cfg.guardrail.identifier;
        settings.guardrailVersion = cfg.guardrail.version;
      }
      const awsAuthIr = cfg.auth
        ? awsAuth(cfg.auth, at('auth'), region, p)
        : { mode: 'defaultChain' as const };
      if (awsAuthIr) auth = { mode: 'aws', region, auth: awsAuthIr };
      break;
    }
  }

  const target = overrides(entry, field, p);
  if (token) {
    const defaults = info.auth === 'sigv4' ? { header: 'Authorization', prefix: '' } : info.auth;
    auth = tokenAuth(token.value, token.field, defaults, target.authHeader, p);
  } else if (target.authHeader) {
    p.add(target.authHeader.field, 'cannot be used with bedrock: requests are signed with AWS SigV4');
  }
  if (p.errors.length > before || auth === undefined) return undefined;

  const params = { settings, ...(model === undefined ? {} : { model }) };
  return {
    provider: block.name,
    ...(model === undefined ? {} : { model }),
    host: target.host ?? info.host(params),
    port: target.port ?? info.port,
    path: target.path ?? info.path(params),
    auth,
    settings: Object.fromEntries(Object.entries(settings).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
}

interface Overrides {
  host?: string;
  port?: number;
  path?: string;
  authHeader?: { value: AuthHeader; field: string };
}

/** Host, path and auth header overrides: `host`/`port`/`path.full`/`authHeader` or the older `*Override` fields. */
function overrides(entry: LlmEntry, field: string, p: Problems): Overrides {
  const out: Overrides = {};
  const both = (newer: keyof LlmEntry, older: keyof LlmEntry) =>
    entry[newer] !== undefined && entry[older] !== undefined
      ? p.add(`${field}.${older}`, `set either ${newer} or ${older}, not both`)
      : undefined;
  both('host', 'hostOverride');
  both('path', 'pathOverride');
  both('authHeader', 'authHeaderOverride');

  if (entry.host !== undefined || entry.port !== undefined) {
    if (entry.host === undefined || entry.port === undefined) {
      p.add(
        `${field}.${entry.host === undefined ? 'host' : 'port'}`,
        'required: host and port must be set together',
      );
    } else {
      setHost(entry.host, entry.port, `${field}.host`);
    }
  } else if (entry.hostOverride) {
    setHost(entry.hostOverride.host, entry.hostOverride.port, `${field}.hostOverride.host`);
  }

  const path = entry.path?.full ?? entry.pathOverride?.fullPath;
  const pathField = entry.path ? `${field}.path.full` : `${field}.pathOverride.fullPath`;
  if (path !== undefined) {
    if (!path.startsWith('/') || /\s|#/.test(path))
      p.add(pathField, `"${path}" must be an absolute path such as /v1/chat/completions`);
    else out.path = path;
  }

  const header = entry.authHeader ?? entry.authHeaderOverride;
  if (header) {
    const headerField = entry.authHeader ? `${field}.authHeader` : `${field}.authHeaderOverride`;
    if (header.headerName === undefined && header.prefix === undefined) {
      p.add(headerField, 'set headerName, prefix or both');
    } else if (header.headerName !== undefined) {
      const problem = checkHeaderName(header.headerName);
      if (problem) p.add(`${headerField}.headerName`, problem);
    }
    out.authHeader = { value: header, field: headerField };
  }
  return out;

  function setHost(host: string, port: number, hostField: string) {
    const address = hostAddress(host, port, hostField, p);
    if (address?.kind === 'ip') {
      out.host = address.address;
      out.port = port;
    } else if (address?.kind === 'fqdn') {
      out.host = address.hostname;
      out.port = port;
    }
  }
}

const INLINE_REJECTED =
  'inline tokens are not accepted: the token would be copied into the IR and every xDS snapshot. ' +
  'Store it in a Secret (key Authorization) and use kind: SecretRef with secretRef.name';

/** `authToken` → where Envoy gets the credential: a Secret through SDS, or the client's own header. */
function tokenAuth(
  token: AuthToken,
  field: string,
  defaults: { header: string; prefix: string },
  override: Overrides['authHeader'],
  p: Problems,
): LlmAuthIR | undefined {
  if (token.kind !== undefined && token.type !== undefined && token.kind !== token.type) {
    return p.add(`${field}.type`, `is ${token.type} but ${field}.kind is ${token.kind}; set only kind`);
  }
  const kind =
    token.kind ??
    token.type ??
    (token.secretRef !== undefined ? 'SecretRef' : token.inline !== undefined ? 'Inline' : undefined);
  if (token.inline !== undefined || kind === 'Inline') return p.add(`${field}.inline`, INLINE_REJECTED);
  switch (kind) {
    case 'SecretRef': {
      const ref = token.secretRef;
      if (ref === undefined) return p.add(`${field}.secretRef`, 'required when kind is SecretRef');
      if (!sameNamespace(ref, `${field}.secretRef`, p)) return undefined;
      const prefix = override?.value.prefix;
      return {
        mode: 'secret',
        secretRef: {
          kind: 'Secret',
          namespace: p.id.namespace,
          name: ref.name,
          key: ref.key ?? 'Authorization',
        },
        header: override?.value.headerName ?? defaults.header,
        // `Bearer` means `Bearer <token>`: a prefix without its separating space is never what is meant.
        prefix:
          prefix === undefined
            ? defaults.prefix
            : prefix === '' || prefix.endsWith(' ')
              ? prefix
              : `${prefix} `,
      };
    }
    case 'Passthrough':
      if (token.secretRef !== undefined) {
        return p.add(`${field}.secretRef`, 'must not be set when kind is Passthrough');
      }
      if (override) {
        return p.add(
          override.field,
          'cannot be used with kind Passthrough: the client header is forwarded as is',
        );
      }
      return { mode: 'passthrough' };
    case undefined:
      return p.add(`${field}.kind`, 'required: SecretRef (with secretRef.name) or Passthrough');
  }
}
