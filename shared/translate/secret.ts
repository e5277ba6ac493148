// Secret → IR: the type and the key names. Values are never read into the IR or into a message:
// Secrets reach proxies through SDS by name only.

import { REQUIRED_SECRET_KEYS, secretSchema } from '../resources/core.ts';
import { type FieldError, makeIrItem, type ResourceTranslator, validateSpec } from './common.ts';

export const translateSecret: ResourceTranslator<'Secret'> = (obj, ctx) => {
  const body = { type: obj.type, data: obj.data, stringData: obj.stringData, immutable: obj.immutable };
  const parsed = validateSpec(obj, { group: '', versions: ['v1'] }, secretSchema, body, '');
  if (!parsed.valid) return makeIrItem('Secret', obj, ctx, parsed);

  const type = parsed.result.type ?? 'Opaque';
  const keys = [
    ...new Set([...Object.keys(parsed.result.data ?? {}), ...Object.keys(parsed.result.stringData ?? {})]),
  ].sort();
  const errors: FieldError[] = (REQUIRED_SECRET_KEYS[type] ?? [])
    .filter((key) => !keys.includes(key))
    .map((key) => ({
      field: `data[${JSON.stringify(key)}]`,
      message: `is required for a Secret of type ${type}`,
    }));
  if (errors.length > 0) return makeIrItem('Secret', obj, ctx, { valid: false, errors });
  return makeIrItem('Secret', obj, ctx, { valid: true, result: { type, keys } });
};
