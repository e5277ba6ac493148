// The fleet's custom EventBridge bus: producers put change events on it, rules route them to the
// translator, build-snapshot puts "Snapshot Published" on it. The archive keeps change events so
// the IR can be rebuilt by replay (order-safe writes make replaying old events harmless).

import { Duration } from 'aws-cdk-lib';
import { type Archive, EventBus } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { CHANGE_EVENT_SOURCE } from '../../shared/events/change-event.ts';
import { StackConfigError } from '../errors.ts';

export interface ChangeBusProps {
  /**
   * How long the archive keeps change events, in days; 0 keeps them indefinitely.
   *
   * @default 30
   */
  readonly archiveRetentionDays?: number;
}

export class ChangeBus extends Construct {
  readonly bus: EventBus;
  readonly archive: Archive;

  constructor(scope: Construct, id: string, props: ChangeBusProps = {}) {
    super(scope, id);
    const retentionDays = props.archiveRetentionDays ?? 30;
    if (!Number.isInteger(retentionDays) || retentionDays < 0) {
      throw new StackConfigError(
        `ChangeBus ${this.node.path}: archiveRetentionDays is ${retentionDays}; use a whole number of days ` +
          '(0 keeps events indefinitely), e.g. 30',
      );
    }
    this.bus = new EventBus(this, 'Bus', {
      description: 'fleetplane: Kubernetes change events and snapshot notifications',
    });
    this.archive = this.bus.archive('Archive', {
      description: 'Kubernetes change events, for replay into the IR table',
      eventPattern: { source: [CHANGE_EVENT_SOURCE] },
      retention: Duration.days(retentionDays),
    });
  }
}
