// The xDS transport messages the relay reads and writes, as plain shapes over the codec's message
// schemas. Requests are decoded per message. Responses are never encoded per stream: they are
// assembled from bytes encoded once per snapshot version (served-snapshot.ts) plus a per-stream
// nonce, because protobuf lets a message be written as the concatenation of its fields.

import { create, type DescMessage, fromBinary, type Message, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { type AnyResource, DiscoveryMessage, messageSchema } from '../../../shared/codec/index.ts';
import { CodecError } from '../../../shared/errors.ts';

export interface NodeInfo {
  id: string;
  cluster: string;
  userAgent: string;
}

export interface ErrorDetail {
  code: number;
  message: string;
}

/** A state-of-the-world `DiscoveryRequest`. */
export interface SotwRequest {
  node?: NodeInfo;
  typeUrl: string;
  versionInfo: string;
  resourceNames: string[];
  responseNonce: string;
  errorDetail?: ErrorDetail;
}

/** An incremental `DeltaDiscoveryRequest`. */
export interface DeltaRequest {
  node?: NodeInfo;
  typeUrl: string;
  subscribe: string[];
  unsubscribe: string[];
  initialResourceVersions: Record<string, string>;
  responseNonce: string;
  errorDetail?: ErrorDetail;
}

export interface SotwResponse {
  versionInfo: string;
  typeUrl: string;
  nonce: string;
  resources: AnyResource[];
  controlPlane?: string;
}

export interface DeltaResponse {
  systemVersionInfo: string;
  typeUrl: string;
  nonce: string;
  resources: Array<{ name: string; version: string; resource?: AnyResource }>;
  removedResources: string[];
}

// Generic messages from the registry carry their fields under these local names.
interface NodeMessage {
  id: string;
  cluster: string;
  userAgentName: string;
}
interface StatusMessage {
  code: number;
  message: string;
}
interface AnyMessage {
  typeUrl: string;
  value: Uint8Array;
}
interface SotwRequestMessage {
  versionInfo: string;
  node?: NodeMessage;
  resourceNames: string[];
  typeUrl: string;
  responseNonce: string;
  errorDetail?: StatusMessage;
}
interface DeltaRequestMessage {
  node?: NodeMessage;
  typeUrl: string;
  resourceNamesSubscribe: string[];
  resourceNamesUnsubscribe: string[];
  initialResourceVersions: Record<string, string>;
  responseNonce: string;
  errorDetail?: StatusMessage;
}
interface SotwResponseMessage {
  versionInfo: string;
  resources: AnyMessage[];
  typeUrl: string;
  nonce: string;
  controlPlane?: { identifier: string };
}
interface DeltaResponseMessage {
  systemVersionInfo: string;
  resources: Array<{ name: string; version: string; resource?: AnyMessage }>;
  typeUrl: string;
  removedResources: string[];
  nonce: string;
}

export const schemas = {
  get sotwRequest(): DescMessage {
    return messageSchema(DiscoveryMessage.DiscoveryRequest);
  },
  get sotwResponse(): DescMessage {
    return messageSchema(DiscoveryMessage.DiscoveryResponse);
  },
  get deltaRequest(): DescMessage {
    return messageSchema(DiscoveryMessage.DeltaDiscoveryRequest);
  },
  get deltaResponse(): DescMessage {
    return messageSchema(DiscoveryMessage.DeltaDiscoveryResponse);
  },
  get resource(): DescMessage {
    return messageSchema(DiscoveryMessage.Resource);
  },
  get any(): DescMessage {
    return messageSchema('google.protobuf.Any');
  },
};

function decode<T>(schema: DescMessage, bytes: Uint8Array): T {
  try {
    return fromBinary(schema, bytes) as unknown as T;
  } catch (error) {
    throw new CodecError(`cannot decode ${schema.typeName}: ${(error as Error).message}`, { cause: error });
  }
}

function encode(schema: DescMessage, init: object): Uint8Array {
  return toBinary(schema, create(schema, init as never) as Message);
}

function node(m: NodeMessage | undefined): NodeInfo | undefined {
  return m ? { id: m.id, cluster: m.cluster, userAgent: m.userAgentName } : undefined;
}

function errorDetail(m: StatusMessage | undefined): ErrorDetail | undefined {
  return m ? { code: m.code, message: m.message } : undefined;
}

export function decodeSotwRequest(bytes: Uint8Array): SotwRequest {
  const m = decode<SotwRequestMessage>(schemas.sotwRequest, bytes);
  const out: SotwRequest = {
    typeUrl: m.typeUrl,
    versionInfo: m.versionInfo,
    resourceNames: m.resourceNames,
    responseNonce: m.responseNonce,
  };
  const n = node(m.node);
  if (n) out.node = n;
  const e = errorDetail(m.errorDetail);
  if (e) out.errorDetail = e;
  return out;
}

export function decodeDeltaRequest(bytes: Uint8Array): DeltaRequest {
  const m = decode<DeltaRequestMessage>(schemas.deltaRequest, bytes);
  const out: DeltaRequest = {
    typeUrl: m.typeUrl,
    subscribe: m.resourceNamesSubscribe,
    unsubscribe: m.resourceNamesUnsubscribe,
    initialResourceVersions: { ...m.initialResourceVersions },
    responseNonce: m.responseNonce,
  };
  const n = node(m.node);
  if (n) out.node = n;
  const e = errorDetail(m.errorDetail);
  if (e) out.errorDetail = e;
  return out;
}

/** For clients of the relay (tests, a parent-relay source). */
export function encodeSotwRequest(request: SotwRequest): Uint8Array {
  return encode(schemas.sotwRequest, {
    versionInfo: request.versionInfo,
    typeUrl: request.typeUrl,
    resourceNames: request.resourceNames,
    responseNonce: request.responseNonce,
    ...(request.node ? { node: nodeInit(request.node) } : {}),
    ...(request.errorDetail ? { errorDetail: request.errorDetail } : {}),
  });
}

export function encodeDeltaRequest(request: DeltaRequest): Uint8Array {
  return encode(schemas.deltaRequest, {
    typeUrl: request.typeUrl,
    resourceNamesSubscribe: request.subscribe,
    resourceNamesUnsubscribe: request.unsubscribe,
    initialResourceVersions: request.initialResourceVersions,
    responseNonce: request.responseNonce,
    ...(request.node ? { node: nodeInit(request.node) } : {}),
    ...(request.errorDetail ? { errorDetail: request.errorDetail } : {}),
  });
}

function nodeInit(n: NodeInfo) {
  return { id: n.id, cluster: n.cluster, userAgentName: n.userAgent };
}

/** A DiscoveryResponse with its resources left packed (no per-resource decode). */
export function decodeSotwResponse(bytes: Uint8Array): SotwResponse {
  const m = decode<SotwResponseMessage>(schemas.sotwResponse, bytes);
  const out: SotwResponse = {
    versionInfo: m.versionInfo,
    typeUrl: m.typeUrl,
    nonce: m.nonce,
    resources: m.resources.map((r) => ({ typeUrl: r.typeUrl, value: r.value })),
  };
  if (m.controlPlane?.identifier) out.controlPlane = m.controlPlane.identifier;
  return out;
}

export function decodeDeltaResponse(bytes: Uint8Array): DeltaResponse {
  const m = decode<DeltaResponseMessage>(schemas.deltaResponse, bytes);
  return {
    systemVersionInfo: m.systemVersionInfo,
    typeUrl: m.typeUrl,
    nonce: m.nonce,
    resources: m.resources.map((r) => ({
      name: r.name,
      version: r.version,
      ...(r.resource ? { resource: { typeUrl: r.resource.typeUrl, value: r.resource.value } } : {}),
    })),
    removedResources: m.removedResources,
  };
}

/** The fixed part of a SotW response for one type and version: version_info, type_url, control_plane. */
export function sotwHeader(versionInfo: string, typeUrl: string, controlPlane?: string): Uint8Array {
  return encode(schemas.sotwResponse, {
    versionInfo,
    typeUrl,
    ...(controlPlane ? { controlPlane: { identifier: controlPlane } } : {}),
  });
}

/** The fixed part of a Delta response: system_version_info, type_url, control_plane. */
export function deltaHeader(systemVersionInfo: string, typeUrl: string, controlPlane?: string): Uint8Array {
  return encode(schemas.deltaResponse, {
    systemVersionInfo,
    typeUrl,
    ...(controlPlane ? { controlPlane: { identifier: controlPlane } } : {}),
  });
}

/** One `resources` entry of a SotW response: the packed resource as a field of the response. */
export function sotwResourceEntry(any: AnyResource): Uint8Array {
  const bytes = encode(schemas.any, { typeUrl: any.typeUrl, value: any.value });
  return lengthDelimited(fieldNumber(schemas.sotwResponse, 'resources'), bytes);
}

/** One `resources` entry of a Delta response: a Resource (name, version, Any) as a field. */
export function deltaResourceEntry(name: string, version: string, any: AnyResource): Uint8Array {
  const bytes = encode(schemas.resource, {
    name,
    version,
    resource: { typeUrl: any.typeUrl, value: any.value },
  });
  return lengthDelimited(fieldNumber(schemas.deltaResponse, 'resources'), bytes);
}

export function sotwNonceField(nonce: string): Uint8Array {
  return stringField(fieldNumber(schemas.sotwResponse, 'nonce'), nonce);
}

export function deltaNonceField(nonce: string): Uint8Array {
  return stringField(fieldNumber(schemas.deltaResponse, 'nonce'), nonce);
}

export function deltaRemovedField(name: string): Uint8Array {
  return stringField(fieldNumber(schemas.deltaResponse, 'removedResources'), name);
}

/** Joins encoded fields into one message (a Buffer, which is what gRPC writes). */
export function joinFields(parts: readonly Uint8Array[]): Buffer {
  return Buffer.concat(parts as Uint8Array[]);
}

const fieldNumbers = new Map<string, number>();

function fieldNumber(schema: DescMessage, localName: string): number {
  const key = `${schema.typeName}.${localName}`;
  let number = fieldNumbers.get(key);
  if (number === undefined) {
    const field = schema.fields.find((f) => f.localName === localName);
    if (!field) throw new CodecError(`${schema.typeName} has no field ${localName}`);
    number = field.number;
    fieldNumbers.set(key, number);
  }
  return number;
}

function lengthDelimited(field: number, bytes: Uint8Array): Uint8Array {
  return new BinaryWriter().tag(field, WireType.LengthDelimited).bytes(bytes).finish();
}

function stringField(field: number, value: string): Uint8Array {
  return new BinaryWriter().tag(field, WireType.LengthDelimited).string(value).finish();
}
