// The binary protobuf codec for Envoy xDS resources. Resources are proto3-JSON objects carrying
// their `@type`, with snake_case (proto) field names as in Envoy's own YAML; the codec turns them
// into protobuf bytes and DiscoveryResponses, and back. JSON output uses proto field names, puts
// `@type` first, writes enums by name, int64 as strings, Durations as "5s", and omits fields left
// at their default value (so `canonicalJson` is the form two equal resources share).

import {
  create,
  type DescMessage,
  fromBinary,
  fromJson,
  type JsonValue,
  type Message,
  toBinary,
  toJson,
} from '@bufbuild/protobuf';
import { CodecError } from '../errors.ts';
import type { Json, JsonObject } from '../xds/types.ts';
import { jsonErrorPath } from './json-error-path.ts';
import { codecRegistry, messageSchema, schemaForTypeUrl } from './registry.ts';

export type { CodecLoadStats } from './registry.ts';
export { codecLoadStats, codecRegistry, messageSchema, schemaForTypeUrl } from './registry.ts';

export const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** Full names of the xDS transport messages, for `messageSchema`. */
export const DiscoveryMessage = {
  DiscoveryRequest: 'envoy.service.discovery.v3.DiscoveryRequest',
  DiscoveryResponse: 'envoy.service.discovery.v3.DiscoveryResponse',
  DeltaDiscoveryRequest: 'envoy.service.discovery.v3.DeltaDiscoveryRequest',
  DeltaDiscoveryResponse: 'envoy.service.discovery.v3.DeltaDiscoveryResponse',
  Resource: 'envoy.service.discovery.v3.Resource',
} as const;

/** A resource packed as `google.protobuf.Any`. */
export interface AnyResource {
  typeUrl: string;
  value: Uint8Array;
}

/** An encode that failed on one field; `fieldPath` says where, e.g. `load_assignment.endpoints[0]`. */
export class CodecFieldError extends CodecError {
  constructor(
    message: string,
    readonly typeUrl: string,
    readonly fieldPath: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Encodes the message named by `resource['@type']` (the other keys are its proto3 JSON). */
export function encodeResource(resource: JsonObject): Uint8Array {
  const { schema, message } = parseResource(resource);
  return toBinary(schema, message);
}

/** Decodes protobuf bytes into proto3 JSON, `@type` first. */
export function decodeResource(typeUrl: string, bytes: Uint8Array): JsonObject {
  const schema = schemaForTypeUrl(typeUrl);
  let message: Message;
  try {
    message = fromBinary(schema, bytes);
  } catch (error) {
    throw new CodecError(`cannot decode ${typeUrl}: ${reason(error)}`, { cause: error });
  }
  return { '@type': typeUrl, ...messageToJson(schema, message, typeUrl) };
}

/** Packs a resource as `google.protobuf.Any`. */
export function toAny(resource: JsonObject): AnyResource {
  const { typeUrl, schema, message } = parseResource(resource);
  return { typeUrl, value: toBinary(schema, message) };
}

/** The canonical proto3 JSON of a resource: `decodeResource(encodeResource(resource))`. */
export function canonicalJson(resource: JsonObject): JsonObject {
  const { typeUrl, schema, message } = parseResource(resource);
  return { '@type': typeUrl, ...messageToJson(schema, message, typeUrl) };
}

export interface DiscoveryResponseInput {
  versionInfo: string;
  /** The type URL of every resource in the response. */
  typeUrl: string;
  /**
   * Resources as JSON with `@type`, or already packed with `toAny` (so that a relay encodes each
   * resource once and only re-wraps it per stream).
   */
  resources: ReadonlyArray<JsonObject | AnyResource>;
  nonce?: string;
  /** `control_plane.identifier`: which control plane produced the response. */
  controlPlane?: string;
}

export interface DecodedDiscoveryResponse {
  versionInfo: string;
  typeUrl: string;
  /** Proto3 JSON, `@type` first. */
  resources: JsonObject[];
  nonce: string;
  controlPlane?: string;
}

export function encodeDiscoveryResponse(input: DiscoveryResponseInput): Uint8Array {
  const schema = messageSchema(DiscoveryMessage.DiscoveryResponse);
  return toBinary(schema, discoveryResponseMessage(schema, input));
}

/**
 * The DiscoveryResponse as proto3 JSON, resources as Any with `@type`: the form Envoy reads from
 * path-based config sources. It carries the same content as `encodeDiscoveryResponse`.
 */
export function discoveryResponseJson(input: DiscoveryResponseInput): JsonObject {
  const schema = messageSchema(DiscoveryMessage.DiscoveryResponse);
  return messageToJson(schema, discoveryResponseMessage(schema, input), schema.typeName);
}

export function decodeDiscoveryResponse(bytes: Uint8Array): DecodedDiscoveryResponse {
  const schema = messageSchema(DiscoveryMessage.DiscoveryResponse);
  let message: Message;
  try {
    message = fromBinary(schema, bytes);
  } catch (error) {
    throw new CodecError(`cannot decode ${schema.typeName}: ${reason(error)}`, { cause: error });
  }
  const json = messageToJson(schema, message, schema.typeName);
  const controlPlane = json.control_plane;
  const identifier = isObject(controlPlane) ? controlPlane.identifier : undefined;
  return {
    versionInfo: typeof json.version_info === 'string' ? json.version_info : '',
    typeUrl: typeof json.type_url === 'string' ? json.type_url : '',
    resources: Array.isArray(json.resources) ? json.resources.filter(isObject) : [],
    nonce: typeof json.nonce === 'string' ? json.nonce : '',
    ...(typeof identifier === 'string' ? { controlPlane: identifier } : {}),
  };
}

function discoveryResponseMessage(schema: DescMessage, input: DiscoveryResponseInput): Message {
  const anySchema = messageSchema('google.protobuf.Any');
  const resources = input.resources.map((resource) => {
    const any = isAnyResource(resource) ? resource : toAny(resource);
    // A response carries one type; Resource wrappers (for TTLs) are the one allowed exception.
    if (any.typeUrl !== input.typeUrl && any.typeUrl !== TYPE_URL_PREFIX + DiscoveryMessage.Resource) {
      throw new CodecError(`resource of type ${any.typeUrl} in a DiscoveryResponse for ${input.typeUrl}`);
    }
    return create(anySchema, { typeUrl: any.typeUrl, value: any.value });
  });
  return create(schema, {
    versionInfo: input.versionInfo,
    typeUrl: input.typeUrl,
    resources,
    nonce: input.nonce ?? '',
    ...(input.controlPlane === undefined ? {} : { controlPlane: { identifier: input.controlPlane } }),
  });
}

function parseResource(resource: JsonObject): { typeUrl: string; schema: DescMessage; message: Message } {
  const { '@type': typeUrl, ...fields } = resource;
  if (typeof typeUrl !== 'string') {
    throw new CodecError('cannot encode a resource without a string "@type"');
  }
  const schema = schemaForTypeUrl(typeUrl);
  const registry = codecRegistry();
  try {
    return { typeUrl, schema, message: fromJson(schema, sortKeys(fields), { registry }) };
  } catch (error) {
    const path = jsonErrorPath(schema, fields, registry);
    throw new CodecFieldError(
      `cannot encode ${typeUrl}${path ? ` at ${path}` : ''}: ${reason(error)}`,
      typeUrl,
      path,
      { cause: error },
    );
  }
}

function messageToJson(schema: DescMessage, message: Message, what: string): JsonObject {
  let json: JsonValue;
  try {
    json = toJson(schema, message, { registry: codecRegistry(), useProtoFieldName: true });
  } catch (error) {
    throw new CodecError(`cannot write ${what} as JSON: ${reason(error)}`, { cause: error });
  }
  const ordered = typeFirst(json);
  return isObject(ordered) ? ordered : {};
}

/**
 * Map entries (and Struct fields) are written in the order their keys arrive; sorting them makes
 * the bytes a function of the content alone, so snapshot hashes only change when content does.
 */
function sortKeys(json: Json): Json {
  if (Array.isArray(json)) return json.map(sortKeys);
  if (!isObject(json)) return json;
  const out: JsonObject = {};
  for (const key of Object.keys(json).sort()) out[key] = sortKeys(json[key] ?? null);
  return out;
}

/** @bufbuild writes an Any's `@type` last; Envoy's tooling and people read it first. */
function typeFirst(json: Json): Json {
  if (Array.isArray(json)) return json.map(typeFirst);
  if (!isObject(json)) return json;
  const out: JsonObject = {};
  if ('@type' in json && json['@type'] !== undefined) out['@type'] = json['@type'];
  for (const [key, value] of Object.entries(json)) if (key !== '@type') out[key] = typeFirst(value);
  return out;
}

function isObject(json: Json | undefined): json is JsonObject {
  return typeof json === 'object' && json !== null && !Array.isArray(json);
}

function isAnyResource(resource: JsonObject | AnyResource): resource is AnyResource {
  return resource.value instanceof Uint8Array && typeof resource.typeUrl === 'string';
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
