// Sample xDS resources for the codec tests, stored as JSON under ./fixtures/.

import { readFileSync } from 'node:fs';
import type { JsonObject } from '../../../shared/xds/types.ts';

export const fixtureNames = [
  'listener',
  'route-configuration',
  'lambda-cluster',
  'dynamic-forward-proxy-cluster',
  'cluster-load-assignment',
  'secret',
] as const;

export type FixtureName = (typeof fixtureNames)[number];

/** A fresh copy of a fixture, safe to mutate. */
export function fixture(name: FixtureName): JsonObject {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as JsonObject;
}

/** Follows a path of keys and indexes into a JSON value; throws if it leads nowhere. */
export function at(json: unknown, ...path: Array<string | number>): JsonObject {
  let node = json;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) throw new Error(`no ${String(key)} in fixture`);
    node = (node as Record<string | number, unknown>)[key];
  }
  if (typeof node !== 'object' || node === null || Array.isArray(node)) {
    throw new Error(`${path.join('.')} is not an object in the fixture`);
  }
  return node as JsonObject;
}
