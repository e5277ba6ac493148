// Every field the codec knows must mean what it means in the pinned Envoy 1.40: same number, type,
// label, message or enum type and oneof. That covers the overlay (whose numbers were copied from
// Envoy's API) and the .proto → descriptor conversion itself, over every loaded file.

import { isFieldSet } from '@bufbuild/protobuf';
import {
  type DescriptorProto,
  type FieldDescriptorProto,
  FieldDescriptorProtoSchema,
  type FileDescriptorProto,
} from '@bufbuild/protobuf/wkt';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDescriptorSet } from '../../../shared/codec/descriptor-cache.ts';
import { EnvoyDescriptors } from './envoy-embedded-descriptors.ts';

/** Fields Envoy removed after the package's snapshot (their numbers are reserved upstream). */
const REMOVED_UPSTREAM = new Set(['envoy.config.listener.v3.FilterChain.on_demand_configuration']);

function signature(message: DescriptorProto, field: FieldDescriptorProto): string {
  const oneof = isFieldSet(field, FieldDescriptorProtoSchema.field.oneofIndex)
    ? message.oneofDecl[field.oneofIndex]?.name
    : undefined;
  return JSON.stringify([
    field.number,
    field.type,
    field.label,
    field.typeName,
    oneof ?? null,
    field.proto3Optional,
  ]);
}

/** Our fields that differ from, or are absent in, Envoy's message of the same name. */
function mismatches(prefix: string, ours: DescriptorProto[], envoys: DescriptorProto[]): string[] {
  return ours.flatMap((message) => {
    const name = `${prefix}.${message.name}`;
    const envoy = envoys.find((m) => m.name === message.name);
    if (!envoy) return [];
    const fields = message.field.flatMap((field) => {
      const theirs = envoy.field.find((f) => f.name === field.name);
      if (REMOVED_UPSTREAM.has(`${name}.${field.name}`)) return [];
      if (!theirs) return [`${name}.${field.name}: not in Envoy`];
      const [a, b] = [signature(message, field), signature(envoy, theirs)];
      return a === b ? [] : [`${name}.${field.name}: ours ${a}, Envoy ${b}`];
    });
    return [...fields, ...mismatches(name, message.nestedType, envoy.nestedType)];
  });
}

function field(file: FileDescriptorProto | undefined, path: string[]): FieldDescriptorProto | undefined {
  let messages = file?.messageType ?? [];
  let message: DescriptorProto | undefined;
  for (const name of path.slice(0, -1)) {
    message = messages.find((m) => m.name === name);
    messages = message?.nestedType ?? [];
  }
  return message?.field.find((f) => f.name === path.at(-1));
}

describe('codec descriptors against Envoy 1.40', () => {
  let envoy: EnvoyDescriptors;
  let ours: FileDescriptorProto[];

  beforeAll(() => {
    envoy = new EnvoyDescriptors();
    ours = loadDescriptorSet().set.file.filter((f) => !f.name.startsWith('google/protobuf/'));
  });

  it('finds every loaded file in Envoy', () => {
    // Act
    const missing = ours.map((f) => f.name).filter((name) => envoy.file(name) === undefined);

    // Assess
    expect(missing).toEqual([]);
  });

  it('agrees with Envoy on every field of every loaded message', () => {
    // Act
    const diffs = ours.flatMap((file) =>
      mismatches(file.package, file.messageType, envoy.file(file.name)?.messageType ?? []),
    );
    const compared = ours.reduce((n, file) => n + (envoy.file(file.name)?.messageType.length ?? 0), 0);

    // Assess
    expect(compared).toBeGreaterThan(100);
    expect(diffs).toEqual([]);
  });

  it.each([
    [
      'envoy/extensions/common/aws/v3/credential_provider.proto',
      ['AwsCredentialProvider', 'assume_role_credential_provider'],
    ],
    [
      'envoy/extensions/common/aws/v3/credential_provider.proto',
      ['AssumeRoleCredentialProvider', 'external_id'],
    ],
    [
      'envoy/extensions/common/aws/v3/credential_provider.proto',
      ['AssumeRoleCredentialProvider', 'session_duration'],
    ],
    [
      'envoy/extensions/filters/http/aws_request_signing/v3/aws_request_signing.proto',
      ['AwsRequestSigning', 'credential_provider'],
    ],
    [
      'envoy/extensions/http/injected_credentials/generic/v3/generic.proto',
      ['Generic', 'header_value_prefix'],
    ],
    ['envoy/extensions/filters/http/aws_lambda/v3/aws_lambda.proto', ['Config', 'invocation_mode']],
    ['envoy/extensions/filters/http/aws_lambda/v3/aws_lambda.proto', ['Config', 'credentials']],
  ])('has the overlay field %s %j, numbered as in Envoy', (file, path) => {
    // Act
    const mine = field(
      ours.find((f) => f.name === file),
      path,
    );
    const theirs = field(envoy.file(file), path);

    // Assess
    expect(theirs).toBeDefined();
    expect(mine?.number).toBe(theirs?.number);
    expect(mine?.typeName).toBe(theirs?.typeName);
  });
});
