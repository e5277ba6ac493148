// cdk-nag (v3) acknowledgments. cdk-nag 3 reports through CDK's policy validation and reads
// acknowledgments from `Validations.of(construct).acknowledge()`; an IAM5 finding is acknowledged
// one resource string at a time, so `iam5Resource` renders an ARN the way cdk-nag does.

import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledge one cdk-nag rule or finding on `scope` and everything under it. Pass the bare id
 * (`AwsSolutions-S1`): cdk-nag 3.0 matches it, but not the `AwsSolutions::AwsSolutions-S1` form
 * that CDK's validation report suggests.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** The IAM5 finding id for an Allow on `arn` (a token or a literal containing `*`). */
export function iam5Resource(scope: IConstruct, arn: string): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(arn))}]`;
}

/** The IAM5 finding id for a wildcard action such as `s3:GetObject*`. */
export function iam5Action(action: string): string {
  return `AwsSolutions-IAM5[Action::${action}]`;
}

// Mirrors cdk-nag's flattenCfnReference, which is not exported: Fn::Join is joined,
// GetAtt becomes `<Id.Attr>`, Ref and Fn::Sub's `${X}` become `<X>`.
function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    const join = o['Fn::Join'];
    if (Array.isArray(join)) {
      const [delimiter, items] = join as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if (o['Fn::Sub'] !== undefined) return flatten(o['Fn::Sub']);
    const getAtt = o['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${flatten(getAtt[0])}.${flatten(getAtt[1])}>`;
    if (o['Fn::ImportValue'] !== undefined) return flatten(o['Fn::ImportValue']);
    if (o.Ref !== undefined) return `<${flatten(o.Ref)}>`;
  }
  return JSON.stringify(node);
}
