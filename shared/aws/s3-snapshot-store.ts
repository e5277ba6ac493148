// SnapshotStore on S3. Version files are created with `If-None-Match: *`, so a version, once
// written, is never overwritten; `latest.json` is replaced with `If-Match: <etag>` (or created
// with `If-None-Match: *`), so two builders racing on one Gateway cannot move it backwards.
// Encryption comes from the bucket's default (SSE-KMS in the CDK stack), not from each request.

import { GetObjectCommand, PutObjectCommand, type S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { FleetplaneError } from '../errors.ts';
import type { SnapshotStore, StoredObject } from '../ports/snapshot-store.ts';
import { createS3Client } from './clients.ts';
import { isConditionalWriteLost, isNotFound } from './s3-errors.ts';

export interface S3SnapshotStoreOptions {
  bucketName: string;
  /** Your own client; one is built from `clientConfig` otherwise. */
  client?: S3Client;
  clientConfig?: S3ClientConfig;
}

export class S3SnapshotStore implements SnapshotStore {
  readonly bucketName: string;
  readonly #client: S3Client;

  constructor(options: S3SnapshotStoreOptions) {
    this.bucketName = options.bucketName;
    this.#client = options.client ?? createS3Client(options.clientConfig);
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const res = await this.#client.send(new GetObjectCommand({ Bucket: this.bucketName, Key: key }));
      if (!res.Body || !res.ETag)
        throw new FleetplaneError(`s3://${this.bucketName}/${key}: response has no body or ETag`);
      return { body: await res.Body.transformToByteArray(), etag: res.ETag };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async putIfAbsent(key: string, body: Uint8Array, contentType: string): Promise<'created' | 'exists'> {
    return (await this.#conditionalPut(key, body, contentType, { IfNoneMatch: '*' })) ? 'created' : 'exists';
  }

  compareAndSwap(
    key: string,
    body: Uint8Array,
    contentType: string,
    etag: string | undefined,
  ): Promise<boolean> {
    return this.#conditionalPut(
      key,
      body,
      contentType,
      etag === undefined ? { IfNoneMatch: '*' } : { IfMatch: etag },
    );
  }

  async #conditionalPut(
    key: string,
    body: Uint8Array,
    contentType: string,
    condition: { IfNoneMatch: '*' } | { IfMatch: string },
  ): Promise<boolean> {
    try {
      await this.#client.send(
        new PutObjectCommand({
          Bucket: this.bucketName,
          Key: key,
          Body: body,
          ContentType: contentType,
          ...condition,
        }),
      );
      return true;
    } catch (err) {
      // If-Match on an object that has gone away answers 404 NoSuchKey: the swap lost as well.
      if (isConditionalWriteLost(err) || ('IfMatch' in condition && isNotFound(err))) return false;
      throw err;
    }
  }
}
