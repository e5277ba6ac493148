// SnapshotReader on S3: GetObject with `If-None-Match: <etag>`, so an unchanged `latest.json` costs
// a 304 and no body. Keys are relative to an optional prefix (`s3://bucket/prefix`). A body shorter
// than its Content-Length is an error, not a result; the caller's sha256 checks catch the rest.
// Folders are listed with a `/` delimiter, so discovering gateways never pages through versions.
// Endpoint and path-style addressing come from `createS3Client` (explicit endpoint, or
// AWS_ENDPOINT_URL[_S3] from the environment).

import {
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { FleetplaneError } from '../errors.ts';
import type { SnapshotReader, SnapshotReadResult } from '../ports/snapshot-reader.ts';
import { createS3Client } from './clients.ts';
import { isNotFound } from './s3-errors.ts';

export interface S3SnapshotReaderOptions {
  bucketName: string;
  /** Key prefix of the layout inside the bucket, e.g. `fleet/`. Default: the bucket root. */
  prefix?: string;
  /** Your own client; one is built from `clientConfig` otherwise. */
  client?: S3Client;
  /** Used when no `client` is given: `endpoint`, `region`, `forcePathStyle`, credentials. */
  clientConfig?: S3ClientConfig;
  /** Per-request deadline, so a hung connection cannot stall a poller. Default 15 s. */
  requestTimeoutMs?: number;
}

export class S3SnapshotReader implements SnapshotReader {
  readonly description: string;
  readonly bucketName: string;
  readonly prefix: string;
  readonly #client: S3Client;
  readonly #timeoutMs: number;

  constructor(options: S3SnapshotReaderOptions) {
    this.bucketName = options.bucketName;
    this.prefix = normalisePrefix(options.prefix);
    this.#client = options.client ?? createS3Client(options.clientConfig);
    this.#timeoutMs = options.requestTimeoutMs ?? 15_000;
    this.description = `s3://${this.bucketName}/${this.prefix}`;
  }

  async getIfChanged(key: string, etag?: string): Promise<SnapshotReadResult> {
    const objectKey = `${this.prefix}${key}`;
    try {
      const res = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.bucketName,
          Key: objectKey,
          ...(etag === undefined ? {} : { IfNoneMatch: etag }),
        }),
        { abortSignal: AbortSignal.timeout(this.#timeoutMs) },
      );
      if (!res.Body || !res.ETag)
        throw new FleetplaneError(`s3://${this.bucketName}/${objectKey}: response has no body or ETag`);
      const body = await res.Body.transformToByteArray();
      if (res.ContentLength !== undefined && body.byteLength !== res.ContentLength)
        throw new FleetplaneError(
          `s3://${this.bucketName}/${objectKey}: read ${body.byteLength} of ${res.ContentLength} bytes`,
        );
      return { kind: 'found', body, etag: res.ETag };
    } catch (err) {
      if (isNotModified(err)) return { kind: 'notModified' };
      if (isNotFound(err)) return { kind: 'notFound' };
      throw err;
    }
  }
  async listFolders(prefix: string): Promise<string[]> {
    const listed = `${this.prefix}${prefix}`;
    const names: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.bucketName,
          Prefix: listed,
          Delimiter: '/',
          ...(token ? { ContinuationToken: token } : {}),
        }),
        { abortSignal: AbortSignal.timeout(this.#timeoutMs) },
      );
      for (const common of res.CommonPrefixes ?? []) {
        const name = common.Prefix?.slice(listed.length).replace(/\/$/, '');
        if (name) names.push(name);
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return names.sort();
  }
}

function normalisePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+/, '');
  return trimmed === '' || trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

// The SDK turns a 304 into an exception named NotModified (no body to parse).
function isNotModified(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.$metadata?.httpStatusCode === 304 || e?.name === 'NotModified';
}
