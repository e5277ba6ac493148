// Loads the codec's FileDescriptorSet: from `codec-descriptors.binpb` next to the running module
// when a bundle ships one (Lambda assets have no .proto files; see scripts/build-codec-descriptors.ts),
// else from a cache file under node_modules/.cache when one was written for exactly the current
// sources, otherwise by parsing the .proto files (and then writing the cache). The cache key hashes everything the result depends on: the pinned package
// versions, the root list, the overlay files and the builder's own source.

import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { type FileDescriptorSet, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { buildDescriptorSet } from './descriptor-builder.ts';
import {
  includeDirs,
  isAnnotationOnlyImport,
  overlayDir,
  overlayPatchDir,
  rootProtoFiles,
  xdsPackageDir,
} from './proto-sources.ts';

const require = createRequire(import.meta.url);

export interface LoadedDescriptors {
  set: FileDescriptorSet;
  /** `bundled` from a bundle's prebuilt file, `cache` from the cache file, `parsed` from the .proto files. */
  source: 'bundled' | 'cache' | 'parsed';
}

export interface LoadDescriptorOptions {
  /** Read and write the cache file. Default true. */
  cache?: boolean;
}

/** Name of the prebuilt descriptor set a bundle carries next to its entry module. */
export const BUNDLED_DESCRIPTORS_FILE = 'codec-descriptors.binpb';

export function loadDescriptorSet(options: LoadDescriptorOptions = {}): LoadedDescriptors {
  if (options.cache !== false) {
    const bundled = fileURLToPath(new URL(`./${BUNDLED_DESCRIPTORS_FILE}`, import.meta.url));
    if (existsSync(bundled))
      return { set: fromBinary(FileDescriptorSetSchema, readFileSync(bundled)), source: 'bundled' };
  }
  const file = options.cache === false ? undefined : cacheFile();
  if (file && existsSync(file)) {
    try {
      return { set: fromBinary(FileDescriptorSetSchema, readFileSync(file)), source: 'cache' };
    } catch {
      // A truncated or foreign file: rebuild and overwrite it below.
    }
  }
  const set = buildDescriptorSet({
    roots: rootProtoFiles,
    includeDirs: includeDirs(),
    patchDir: overlayPatchDir,
    skipImport: isAnnotationOnlyImport,
  });
  if (file) writeCache(file, toBinary(FileDescriptorSetSchema, set));
  return { set, source: 'parsed' };
}

/** The cache file for the current sources, or undefined when they cannot be fingerprinted. */
export function cacheFile(): string | undefined {
  const key = sourceFingerprint();
  if (key === undefined) return undefined;
  // xdsPackageDir is <node_modules>/@grpc/grpc-js-xds.
  const nodeModules = join(xdsPackageDir(), '..', '..');
  return join(nodeModules, '.cache', 'fleetplane-codec', `descriptors-${key}.binpb`);
}

function sourceFingerprint(): string | undefined {
  const hash = createHash('sha256');
  try {
    for (const pkg of ['@grpc/grpc-js-xds/package.json', 'protobufjs/package.json']) {
      hash.update(readFileSync(require.resolve(pkg)));
    }
    // @bufbuild/protobuf does not export its package.json; it sits two levels above its entry.
    hash.update(
      readFileSync(join(dirname(require.resolve('@bufbuild/protobuf')), '..', '..', 'package.json')),
    );
    hash.update(JSON.stringify(rootProtoFiles));
    for (const module of ['descriptor-builder.ts', 'proto-sources.ts']) {
      hash.update(readFileSync(fileURLToPath(new URL(module, import.meta.url))));
    }
    for (const file of filesUnder(overlayDir)) {
      hash.update(relative(overlayDir, file));
      hash.update(readFileSync(file));
    }
  } catch {
    // Bundled builds have no sources to hash; they parse every cold start instead.
    return undefined;
  }
  return hash.digest('hex').slice(0, 16);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    });
}

function writeCache(file: string, bytes: Uint8Array): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    // Write then rename, so a concurrent reader never sees half a file.
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, bytes);
    renameSync(temp, file);
    // Older sources' caches are dead weight once a new one exists.
    for (const name of readdirSync(dirname(file))) {
      const path = join(dirname(file), name);
      if (/^descriptors-[0-9a-f]+\.binpb$/.test(name) && path !== file) rmSync(path, { force: true });
    }
  } catch {
    // Read-only file systems (Lambda) just go without the cache.
  }
}
