// AWS naming rules used by the backend resources: regions and their partitions, account IDs,
// IAM role ARNs, Lambda function names, ARNs and qualifiers, STS session names. Each check returns
// a problem message (naming the bad value and the fix) or undefined, so callers collect them as
// field errors.

/** The partitions fleetplane signs requests for, and the DNS suffix of their service endpoints. */
export type AwsPartition = 'aws' | 'aws-cn' | 'aws-us-gov';

export const DEFAULT_AWS_REGION = 'us-east-1';

const REGION = /^[a-z]{2,4}(-[a-z]+){1,3}-\d{1,2}$/;
const ACCOUNT_ID = /^\d{12}$/;
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const QUALIFIER = /^(\$LATEST|[A-Za-z0-9_-]{1,128})$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const ROLE_PATH_SEGMENT = /^[\x21-\x2E\x30-\x7E]+$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const LAMBDA_ARN =
  /^arn:([a-z-]+):lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]{1,64})(?::(\$LATEST|[A-Za-z0-9_-]{1,128}))?$/;

/** `us-east-1`, `cn-north-1`, `us-gov-west-1`: the shape of a commercial, China or GovCloud region. */
export function checkRegion(region: string): string | undefined {
  if (!REGION.test(region)) {
    return `"${region}" is not an AWS region; use a region code such as us-east-1 or eu-west-2`;
  }
  if (regionPartition(region) === undefined) {
    return `region "${region}" is in an isolated AWS partition, which is not supported; supported partitions: aws, aws-cn (cn-*), aws-us-gov (us-gov-*)`;
  }
  return undefined;
}

/** The partition of a region, or undefined for the isolated partitions (ISO, ISO-B, EU sovereign). */
export function regionPartition(region: string): AwsPartition | undefined {
  if (/^[a-z]+-iso[a-z]?-/.test(region) || region.startsWith('eusc-')) return undefined;
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** `amazonaws.com`, or `amazonaws.com.cn` for the China regions. */
export function awsDnsSuffix(region: string): string {
  return regionPartition(region) === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
}

export function checkAccountId(accountId: string): string | undefined {
  return ACCOUNT_ID.test(accountId)
    ? undefined
    : `"${accountId}" is not an AWS account ID; it must be exactly 12 digits, e.g. "123456789012" (quote it in YAML)`;
}

/** An IAM role ARN: `arn:<partition>:iam::<12 digits>:role/<optional path/><name>`. */
export function checkRoleArn(arn: string): string | undefined {
  const fix = 'expected arn:aws:iam::123456789012:role/my-role (partition aws, aws-cn or aws-us-gov)';
  const parts = arn.split(':');
  if (parts.length !== 6 || parts[0] !== 'arn') return `"${arn}" is not an ARN; ${fix}`;
  const [, partition, service, region, account, resource] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (partition !== 'aws' && partition !== 'aws-cn' && partition !== 'aws-us-gov') {
    return `"${arn}" has unknown partition "${partition}"; ${fix}`;
  }
  if (service !== 'iam' || region !== '') return `"${arn}" is not an IAM ARN; ${fix}`;
  if (!ACCOUNT_ID.test(account)) return `"${arn}" has an invalid account ID "${account}"; ${fix}`;
  if (!resource.startsWith('role/')) return `"${arn}" is not an IAM role ARN; ${fix}`;
  const segments = resource.slice('role/'.length).split('/');
  const name = segments.pop() ?? '';
  if (!ROLE_NAME.test(name) || !segments.every((s) => ROLE_PATH_SEGMENT.test(s))) {
    return `"${arn}" has an invalid role name or path (names are 1-64 of A-Z a-z 0-9 _+=,.@-); ${fix}`;
  }
  return undefined;
}

/** The partition named by an ARN (its second field). */
export function arnPartition(arn: string): string {
  return arn.split(':')[1] ?? '';
}

export function checkSessionName(name: string): string | undefined {
  return SESSION_NAME.test(name)
    ? undefined
    : `"${name}" is not a valid STS role session name; use 2-64 characters of A-Z a-z 0-9 _+=,.@-`;
}

export function checkExternalId(id: string): string | undefined {
  return EXTERNAL_ID.test(id)
    ? undefined
    : 'is not a valid STS external ID; use 2-1224 characters of A-Z a-z 0-9 _+=,.@:/-';
}

/**
 * The session name Envoy's assume-role provider uses when none is given:
 * `fleetplane-<namespace>-<name>`, with characters STS rejects replaced and cut to 64, the STS limit.
 */
export function defaultSessionName(namespace: string, name: string): string {
  return `fleetplane-${namespace}-${name}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

export function checkFunctionName(name: string): string | undefined {
  return FUNCTION_NAME.test(name)
    ? undefined
    : `"${name}" is not a Lambda function name; use 1-64 characters of A-Z a-z 0-9 _- or a full function ARN`;
}

export function checkQualifier(qualifier: string): string | undefined {
  return QUALIFIER.test(qualifier)
    ? undefined
    : `"${qualifier}" is not a Lambda qualifier; use $LATEST, a version number such as 3, or an alias name of A-Z a-z 0-9 _-`;
}

export interface LambdaArn {
  partition: string;
  region: string;
  accountId: string;
  functionName: string;
  qualifier?: string;
}

/** Parses `arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]`. */
export function parseLambdaArn(arn: string): LambdaArn | undefined {
  const m = LAMBDA_ARN.exec(arn);
  if (!m) return undefined;
  const [, partition, region, accountId, functionName, qualifier] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  return qualifier === undefined
    ? { partition, region, accountId, functionName }
    : { partition, region, accountId, functionName, qualifier };
}

export function isArn(value: string): boolean {
  return value.startsWith('arn:');
}

/** The fully qualified ARN Envoy's aws_lambda filter invokes. */
export function lambdaArn(
  region: string,
  accountId: string,
  functionName: string,
  qualifier: string,
): string {
  return `arn:${regionPartition(region) ?? 'aws'}:lambda:${region}:${accountId}:function:${functionName}:${qualifier}`;
}

/** `lambda.<region>.amazonaws.com` (`.com.cn` in China): the regional Invoke endpoint. */
export function lambdaHost(region: string): string {
  return `lambda.${region}.${awsDnsSuffix(region)}`;
}
