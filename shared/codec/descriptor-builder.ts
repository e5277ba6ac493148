// Turns .proto sources into a FileDescriptorSet for @bufbuild/protobuf: protobufjs parses the
// files, and this module writes one FileDescriptorProto per source file, the way protoc would
// (fully qualified type names, json_name, map entry types, proto3 optional as synthetic oneofs,
// real imports as dependencies). protobufjs's own descriptor export is not used: it merges files by
// package, drops imports and json_name, and writes relative type names, none of which the
// @bufbuild registry accepts. Custom options are not carried: encoding does not need them.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import {
  type DescriptorProto,
  DescriptorProtoSchema,
  type EnumDescriptorProto,
  EnumDescriptorProtoSchema,
  type FieldDescriptorProto,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldDescriptorProtoSchema,
  FieldOptionsSchema,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  type FileDescriptorSet,
  FileDescriptorSetSchema,
  file_google_protobuf_any,
  file_google_protobuf_descriptor,
  file_google_protobuf_duration,
  file_google_protobuf_empty,
  file_google_protobuf_field_mask,
  file_google_protobuf_struct,
  file_google_protobuf_timestamp,
  file_google_protobuf_wrappers,
  type ServiceDescriptorProto,
  ServiceDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt';
import protobuf from 'protobufjs';
import { CodecError } from '../errors.ts';

export interface DescriptorSources {
  /** Files to load; their transitive imports come along. Paths relative to an include dir. */
  roots: readonly string[];
  /** Import search path, first match wins. */
  includeDirs: readonly string[];
  /** Folder of `*.patch.proto` files whose fields are appended to upstream messages. */
  patchDir?: string;
  /** Imports to leave out (option-only files). */
  skipImport?: (importPath: string) => boolean;
}

interface ParsedFile {
  name: string;
  /** The path protobufjs stamps on reflection objects parsed from this file. */
  origin: string;
  syntax: 'proto2' | 'proto3';
  package: string;
  dependencies: string[];
}

// Well-known types come from @bufbuild/protobuf, which embeds protoc's own descriptors for them.
const WELL_KNOWN_FILES: ReadonlyMap<string, FileDescriptorProto> = new Map(
  [
    file_google_protobuf_any,
    file_google_protobuf_descriptor,
    file_google_protobuf_duration,
    file_google_protobuf_empty,
    file_google_protobuf_field_mask,
    file_google_protobuf_struct,
    file_google_protobuf_timestamp,
    file_google_protobuf_wrappers,
  ].map((file) => [file.proto.name, file.proto]),
);

const SCALAR_TYPES: Readonly<Record<string, FieldDescriptorProto_Type>> = {
  double: FieldDescriptorProto_Type.DOUBLE,
  float: FieldDescriptorProto_Type.FLOAT,
  int64: FieldDescriptorProto_Type.INT64,
  uint64: FieldDescriptorProto_Type.UINT64,
  int32: FieldDescriptorProto_Type.INT32,
  fixed64: FieldDescriptorProto_Type.FIXED64,
  fixed32: FieldDescriptorProto_Type.FIXED32,
  bool: FieldDescriptorProto_Type.BOOL,
  string: FieldDescriptorProto_Type.STRING,
  bytes: FieldDescriptorProto_Type.BYTES,
  uint32: FieldDescriptorProto_Type.UINT32,
  sfixed32: FieldDescriptorProto_Type.SFIXED32,
  sfixed64: FieldDescriptorProto_Type.SFIXED64,
  sint32: FieldDescriptorProto_Type.SINT32,
  sint64: FieldDescriptorProto_Type.SINT64,
};

const PARSE_OPTIONS: protobuf.IParseOptions = { keepCase: true };

/** Parses the sources and returns their FileDescriptorSet, dependencies before dependents. */
export function buildDescriptorSet(sources: DescriptorSources): FileDescriptorSet {
  const root = new protobuf.Root();
  const files = new Map<string, ParsedFile | 'well-known'>();
  const skip = sources.skipImport ?? (() => false);

  const load = (name: string): void => {
    if (files.has(name)) return;
    const wellKnown = WELL_KNOWN_FILES.get(name);
    if (wellKnown) {
      files.set(name, 'well-known');
      // protobufjs needs the types too, to resolve field types that refer to them.
      const bundled = protobuf.common.get(name);
      if (bundled?.nested) root.addJSON(bundled.nested);
      return;
    }
    const path = resolveImport(name, sources.includeDirs);
    const source = readFileSync(path, 'utf8');
    const parsed = parseInto(root, source, path);
    const dependencies = importsOf(parsed).filter((dep) => !skip(dep));
    files.set(name, {
      name,
      origin: path,
      syntax: syntaxOf(source, name),
      package: parsed.package ?? '',
      dependencies,
    });
    for (const dep of dependencies) load(dep);
  };

  for (const name of sources.roots) load(name);
  if (sources.patchDir) applyPatches(root, sources.patchDir, files, load);

  try {
    root.resolveAll();
  } catch (error) {
    throw new CodecError(`cannot resolve the proto types: ${(error as Error).message}`, { cause: error });
  }

  const byOrigin = topLevelObjectsByOrigin(root);
  const ordered: FileDescriptorProto[] = [];
  const done = new Set<string>();
  const visit = (name: string): void => {
    if (done.has(name)) return;
    done.add(name);
    const file = files.get(name);
    if (file === undefined) throw new CodecError(`proto file ${name} was never loaded`);
    if (file === 'well-known') {
      const proto = WELL_KNOWN_FILES.get(name);
      if (proto) ordered.push(proto);
      return;
    }
    for (const dep of file.dependencies) visit(dep);
    ordered.push(fileProto(file, byOrigin.get(file.origin) ?? []));
  };
  for (const name of sources.roots) visit(name);
  for (const name of [...files.keys()].sort()) visit(name);
  return create(FileDescriptorSetSchema, { file: ordered });
}

function resolveImport(name: string, includeDirs: readonly string[]): string {
  for (const dir of includeDirs) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  throw new CodecError(`proto file ${name} not found in ${includeDirs.join(', ')}`);
}

function parseInto(root: protobuf.Root, source: string, origin: string): protobuf.IParserResult {
  // protobufjs stamps every reflection object with this module-level name while parsing; it is how
  // the types are later grouped back into their files.
  (protobuf.parse as unknown as { filename: string | null }).filename = origin;
  try {
    return protobuf.parse(source, root, PARSE_OPTIONS);
  } catch (error) {
    throw new CodecError(`cannot parse ${origin}: ${(error as Error).message}`, { cause: error });
  }
}

function importsOf(parsed: protobuf.IParserResult): string[] {
  return [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])];
}

function syntaxOf(source: string, name: string): 'proto2' | 'proto3' {
  if (/^\s*edition\s*=/m.test(source)) throw new CodecError(`${name}: protobuf editions are not supported`);
  return /^\s*syntax\s*=\s*["']proto3["']/m.test(source) ? 'proto3' : 'proto2';
}

/**
 * Appends the fields declared in `*.patch.proto` files to the upstream messages of the same full
 * name, and adds the patch's imports to the patched file's dependencies. A patch may only add
 * fields: a clash with an upstream name or number fails, which is the signal that the package
 * caught up and the patch should go.
 */
function applyPatches(
  root: protobuf.Root,
  patchDir: string,
  files: Map<string, ParsedFile | 'well-known'>,
  load: (name: string) => void,
): void {
  const patchFiles = readdirSync(patchDir)
    .filter((f) => f.endsWith('.patch.proto'))
    .sort();
  for (const patchFile of patchFiles) {
    const path = join(patchDir, patchFile);
    const patchRoot = new protobuf.Root();
    const parsed = parseInto(patchRoot, readFileSync(path, 'utf8'), path);
    const imports = importsOf(parsed);
    for (const dep of imports) load(dep);
    for (const patch of typesIn(patchRoot)) {
      const target = root.lookup(patch.fullName);
      if (!(target instanceof protobuf.Type)) {
        throw new CodecError(`${patchFile}: message ${patch.fullName.slice(1)} is not in the loaded protos`);
      }
      patchMessage(patchFile, patch, target);
      const owner = [...files.values()].find((f) => f !== 'well-known' && f.origin === target.filename);
      if (owner && owner !== 'well-known') {
        for (const dep of imports) if (!owner.dependencies.includes(dep)) owner.dependencies.push(dep);
      }
    }
  }
}

function patchMessage(patchFile: string, patch: protobuf.Type, target: protobuf.Type): void {
  if (patch.nestedArray.length > 0 || patch.oneofsArray.length > 0) {
    throw new CodecError(`${patchFile}: a patch may only add plain fields to ${target.fullName.slice(1)}`);
  }
  for (const field of patch.fieldsArray) {
    const clash = target.fieldsArray.find((f) => f.name === field.name || f.id === field.id);
    if (clash) {
      throw new CodecError(
        `${patchFile}: ${target.fullName.slice(1)} already has field ${clash.name} = ${clash.id}; ` +
          'the upstream protos caught up, remove the patch',
      );
    }
    if (field instanceof protobuf.MapField) {
      throw new CodecError(`${patchFile}: map fields cannot be patched in (${field.name})`);
    }
    target.add(new protobuf.Field(field.name, field.id, field.type, field.repeated ? 'repeated' : undefined));
  }
}

/** Top-level messages of a root, skipping package namespaces. */
function typesIn(ns: protobuf.NamespaceBase): protobuf.Type[] {
  return ns.nestedArray.flatMap((nested) => {
    if (nested instanceof protobuf.Type) return [nested];
    if (nested instanceof protobuf.Namespace) return typesIn(nested);
    return [];
  });
}

type TopLevel = protobuf.Type | protobuf.Enum | protobuf.Service;

function topLevelObjectsByOrigin(root: protobuf.Root): Map<string, TopLevel[]> {
  const byOrigin = new Map<string, TopLevel[]>();
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const nested of ns.nestedArray) {
      if (
        nested instanceof protobuf.Type ||
        nested instanceof protobuf.Enum ||
        nested instanceof protobuf.Service
      ) {
        if (nested.filename === null) continue; // well-known types, emitted from @bufbuild
        const list = byOrigin.get(nested.filename) ?? [];
        list.push(nested);
        byOrigin.set(nested.filename, list);
      } else if (nested instanceof protobuf.Namespace) {
        walk(nested);
      }
    }
  };
  walk(root);
  return byOrigin;
}

function fileProto(file: ParsedFile, objects: TopLevel[]): FileDescriptorProto {
  return create(FileDescriptorProtoSchema, {
    name: file.name,
    package: file.package,
    dependency: file.dependencies,
    syntax: file.syntax,
    messageType: objects.filter((o) => o instanceof protobuf.Type).map(messageProto),
    enumType: objects.filter((o) => o instanceof protobuf.Enum).map(enumProto),
    service: objects.filter((o) => o instanceof protobuf.Service).map(serviceProto),
  });
}

function isSyntheticOneof(oneof: protobuf.OneOf): boolean {
  return oneof.fieldsArray.length === 1 && oneof.fieldsArray[0]?.options?.proto3_optional === true;
}

function messageProto(type: protobuf.Type): DescriptorProto {
  // protoc lists real oneofs first and the synthetic ones of proto3 `optional` fields after them.
  const oneofs = [
    ...type.oneofsArray.filter((o) => !isSyntheticOneof(o)),
    ...type.oneofsArray.filter(isSyntheticOneof),
  ];
  const mapEntries: DescriptorProto[] = [];
  const fields = type.fieldsArray.map((field) => {
    if (field instanceof protobuf.MapField) {
      const entry = mapEntryProto(field);
      mapEntries.push(entry);
      return create(FieldDescriptorProtoSchema, {
        name: field.name,
        number: field.id,
        label: FieldDescriptorProto_Label.REPEATED,
        type: FieldDescriptorProto_Type.MESSAGE,
        typeName: `${type.fullName}.${entry.name}`,
        jsonName: jsonName(field.name),
      });
    }
    return fieldProto(field, oneofs);
  });
  return create(DescriptorProtoSchema, {
    name: type.name,
    field: fields,
    oneofDecl: oneofs.map((o) => ({ name: o.name })),
    nestedType: [
      ...type.nestedArray.filter((n) => n instanceof protobuf.Type).map(messageProto),
      ...mapEntries,
    ],
    enumType: type.nestedArray.filter((n) => n instanceof protobuf.Enum).map(enumProto),
  });
}

function fieldProto(field: protobuf.Field, oneofs: protobuf.OneOf[]): FieldDescriptorProto {
  const proto = create(FieldDescriptorProtoSchema, {
    name: field.name,
    number: field.id,
    label: field.repeated
      ? FieldDescriptorProto_Label.REPEATED
      : field.required
        ? FieldDescriptorProto_Label.REQUIRED
        : FieldDescriptorProto_Label.OPTIONAL,
    jsonName: jsonName(field.name),
    ...typeOf(field),
  });
  if (field.partOf) proto.oneofIndex = oneofs.indexOf(field.partOf);
  if (field.options?.proto3_optional === true) proto.proto3Optional = true;
  if (typeof field.options?.packed === 'boolean') {
    proto.options = create(FieldOptionsSchema, { packed: field.options.packed });
  }
  return proto;
}

function typeOf(field: protobuf.FieldBase): Pick<FieldDescriptorProto, 'type'> & { typeName?: string } {
  const scalar = SCALAR_TYPES[field.type];
  if (scalar !== undefined) return { type: scalar };
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum)
    return { type: FieldDescriptorProto_Type.ENUM, typeName: resolved.fullName };
  if (resolved instanceof protobuf.Type) {
    // proto2 groups: protobufjs marks their types, but leaves the flag out of its typings.
    const group = (resolved as { group?: boolean }).group === true;
    return {
      type: group ? FieldDescriptorProto_Type.GROUP : FieldDescriptorProto_Type.MESSAGE,
      typeName: resolved.fullName,
    };
  }
  throw new CodecError(`field ${field.fullName.slice(1)}: unresolved type ${field.type}`);
}

function mapEntryProto(field: protobuf.MapField): DescriptorProto {
  const keyType = SCALAR_TYPES[field.keyType];
  if (keyType === undefined)
    throw new CodecError(`field ${field.fullName.slice(1)}: bad map key ${field.keyType}`);
  return create(DescriptorProtoSchema, {
    name: mapEntryName(field.name),
    field: [
      { name: 'key', number: 1, label: FieldDescriptorProto_Label.OPTIONAL, type: keyType, jsonName: 'key' },
      {
        name: 'value',
        number: 2,
        label: FieldDescriptorProto_Label.OPTIONAL,
        jsonName: 'value',
        ...typeOf(field),
      },
    ],
    options: { mapEntry: true },
  });
}

function enumProto(enm: protobuf.Enum): EnumDescriptorProto {
  return create(EnumDescriptorProtoSchema, {
    name: enm.name,
    value: Object.entries(enm.values).map(([name, number]) => ({ name, number })),
    ...(enm.options?.allow_alias === true ? { options: { allowAlias: true } } : {}),
  });
}

function serviceProto(service: protobuf.Service): ServiceDescriptorProto {
  return create(ServiceDescriptorProtoSchema, {
    name: service.name,
    method: service.methodsArray.map((method) => {
      method.resolve();
      const input = method.resolvedRequestType;
      const output = method.resolvedResponseType;
      if (!input || !output) throw new CodecError(`rpc ${method.fullName.slice(1)}: unresolved types`);
      return {
        name: method.name,
        inputType: input.fullName,
        outputType: output.fullName,
        clientStreaming: method.requestStream === true,
        serverStreaming: method.responseStream === true,
      };
    }),
  });
}

/** protoc's default json_name: drop each underscore and upper-case the letter after it. */
export function jsonName(fieldName: string): string {
  return camelCase(fieldName, false);
}

/** protoc's name for the synthetic message of a map field: `foo_bar` → `FooBarEntry`. */
export function mapEntryName(fieldName: string): string {
  return `${camelCase(fieldName, true)}Entry`;
}

function camelCase(name: string, upperFirst: boolean): string {
  let out = '';
  let upperNext = upperFirst;
  for (const char of name) {
    if (char === '_') {
      upperNext = true;
    } else if (upperNext) {
      out += char >= 'a' && char <= 'z' ? char.toUpperCase() : char;
      upperNext = false;
    } else {
      out += char;
    }
  }
  return out;
}
