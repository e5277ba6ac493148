// Test support for the per-resource translators: fixtures, inline manifests and condition lookups.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { parse } from 'yaml';
import type { Condition, IrItem, IrKind } from '../../../../shared/ir/types.ts';
import type { KubeObject, TranslateContext } from '../../../../shared/translate/common.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'gateway-api');

export const ctx: TranslateContext = { defaultNamespace: 'default' };

/** A manifest from test/fixtures/gateway-api/<name>.yaml. */
export function fixture(name: string): KubeObject {
  return parse(readFileSync(join(FIXTURES, `${name}.yaml`), 'utf8')) as KubeObject;
}

/** A manifest written inline in a test. */
export function manifest(yaml: string): KubeObject {
  return parse(yaml) as KubeObject;
}

export function conditionOf(item: IrItem<IrKind>, type: string): Condition {
  const matching = item.conditions.filter((c) => c.type === type);
  expect(matching, `exactly one ${type} condition`).toHaveLength(1);
  return matching[0] as Condition;
}

/** Asserts the item is accepted with a spec and returns the spec. */
export function acceptedSpec<K extends IrKind>(item: IrItem<K>): NonNullable<IrItem<K>['spec']> {
  const accepted = conditionOf(item, 'Accepted');
  expect(accepted.status, accepted.message).toBe('True');
  expect(item.spec).not.toBeNull();
  return item.spec as NonNullable<IrItem<K>['spec']>;
}

/** Asserts the item is rejected (Accepted=False, no spec) and returns the condition. */
export function rejection(item: IrItem<IrKind>): Condition {
  const accepted = conditionOf(item, 'Accepted');
  expect(accepted.status).toBe('False');
  expect(item.spec).toBeNull();
  return accepted;
}
