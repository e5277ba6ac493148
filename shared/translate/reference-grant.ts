// ReferenceGrant → IR: which kinds in which namespaces may refer to which objects in the grant's
// namespace. Entries carry no order, so they are sorted and de-duplicated.

import type { ReferenceGrantIR } from '../ir/types.ts';
import { GATEWAY_API_GROUP, GATEWAY_API_VERSIONS, referenceGrantSpec } from '../resources/gateway-api.ts';
import { makeIrItem, type ResourceTranslator, validateSpec } from './common.ts';

export const translateReferenceGrant: ResourceTranslator<'ReferenceGrant'> = (obj, ctx) => {
  const parsed = validateSpec(
    obj,
    { group: GATEWAY_API_GROUP, versions: GATEWAY_API_VERSIONS.ReferenceGrant },
    referenceGrantSpec,
  );
  if (!parsed.valid) return makeIrItem('ReferenceGrant', obj, ctx, parsed);

  const from: ReferenceGrantIR['from'] = parsed.result.from.map((f) => ({
    group: f.group,
    kind: f.kind,
    namespace: f.namespace,
  }));
  const to: ReferenceGrantIR['to'] = parsed.result.to.map((t) =>
    t.name === undefined ? { group: t.group, kind: t.kind } : { group: t.group, kind: t.kind, name: t.name },
  );
  return makeIrItem('ReferenceGrant', obj, ctx, {
    valid: true,
    result: { from: sortedUnique(from), to: sortedUnique(to) },
  });
};

function sortedUnique<T>(items: T[]): T[] {
  const byKey = new Map(items.map((item) => [JSON.stringify(item), item]));
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, item]) => item);
}
