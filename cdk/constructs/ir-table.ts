// The IR table: one item per Kubernetes object (and per Gateway's snapshot bookkeeping), keyed as
// IR_TABLE in shared/pipeline/definition.ts says. Its stream feeds build-snapshot.

import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { IR_TABLE } from '../../shared/pipeline/definition.ts';
import { StackConfigError } from '../errors.ts';

export interface IrTableProps {
  /**
   * Refuse DeleteTable, including from CloudFormation.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the table when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

export class IrTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: IrTableProps = {}) {
    super(scope, id);
    const deletionProtection = props.deletionProtection ?? true;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (deletionProtection && removalPolicy === RemovalPolicy.DESTROY) {
      throw new StackConfigError(
        `IrTable ${this.node.path}: removalPolicy is DESTROY but deletionProtection is true, so the ` +
          'stack could never delete the table; set deletionProtection to false as well, or keep RETAIN',
      );
    }
    this.table = new Table(this, 'Table', {
      partitionKey: { name: IR_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: IR_TABLE.sortKey, type: AttributeType.STRING },
      timeToLiveAttribute: IR_TABLE.ttlAttribute,
      billingMode: BillingMode.PAY_PER_REQUEST,
      // build-snapshot compares the old and new content hash, so a write that changes nothing
      // Envoy sees (a resourceVersion bump, a status update) publishes nothing.
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection,
      removalPolicy,
    });
  }
}
