// Port: read-only access to the snapshot layout with conditional reads, for consumers that poll
// (the agent, and the relay's directory and S3 sources): S3 answers `If-None-Match` with 304, a
// directory compares a stat stamp. Keys are relative to the layout's root (bucket prefix or
// directory). `listFolders` is how a relay discovers the gateways under that root.

export type SnapshotReadResult =
  | { kind: 'found'; body: Uint8Array; etag: string }
  | { kind: 'notModified' }
  | { kind: 'notFound' };

export interface SnapshotReader {
  /** Where it reads from, for logs: `s3://bucket/prefix/` or `dir:/path`. */
  readonly description: string;
  /** Reads `key`; with `etag`, answers `notModified` while the object still carries that tag. */
  getIfChanged(key: string, etag?: string): Promise<SnapshotReadResult>;
  /**
   * Names of the immediate "folders" under `prefix` (which ends in `/`), sorted; [] when there are
   * none. For S3, the common prefixes of a delimited listing; for a directory, its subdirectories.
   */
  listFolders(prefix: string): Promise<string[]>;
}
