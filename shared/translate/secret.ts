// Secret → IR: the type and the key names. Values are never read into the IR or into a message:
// Secrets reach proxies through SDS by name only.

import { Reason } from '../ir/types.ts';
import { apiVersionProblem, dropNulls } from '../resources/common.ts';
import { REQUIRED_SECRET_KEYS, secretSchema } from '../resources/core.ts';
import { type FieldError, makeIrItem, type ResourceTranslator, validateSchema } from './common.ts';

export const translateSecret: ResourceTranslator<'Secret'> = (obj, ctx) => {
  const version = apiVersionProblem(obj.apiVersion, '', ['v1']);
  if (version)
    return makeIrItem('Secret', obj, ctx, {
      valid: false,
      errors: [{ field: 'apiVersion', message: version, reason: Reason.UnsupportedValue }],
    });
  const body = { type: obj.type, data: obj.data, stringData: obj.stringData, immutable: obj.immutable };
  const parsed = validateSchema(secretSchema, dropNulls(body));
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
