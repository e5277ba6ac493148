// One EventBridge rule per kind family (TRANSLATOR_RULES in shared/pipeline/definition.ts), each
// delivering to the translate function's queue. Every target has a retry policy and its own
// dead-letter queue, so an undeliverable event is kept and attributable to its family.

import { Duration } from 'aws-cdk-lib';
import { type EventPattern, type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  TRANSLATOR_RULES,
  type TranslatorRule,
  translatorRulePattern,
} from '../../shared/pipeline/definition.ts';
import { StackConfigError } from '../errors.ts';
import { type NamedQueue, secureQueue } from './secure-queue.ts';

export interface TranslatorRulesProps {
  readonly bus: IEventBus;
  /** The translate function's queue. */
  readonly queue: IQueue;
  /**
   * The rules to create.
   *
   * @default TRANSLATOR_RULES
   */
  readonly rules?: readonly TranslatorRule[];
  /**
   * How long EventBridge keeps retrying delivery to the queue before dead-lettering. Resync events
   * re-send every object periodically, so an event older than this has usually been superseded.
   *
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;
  /**
   * How many delivery retries EventBridge makes within `maxEventAge`.
   *
   * @default 20
   */
  readonly retryAttempts?: number;
}

export class TranslatorRules extends Construct {
  readonly rules: Rule[] = [];
  /** One per rule, named `<RuleId>DeliveryDlq`. */
  readonly deadLetterQueues: NamedQueue[] = [];

  constructor(scope: Construct, id: string, props: TranslatorRulesProps) {
    super(scope, id);
    const maxEventAge = props.maxEventAge ?? Duration.hours(1);
    const retryAttempts = props.retryAttempts ?? 20;
    // EventBridge's own limits for a target retry policy.
    const ageSeconds = maxEventAge.toSeconds();
    if (ageSeconds < 60 || ageSeconds > 86_400) {
      throw new StackConfigError(
        `TranslatorRules ${this.node.path}: maxEventAge is ${ageSeconds}s; EventBridge accepts 60s to 24h`,
      );
    }
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 185) {
      throw new StackConfigError(
        `TranslatorRules ${this.node.path}: retryAttempts is ${retryAttempts}; use a whole number from 0 to 185`,
      );
    }
    for (const definition of props.rules ?? TRANSLATOR_RULES) {
      const dlq = secureQueue(this, `${definition.id}DeliveryDlq`);
      const rule = new Rule(this, definition.id, {
        eventBus: props.bus,
        description: `fleetplane translator: ${definition.description}`,
        eventPattern: toCdkEventPattern(translatorRulePattern(definition), definition.id),
      });
      rule.addTarget(new SqsQueue(props.queue, { deadLetterQueue: dlq, maxEventAge, retryAttempts }));
      this.rules.push(rule);
      this.deadLetterQueues.push({ name: `${definition.id}DeliveryDlq`, queue: dlq });
    }
  }
}

// CDK's EventPattern spells `detail-type` as `detailType`; every other top-level key matches.
// Unknown keys fail loudly so that a pattern added to definition.ts is never silently narrowed.
const PATTERN_KEYS: Record<string, keyof EventPattern> = {
  version: 'version',
  id: 'id',
  'detail-type': 'detailType',
  source: 'source',
  account: 'account',
  time: 'time',
  region: 'region',
  resources: 'resources',
  detail: 'detail',
};

export function toCdkEventPattern(pattern: Record<string, unknown>, ruleId: string): EventPattern {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pattern)) {
    const cdkKey = PATTERN_KEYS[key];
    if (cdkKey === undefined) {
      throw new StackConfigError(
        `translator rule ${ruleId}: event pattern key "${key}" is not an EventBridge event field; ` +
          `use one of ${Object.keys(PATTERN_KEYS).join(', ')} or nest it under "detail"`,
      );
    }
    out[cdkKey] = value;
  }
  return out as EventPattern;
}
