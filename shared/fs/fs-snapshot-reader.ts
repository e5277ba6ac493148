// SnapshotReader on a local directory in the S3 layout (what `translate --to snapshot` writes). The
// ETag is the sha256 of the content: `latest.json` is small, and a stat stamp (mtime, size, inode)
// can miss a pointer replaced twice within one timestamp tick by a file that reuses the inode.
// Used by the agent and by the relay's directory source.

import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { SnapshotReader, SnapshotReadResult } from '../ports/snapshot-reader.ts';

export class DirectorySnapshotReader implements SnapshotReader {
  readonly root: string;
  readonly description: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.description = `dir:${this.root}`;
  }

  async getIfChanged(key: string, etag?: string): Promise<SnapshotReadResult> {
    const path = join(this.root, key);
    try {
      const body = new Uint8Array(await readFile(path));
      const tag = createHash('sha256').update(body).digest('hex');
      if (tag === etag) return { kind: 'notModified' };
      return { kind: 'found', body, etag: tag };
    } catch (error) {
      if (isMissing(error)) return { kind: 'notFound' };
      throw error;
    }
  }

  async listFolders(prefix: string): Promise<string[]> {
    let entries: Dirent[];
    try {
      entries = await readdir(join(this.root, prefix), { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
