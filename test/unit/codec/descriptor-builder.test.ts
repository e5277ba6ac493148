import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createFileRegistry, fromJson, toBinary, toJson } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { buildDescriptorSet, jsonName, mapEntryName } from '../../../shared/codec/descriptor-builder.ts';
import { loadDescriptorSet } from '../../../shared/codec/descriptor-cache.ts';
import { CodecError } from '../../../shared/errors.ts';

const SAMPLE = `
syntax = "proto3";
package fp.test.v1;
import "google/protobuf/duration.proto";
import "validate/validate.proto";
import "fp/test/v1/other.proto";

message Sample {
  message Inner {
    enum Kind { KIND_UNSET = 0; KIND_SET = 1; }
    string some_field = 1 [(validate.rules).string = {min_len: 1}];
  }
  map<string, Inner> things_by_name = 1;
  oneof choice {
    string label = 2;
    int64 count = 3;
  }
  optional uint32 maybe = 4;
  repeated int32 nums = 5;
  Inner.Kind kind = 6;
  google.protobuf.Duration timeout = 7;
  Other other = 8;
}
`;

const OTHER = `
syntax = "proto3";
package fp.test.v1;
message Other { string x = 1; }
message Extra { string y = 1; }
`;

/** Writes proto files (path → source) into a fresh temp dir and returns it. */
function protoDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetplane-codec-'));
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), source);
  }
  return dir;
}

const skipValidate = (path: string) => path === 'validate/validate.proto';

describe('buildDescriptorSet', () => {
  it('writes maps, oneofs, proto3 optional, nested enums and json names as protoc does', () => {
    // Prepare
    const dir = protoDir({ 'fp/test/v1/sample.proto': SAMPLE, 'fp/test/v1/other.proto': OTHER });

    // Act
    const set = buildDescriptorSet({
      roots: ['fp/test/v1/sample.proto'],
      includeDirs: [dir],
      skipImport: skipValidate,
    });
    const sample = createFileRegistry(set).getMessage('fp.test.v1.Sample');

    // Assess
    expect(set.file.map((f) => f.name)).toEqual([
      'google/protobuf/duration.proto',
      'fp/test/v1/other.proto',
      'fp/test/v1/sample.proto',
    ]);
    expect(set.file[2]?.dependency).toEqual(['google/protobuf/duration.proto', 'fp/test/v1/other.proto']);
    expect(sample).toBeDefined();
    if (!sample) return;
    const things = sample.field.thingsByName;
    expect(things?.fieldKind).toBe('map');
    expect(things?.fieldKind === 'map' && things.message?.typeName).toBe('fp.test.v1.Sample.Inner');
    expect(sample.oneofs.map((o) => [o.name, o.fields.map((f) => f.name)])).toEqual([
      ['choice', ['label', 'count']],
    ]);
    expect(sample.field.maybe?.presence).toBe(1); // EXPLICIT
    const nums = sample.field.nums;
    expect(nums?.fieldKind === 'list' && nums.packed).toBe(true);
    expect(sample.field.kind?.enum?.typeName).toBe('fp.test.v1.Sample.Inner.Kind');
    expect(sample.nestedMessages.find((m) => m.name === 'Inner')?.fields[0]?.jsonName).toBe('someField');
  });

  it('gives messages the proto3 JSON mapping through @bufbuild', () => {
    // Prepare
    const dir = protoDir({ 'fp/test/v1/sample.proto': SAMPLE, 'fp/test/v1/other.proto': OTHER });
    const registry = createFileRegistry(
      buildDescriptorSet({
        roots: ['fp/test/v1/sample.proto'],
        includeDirs: [dir],
        skipImport: skipValidate,
      }),
    );
    const schema = registry.getMessage('fp.test.v1.Sample');
    if (!schema) throw new Error('Sample not in registry');
    const input = {
      things_by_name: { a: { some_field: 'x' } },
      count: 7,
      maybe: 0,
      nums: [1, 2],
      kind: 'KIND_SET',
      timeout: '1.5s',
    };

    // Act
    const json = toJson(schema, fromJson(schema, input, { registry }), { registry, useProtoFieldName: true });

    // Assess
    expect(json).toEqual({ ...input, count: '7', timeout: '1.500s' });
  });

  it('appends patch fields to upstream messages and imports what they need', () => {
    // Prepare
    const dir = protoDir({ 'fp/test/v1/sample.proto': SAMPLE, 'fp/test/v1/other.proto': OTHER });
    const patchDir = protoDir({
      'sample.patch.proto': `syntax = "proto3";
        package fp.test.v1;
        import "fp/test/v1/other.proto";
        message Sample { Extra extra = 20; repeated string tags = 21; }`,
    });

    // Act
    const set = buildDescriptorSet({
      roots: ['fp/test/v1/sample.proto'],
      includeDirs: [dir],
      patchDir,
      skipImport: skipValidate,
    });
    const sample = createFileRegistry(set).getMessage('fp.test.v1.Sample');

    // Assess
    expect(sample?.field.extra?.message?.typeName).toBe('fp.test.v1.Extra');
    expect(sample?.field.extra?.number).toBe(20);
    expect(sample?.field.tags?.fieldKind).toBe('list');
  });

  it('fails when a patch clashes with an upstream field, so stale patches get removed', () => {
    // Prepare
    const dir = protoDir({ 'fp/test/v1/sample.proto': SAMPLE, 'fp/test/v1/other.proto': OTHER });
    const patchDir = protoDir({
      'sample.patch.proto': 'syntax = "proto3"; package fp.test.v1; message Sample { string label = 2; }',
    });

    // Act
    const act = () =>
      buildDescriptorSet({
        roots: ['fp/test/v1/sample.proto'],
        includeDirs: [dir],
        patchDir,
        skipImport: skipValidate,
      });

    // Assess
    expect(act).toThrow(CodecError);
    expect(act).toThrow(/fp\.test\.v1\.Sample already has field label = 2.*remove the patch/);
  });

  it('fails with the file name when an import is missing', () => {
    // Prepare
    const dir = protoDir({ 'fp/test/v1/sample.proto': SAMPLE });

    // Act
    const act = () =>
      buildDescriptorSet({
        roots: ['fp/test/v1/sample.proto'],
        includeDirs: [dir],
        skipImport: skipValidate,
      });

    // Assess
    expect(act).toThrow(/fp\/test\/v1\/other\.proto not found/);
  });
});

describe('protoc names', () => {
  it.each([
    [
      'typed_extension_protocol_options',
      'typedExtensionProtocolOptions',
      'TypedExtensionProtocolOptionsEntry',
    ],
    ['http2_protocol_options', 'http2ProtocolOptions', 'Http2ProtocolOptionsEntry'],
    ['ipv4_compat', 'ipv4Compat', 'Ipv4CompatEntry'],
    ['x_1', 'x1', 'X1Entry'],
  ])('%s → %s / %s', (field, json, entry) => {
    // Act + Assess
    expect(jsonName(field)).toBe(json);
    expect(mapEntryName(field)).toBe(entry);
  });
});

describe('loadDescriptorSet', () => {
  it('reads back from the cache exactly what it parsed', () => {
    // Prepare
    const parsed = loadDescriptorSet({ cache: false });
    loadDescriptorSet();

    // Act
    const cached = loadDescriptorSet();

    // Assess
    expect(parsed.source).toBe('parsed');
    expect(cached.source).toBe('cache');
    const a = toBinary(FileDescriptorSetSchema, parsed.set);
    const b = toBinary(FileDescriptorSetSchema, cached.set);
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
  });
});
