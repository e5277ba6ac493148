// Finds where in a proto3-JSON value a decode failed, as a field path such as
// `filter_chains[0].filters[0].typed_config.http_filters[1].name`. @bufbuild/protobuf names the
// message or field that failed, but not where it sits; this runs only after a failure.

import {
  type DescField,
  type DescMessage,
  fromJson,
  type JsonValue,
  type Registry,
} from '@bufbuild/protobuf';

type JsonMap = { [key: string]: JsonValue };

/** The path of the first field that does not decode, or undefined when none can be singled out. */
export function jsonErrorPath(schema: DescMessage, json: JsonValue, registry: Registry): string | undefined {
  return walkMessage(schema, json, '', registry);
}

function walkMessage(
  desc: DescMessage,
  json: JsonValue,
  path: string,
  registry: Registry,
): string | undefined {
  if (desc.typeName === 'google.protobuf.Any') return walkAny(json, path, registry);
  if (!isMap(json)) return path || '(root)';
  const oneofSetBy = new Map<string, string>();
  for (const [key, value] of Object.entries(json)) {
    const here = path ? `${path}.${key}` : key;
    const field = desc.fields.find((f) => f.name === key || f.jsonName === key);
    if (!field) return here;
    if (field.oneof && value !== null) {
      if (oneofSetBy.has(field.oneof.name)) return here;
      oneofSetBy.set(field.oneof.name, key);
    }
    const inner = walkField(desc, field, key, value, here, registry);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

function walkField(
  desc: DescMessage,
  field: DescField,
  key: string,
  value: JsonValue,
  here: string,
  registry: Registry,
): string | undefined {
  if (field.fieldKind === 'message' && descendable(field.message) && value !== null) {
    return walkMessage(field.message, value, here, registry);
  }
  if (field.fieldKind === 'list' && field.listKind === 'message' && descendable(field.message)) {
    if (!Array.isArray(value)) return here;
    for (const [i, item] of value.entries()) {
      const inner = walkMessage(field.message, item, `${here}[${i}]`, registry);
      if (inner !== undefined) return inner;
    }
    return undefined;
  }
  if (field.fieldKind === 'map' && field.mapKind === 'message' && descendable(field.message)) {
    if (!isMap(value)) return here;
    for (const [mapKey, item] of Object.entries(value)) {
      const inner = walkMessage(field.message, item, `${here}[${JSON.stringify(mapKey)}]`, registry);
      if (inner !== undefined) return inner;
    }
    return undefined;
  }
  // A leaf (scalar, enum, well-known type): decode this one key on its own.
  try {
    fromJson(desc, { [key]: value }, { registry });
    return undefined;
  } catch {
    return here;
  }
}

function walkAny(json: JsonValue, path: string, registry: Registry): string | undefined {
  const typePath = path ? `${path}.@type` : '@type';
  if (!isMap(json)) return path || '(root)';
  const typeUrl = json['@type'];
  if (typeof typeUrl !== 'string') return typePath;
  const inner = registry.getMessage(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
  if (!inner) return typePath;
  const { '@type': _typeUrl, ...fields } = json;
  if (!descendable(inner)) {
    try {
      fromJson(inner, fields.value ?? null, { registry });
      return undefined;
    } catch {
      return path ? `${path}.value` : 'value';
    }
  }
  return walkMessage(inner, fields, path, registry);
}

/** Well-known types have their own JSON forms (strings, numbers, free objects): leaves here. */
function descendable(desc: DescMessage): boolean {
  return !desc.typeName.startsWith('google.protobuf.') || desc.typeName === 'google.protobuf.Any';
}

function isMap(json: JsonValue): json is JsonMap {
  return typeof json === 'object' && json !== null && !Array.isArray(json);
}
