// Writes the codec's FileDescriptorSet to a file, for bundles that carry no .proto files (the
// Lambda assets): `tsx scripts/build-codec-descriptors.ts <out-dir>/codec-descriptors.binpb`.
// The codec loads a file of that name next to its module before anything else.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { loadDescriptorSet } from '../shared/codec/descriptor-cache.ts';

const out = process.argv[2];
if (!out) {
  console.error('usage: build-codec-descriptors <out-file>');
  process.exit(2);
}
const { set } = loadDescriptorSet({ cache: false });
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, toBinary(FileDescriptorSetSchema, set));
console.error(`wrote ${out} (${set.file.length} files)`);
