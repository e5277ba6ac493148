// Test support for the backend translators: loads manifests from test/fixtures/backends, derives
// bad inputs from good ones, and reads the outcome (accepted spec or the one rejecting condition).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Condition, IrItem, IrKind, IrSpecByKind } from '../../../../shared/ir/types.ts';
import type { KubeObject, TranslateContext } from '../../../../shared/translate/common.ts';

const DIR = fileURLToPath(new URL('../../../fixtures/backends/', import.meta.url));

export const ctx: TranslateContext = { defaultNamespace: 'default' };

/** The document named `name` in a fixture file, as a fresh copy. */
export function fixture(file: string, name: string): KubeObject {
  const docs = parseAllDocuments(readFileSync(`${DIR}${file}`, 'utf8'));
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    const obj = doc.toJS() as KubeObject | null;
    if (obj?.metadata?.name === name) return obj;
  }
  throw new Error(`no object named ${name} in ${file}`);
}

/**
 * A copy of `obj` with fields replaced (`undefined` removes one). Paths are dotted with `[i]`
 * indexes, as in field errors: `spec.static.hosts[0].port`.
 */
export function patch(obj: KubeObject, changes: Record<string, unknown>): KubeObject {
  const copy = structuredClone(obj);
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== '');
    let node = copy as unknown as Record<string, unknown>;
    keys.slice(0, -1).forEach((key) => {
      node[key] ??= {};
      node = node[key] as Record<string, unknown>;
    });
    const last = keys[keys.length - 1] as string;
    if (value === undefined) delete node[last];
    else node[last] = value;
  }
  return copy;
}

/** Asserts the item was accepted and returns its spec. */
export function accepted<K extends IrKind>(item: IrItem<K>): IrSpecByKind[K] {
  expect(item.conditions.map((c) => `${c.type}=${c.status}: ${c.message}`)).toEqual([
    'Accepted=True: Resource is valid',
  ]);
  expect(item.spec).not.toBeNull();
  return item.spec as IrSpecByKind[K];
}

/** Asserts the item was rejected with exactly one Accepted=False condition and returns it. */
export function rejected<K extends IrKind>(item: IrItem<K>): Condition {
  expect(item.spec).toBeNull();
  expect(item.conditions).toHaveLength(1);
  const [condition] = item.conditions as [Condition];
  expect(condition.type).toBe('Accepted');
  expect(condition.status).toBe('False');
  return condition;
}

/** The condition names the resource, the field (`field: ...`), the reason, and optionally says `text`. */
export function expectProblem(
  condition: Condition,
  want: { resource: string; field: string; reason?: string; text?: RegExp | string },
): void {
  expect(condition.message.startsWith(`${want.resource}: `)).toBe(true);
  expect(condition.message).toContain(`${want.field}: `);
  expect(condition.reason).toBe(want.reason ?? 'Invalid');
  if (want.text !== undefined) {
    const detail = condition.message.slice(condition.message.indexOf(`${want.field}: `));
    if (typeof want.text === 'string') expect(detail).toContain(want.text);
    else expect(detail).toMatch(want.text);
  }
}
