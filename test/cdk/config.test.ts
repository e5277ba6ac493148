import { Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { StackConfigError } from '../../cdk/errors.ts';
import { buildApp } from './support.ts';

describe('context', () => {
  it('defaults to an environment-agnostic stack named Fleetplane-default', () => {
    // Act
    const { stack } = buildApp();

    // Assess
    expect(stack.stackName).toBe('Fleetplane-default');
    expect(Token.isUnresolved(stack.account)).toBe(true);
    expect(Token.isUnresolved(stack.region)).toBe(true);
  });

  it('takes -c strings: fleet, booleans, numbers, removal policy, log level and an alarm topic', () => {
    // Prepare
    const topic = 'arn:aws:sns:eu-west-1:123456789012:fleetplane-alarms';

    // Act
    const { stack } = buildApp({
      context: {
        'fleetplane:fleet': 'prod-eu',
        'fleetplane:deletionProtection': 'false',
        'fleetplane:removalPolicy': 'destroy',
        'fleetplane:archiveRetentionDays': '7',
        'fleetplane:logLevel': 'debug',
        'fleetplane:alarmTopicArn': topic,
        'fleetplane:account': '123456789012',
        'fleetplane:region': 'eu-west-1',
      },
    });
    const template = Template.fromStack(stack);

    // Assess
    expect(stack.stackName).toBe('Fleetplane-prod-eu');
    expect(stack.region).toBe('eu-west-1');
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: { DeletionProtectionEnabled: false },
    });
    template.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 7 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ LOG_LEVEL: 'DEBUG' }) },
    });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([topic]);
      expect(alarm.Properties.OKActions).toEqual([topic]);
    }
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      Tags: Match.arrayWith([{ Key: 'fleetplane:fleet', Value: 'prod-eu' }]),
    });
  });

  it.each([
    ['fleetplane:archiveRetentionDays', 'ten', /archiveRetentionDays is "ten"; use a whole number/],
    ['fleetplane:deletionProtection', 'yes', /deletionProtection is "yes"; use true or false/],
    ['fleetplane:removalPolicy', 'delete', /removalPolicy is "delete"; use "retain"/],
    ['fleetplane:logLevel', 'loud', /logLevel is "LOUD"; use one of TRACE/],
    ['fleetplane:alarmTopicArn', 'alarms', /alarmTopicArn is "alarms"; give an SNS topic ARN/],
    ['fleetplane:account', '1234', /account is "1234"; give a 12-digit AWS account id/],
    ['fleetplane:fleet', 'prod eu', /fleet is "prod eu"; use letters, digits and hyphens/],
    ['fleetplane:stackName', '1st', /stackName is "1st"; a stack name starts with a letter/],
  ])('rejects %s = %j with the value and the fix', (key, value, message) => {
    expect(() => buildApp({ context: { [key]: value } })).toThrow(message);
  });

  it('rejects destroying a deletion-protected table before CloudFormation would', () => {
    // Act
    const build = () => buildApp({ context: { 'fleetplane:removalPolicy': 'destroy' } });

    // Assess
    expect(build).toThrow(StackConfigError);
    expect(build).toThrow(
      /removalPolicy is DESTROY but deletionProtection is true.*set deletionProtection to false/,
    );
  });
});
