// SnapshotStore on a local directory: the layout of the S3 bucket, as files. Create-only writes use
// O_EXCL; compare-and-swap checks the content hash of the current file and renames a temporary
// file into place. Check-and-rename is serialised per key inside this process; separate processes
// writing the same pointer at the same moment are not protected (S3's If-Match is, in AWS).

import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SnapshotStore, StoredObject } from '../ports/snapshot-store.ts';
import { sha256Hex } from '../snapshot/layout.ts';

export class FsSnapshotStore implements SnapshotStore {
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(readonly root: string) {}

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const body = new Uint8Array(await readFile(join(this.root, key)));
      return { body, etag: sha256Hex(body) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async putIfAbsent(key: string, body: Uint8Array, _contentType?: string): Promise<'created' | 'exists'> {
    const path = join(this.root, key);
    await mkdir(dirname(path), { recursive: true });
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(body);
      } finally {
        await handle.close();
      }
      return 'created';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
      throw err;
    }
  }

  compareAndSwap(
    key: string,
    body: Uint8Array,
    _contentType: string,
    etag: string | undefined,
  ): Promise<boolean> {
    const previous = this.#locks.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.#swap(key, body, etag));
    this.#locks.set(
      key,
      next.catch(() => undefined),
    );
    return next;
  }

  async #swap(key: string, body: Uint8Array, etag: string | undefined): Promise<boolean> {
    const current = await this.get(key);
    if (current?.etag !== etag) return false;
    const path = join(this.root, key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${randomUUID()}.tmp`;
    await writeFile(tmp, body);
    await rename(tmp, path);
    return true;
  }
}
