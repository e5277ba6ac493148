// The in-process type registry behind the codec: built once, on first use, from the cached or
// freshly parsed descriptors, then shared by every encode and decode.

import { createFileRegistry, type DescMessage, type FileRegistry } from '@bufbuild/protobuf';
import { CodecError } from '../errors.ts';
import { loadDescriptorSet } from './descriptor-cache.ts';

export interface CodecLoadStats {
  /** Where the descriptors came from. */
  source: 'bundled' | 'cache' | 'parsed';
  /** Wall time of the first load, descriptors and registry together. */
  millis: number;
  files: number;
}

let loaded: { registry: FileRegistry; stats: CodecLoadStats } | undefined;

/** The registry of every message the codec knows, for Any resolution and for the relay. */
export function codecRegistry(): FileRegistry {
  return load().registry;
}

/** How the registry was loaded (for startup metrics). Loads it if needed. */
export function codecLoadStats(): CodecLoadStats {
  return load().stats;
}

/** The schema of a message by full name, e.g. `envoy.service.discovery.v3.DiscoveryRequest`. */
export function messageSchema(fullName: string): DescMessage {
  const schema = codecRegistry().getMessage(fullName);
  if (!schema) {
    throw new CodecError(
      `unknown message ${fullName}: add its .proto to rootProtoFiles in shared/codec/proto-sources.ts`,
    );
  }
  return schema;
}

/** The schema named by a type URL such as `type.googleapis.com/envoy.config.cluster.v3.Cluster`. */
export function schemaForTypeUrl(typeUrl: string): DescMessage {
  const slash = typeUrl.lastIndexOf('/');
  const fullName = typeUrl.slice(slash + 1);
  const schema = slash > 0 && fullName ? codecRegistry().getMessage(fullName) : undefined;
  if (!schema) {
    throw new CodecError(
      `unknown type URL "${typeUrl}": not a message the codec loads ` +
        '(add its .proto to rootProtoFiles in shared/codec/proto-sources.ts)',
    );
  }
  return schema;
}

function load(): { registry: FileRegistry; stats: CodecLoadStats } {
  if (loaded) return loaded;
  const start = performance.now();
  const { set, source } = loadDescriptorSet();
  let registry: FileRegistry;
  try {
    registry = createFileRegistry(set);
  } catch (error) {
    throw new CodecError(`cannot build the type registry: ${(error as Error).message}`, { cause: error });
  }
  loaded = { registry, stats: { source, millis: performance.now() - start, files: set.file.length } };
  return loaded;
}
