// AWS naming rules: regions and partitions, account IDs, role and Lambda ARNs, session names.

import { describe, expect, it } from 'vitest';
import {
  awsDnsSuffix,
  checkAccountId,
  checkFunctionName,
  checkQualifier,
  checkRegion,
  checkRoleArn,
  checkSessionName,
  defaultSessionName,
  lambdaArn,
  lambdaHost,
  parseLambdaArn,
  regionPartition,
} from '../../../../shared/resources/aws.ts';

describe('regions and partitions', () => {
  it.each([
    ['us-east-1', 'aws', 'amazonaws.com'],
    ['eu-central-2', 'aws', 'amazonaws.com'],
    ['ap-southeast-5', 'aws', 'amazonaws.com'],
    ['cn-north-1', 'aws-cn', 'amazonaws.com.cn'],
    ['cn-northwest-1', 'aws-cn', 'amazonaws.com.cn'],
    ['us-gov-west-1', 'aws-us-gov', 'amazonaws.com'],
  ])('%s is in %s (%s)', (region, partition, suffix) => {
    expect(checkRegion(region)).toBeUndefined();
    expect(regionPartition(region)).toBe(partition);
    expect(awsDnsSuffix(region)).toBe(suffix);
  });

  it.each(['us-iso-east-1', 'us-isob-east-1', 'eu-isoe-west-1', 'eusc-de-east-1'])(
    'rejects isolated-partition region %s',
    (region) => {
      expect(regionPartition(region)).toBeUndefined();
      expect(checkRegion(region)).toMatch(/isolated AWS partition/);
    },
  );

  it.each(['US-EAST-1', 'us_east_1', 'useast1', 'us-east', 'us-east-1a', '', 'us-east-100'])(
    'rejects %j',
    (region) => {
      expect(checkRegion(region)).toMatch(/is not an AWS region/);
    },
  );

  it('builds the Lambda endpoint per partition', () => {
    expect(lambdaHost('eu-west-1')).toBe('lambda.eu-west-1.amazonaws.com');
    expect(lambdaHost('cn-north-1')).toBe('lambda.cn-north-1.amazonaws.com.cn');
  });
});

describe('identifiers', () => {
  it.each(['123456789012', '000000000000'])('accepts account %s', (id) => {
    expect(checkAccountId(id)).toBeUndefined();
  });

  it.each(['12345678901', '1234567890123', '12345678901a', ' 123456789012'])('rejects account %j', (id) => {
    expect(checkAccountId(id)).toMatch(/exactly 12 digits/);
  });

  it.each(['my-function', 'A_b-9', 'x'.repeat(64)])('accepts function name %s', (name) => {
    expect(checkFunctionName(name)).toBeUndefined();
  });

  it.each(['', 'x'.repeat(65), 'my.function', 'my function'])('rejects function name %j', (name) => {
    expect(checkFunctionName(name)).toBeDefined();
  });

  it.each(['$LATEST', '1', '42', 'live', 'blue_green-2'])('accepts qualifier %s', (q) => {
    expect(checkQualifier(q)).toBeUndefined();
  });

  it.each(['', '$latest', 'v1.0', 'x'.repeat(129)])('rejects qualifier %j', (q) => {
    expect(checkQualifier(q)).toBeDefined();
  });
});

describe('ARNs', () => {
  it.each([
    'arn:aws:iam::123456789012:role/invoke',
    'arn:aws:iam::123456789012:role/service-role/path/invoke+=,.@-_',
    'arn:aws-cn:iam::123456789012:role/x',
    'arn:aws-us-gov:iam::123456789012:role/x',
  ])('accepts role ARN %s', (arn) => {
    expect(checkRoleArn(arn)).toBeUndefined();
  });

  it.each([
    ['arn:aws:iam::123456789012:role/', 'invalid role name'],
    [`arn:aws:iam::123456789012:role/${'r'.repeat(65)}`, 'invalid role name'],
    ['arn:aws:iam:us-east-1:123456789012:role/x', 'is not an IAM ARN'],
    ['arn:aws:iam::123456789012:policy/x', 'is not an IAM role ARN'],
    ['arn:aws-iso:iam::123456789012:role/x', 'unknown partition'],
    ['arn:aws:iam::123456789012', 'is not an ARN'],
  ])('rejects role ARN %s', (arn, text) => {
    expect(checkRoleArn(arn)).toContain(text);
  });

  it('parses a Lambda ARN with and without qualifier', () => {
    expect(parseLambdaArn('arn:aws:lambda:eu-west-1:123456789012:function:fn')).toEqual({
      partition: 'aws',
      region: 'eu-west-1',
      accountId: '123456789012',
      functionName: 'fn',
    });
    expect(parseLambdaArn('arn:aws-cn:lambda:cn-north-1:123456789012:function:fn:$LATEST')).toMatchObject({
      partition: 'aws-cn',
      qualifier: '$LATEST',
    });
    expect(parseLambdaArn('arn:aws:lambda:eu-west-1:123456789012:layer:fn')).toBeUndefined();
    expect(parseLambdaArn('arn:aws:lambda:eu-west-1:123456789012:function:fn:a:b')).toBeUndefined();
  });

  it('builds the qualified ARN in the region partition', () => {
    expect(lambdaArn('us-gov-east-1', '123456789012', 'fn', '3')).toBe(
      'arn:aws-us-gov:lambda:us-gov-east-1:123456789012:function:fn:3',
    );
  });
});

describe('session names', () => {
  it('defaults to fleetplane-<namespace>-<name>, valid for STS and at most 64 characters', () => {
    const long = defaultSessionName('team-a', 'n'.repeat(80));

    expect(defaultSessionName('shop', 'orders.v2')).toBe('fleetplane-shop-orders.v2');
    expect(long).toHaveLength(64);
    expect(checkSessionName(long)).toBeUndefined();
  });

  it.each(['a', 'has space', 'x'.repeat(65), 'slash/y'])('rejects %j', (name) => {
    expect(checkSessionName(name)).toBeDefined();
  });
});
