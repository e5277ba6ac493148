// The agent's output directory: atomic file replacement and the few listings it needs. Envoy's
// path subscriptions reload on a move into place (inotify IN_MOVED_TO), never on a write, so every
// file is written to a temporary name in the same directory (same filesystem, so `rename` is
// atomic), flushed, then renamed over the old one. Temporary names start with a dot and end in
// `.tmp`, which is how leftovers from a crash are recognised and removed.

import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface OutputDir {
  readonly root: string;
  /** Creates the directory and the subdirectories named (relative), if missing. */
  ensure(subdirs: readonly string[]): Promise<void>;
  /** Replaces `relPath` atomically: readers see the old content or the new, never a mix. */
  replace(relPath: string, body: Uint8Array): Promise<void>;
  read(relPath: string): Promise<Uint8Array | undefined>;
  exists(relPath: string): Promise<boolean>;
  /** Plain file names in a subdirectory (relative), or [] when it does not exist. */
  list(relDir: string): Promise<string[]>;
  remove(relPath: string): Promise<void>;
}

export function isTemporaryName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}

export class LocalOutputDir implements OutputDir {
  constructor(readonly root: string) {}

  async ensure(subdirs: readonly string[]): Promise<void> {
    await mkdir(this.root, { recursive: true });
    for (const sub of subdirs) await mkdir(join(this.root, sub), { recursive: true });
  }

  async replace(relPath: string, body: Uint8Array): Promise<void> {
    const path = join(this.root, relPath);
    const tmp = join(dirname(path), `.${basename(path)}.${randomUUID().slice(0, 8)}.tmp`);
    try {
      const handle = await open(tmp, 'wx', 0o644);
      try {
        await handle.writeFile(body);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await rename(tmp, path);
    } catch (error) {
      await unlink(tmp).catch(() => undefined);
      throw error;
    }
  }

  async read(relPath: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(join(this.root, relPath)));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async exists(relPath: string): Promise<boolean> {
    try {
      return (await stat(join(this.root, relPath))).isFile();
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async list(relDir: string): Promise<string[]> {
    try {
      const entries = await readdir(join(this.root, relDir), { withFileTypes: true });
      return entries
        .filter((e) => e.isFile())
        .map((e) => e.name)
        .sort();
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }

  async remove(relPath: string): Promise<void> {
    await unlink(join(this.root, relPath)).catch((error) => {
      if (!isMissing(error)) throw error;
    });
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
