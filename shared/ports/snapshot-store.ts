// Port: where snapshot versions and the latest pointer live (S3 in AWS, a directory locally).

export interface StoredObject {
  body: Uint8Array;
  /** Opaque version tag of the object (S3 ETag); used for compare-and-swap. */
  etag: string;
}

export interface SnapshotStore {
  /** Reads an object; undefined when it does not exist. */
  get(key: string): Promise<StoredObject | undefined>;
  /** Creates an object only if it does not exist yet (S3 `If-None-Match: *`). */
  putIfAbsent(key: string, body: Uint8Array, contentType: string): Promise<'created' | 'exists'>;
  /**
   * Replaces an object only if its current tag is `etag` (S3 `If-Match`), or creates it only if it
   * does not exist when `etag` is undefined. Returns false when someone else won the race.
   */
  compareAndSwap(
    key: string,
    body: Uint8Array,
    contentType: string,
    etag: string | undefined,
  ): Promise<boolean>;
}
