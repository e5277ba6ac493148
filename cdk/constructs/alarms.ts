// CloudWatch alarms on what needs a human: a message in any dead-letter queue or failure
// destination, any function error, and named metrics above a threshold (the audit webhook's 5xx
// answers, unhealthy relay tasks). Optionally notifies an SNS topic.

import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { NamedQueue } from './secure-queue.ts';

export interface NamedFunction {
  /** Construct-id-safe name, e.g. `Translate`; the alarm id derives from it. */
  readonly name: string;
  readonly function: IFunction;
}

/** An alarm on any metric: ALARM when it is above `threshold` for `evaluationPeriods` periods. */
export interface NamedMetricAlarm {
  /** Construct-id-safe alarm id, e.g. `IngestAuditWebhook5xx`. */
  readonly name: string;
  /** What it means and what to do; prefixed with `fleetplane: `. */
  readonly description: string;
  /** With its period and statistic set. */
  readonly metric: IMetric;
  /** @default 0 */
  readonly threshold?: number;
  /** @default 1 */
  readonly evaluationPeriods?: number;
}

export interface AlarmsProps {
  /** Alarmed when ApproximateNumberOfMessagesVisible > 0; alarm id `<name>NotEmpty`. */
  readonly deadLetterQueues: readonly NamedQueue[];
  /** Alarmed when Errors > 0 in a 5-minute period; alarm id `<name>Errors`. */
  readonly functions: readonly NamedFunction[];
  /** Any other alarms; missing data counts as OK. */
  readonly metrics?: readonly NamedMetricAlarm[];
  /**
   * Where alarm and OK transitions are sent.
   *
   * @default - no notification; the alarms only change state
   */
  readonly topic?: ITopic;
}

export class Alarms extends Construct {
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    for (const { name, queue } of props.deadLetterQueues) {
      this.add(
        new Alarm(this, `${name}NotEmpty`, {
          alarmDescription: `fleetplane: ${name} holds messages that failed processing or delivery; inspect and redrive them`,
          metric: queue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: 'Maximum',
          }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        props.topic,
      );
    }
    for (const { name, function: fn } of props.functions) {
      this.add(
        new Alarm(this, `${name}Errors`, {
          alarmDescription: `fleetplane: the ${name} function failed (error, timeout or crash); see its log group`,
          metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        props.topic,
      );
    }
    for (const m of props.metrics ?? []) {
      this.add(
        new Alarm(this, m.name, {
          alarmDescription: `fleetplane: ${m.description}`,
          metric: m.metric,
          threshold: m.threshold ?? 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: m.evaluationPeriods ?? 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        props.topic,
      );
    }
  }

  private add(alarm: Alarm, topic: ITopic | undefined): void {
    if (topic) {
      const action = new SnsAction(topic);
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    this.alarms.push(alarm);
  }
}
