// ClaimCheck on S3, under the snapshot bucket's claim-check prefix (expired by a lifecycle rule).
// Keys are content-addressed by sha256, and S3 verifies the upload against the same sha256
// (x-amz-checksum-sha256); the reader verifies it again and refuses references to other buckets
// or prefixes, so an event cannot make the translator read arbitrary objects.

import { GetObjectCommand, PutObjectCommand, type S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { ObjectRef } from '../events/change-event.ts';
import { SNAPSHOT_BUCKET } from '../pipeline/definition.ts';
import { type ClaimCheck, ClaimCheckError } from '../ports/claim-check.ts';
import { sha256Hex } from '../snapshot/layout.ts';
import { createS3Client } from './clients.ts';
import { isNotFound } from './s3-errors.ts';

export interface S3ClaimCheckOptions {
  bucketName: string;
  /** Default: SNAPSHOT_BUCKET.claimCheckPrefix (`claim-check/`). */
  prefix?: string;
  /** Your own client; one is built from `clientConfig` otherwise. */
  client?: S3Client;
  clientConfig?: S3ClientConfig;
}

export class S3ClaimCheck implements ClaimCheck {
  readonly bucketName: string;
  readonly prefix: string;
  readonly #client: S3Client;

  constructor(options: S3ClaimCheckOptions) {
    this.bucketName = options.bucketName;
    this.prefix = options.prefix ?? SNAPSHOT_BUCKET.claimCheckPrefix;
    this.#client = options.client ?? createS3Client(options.clientConfig);
  }

  async put(body: Uint8Array, name?: string): Promise<ObjectRef> {
    const sha256 = sha256Hex(body);
    const key = `${this.prefix}${name ? `${safeName(name)}/` : ''}${sha256}.json`;
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.bucketName,
        Key: key,
        Body: body,
        ContentType: 'application/json',
        ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
      }),
    );
    return { bucket: this.bucketName, key, sha256 };
  }

  async get(ref: ObjectRef): Promise<Uint8Array> {
    const where = `s3://${ref.bucket}/${ref.key}`;
    if (ref.bucket !== this.bucketName || !ref.key.startsWith(this.prefix)) {
      throw new ClaimCheckError(
        `${where}: claim checks are read only from s3://${this.bucketName}/${this.prefix}`,
      );
    }
    let body: Uint8Array;
    try {
      const res = await this.#client.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
      if (!res.Body) throw new ClaimCheckError(`${where}: response has no body`);
      body = await res.Body.transformToByteArray();
    } catch (err) {
      if (isNotFound(err)) {
        throw new ClaimCheckError(`${where}: not found (claim checks expire after a lifecycle period)`, {
          cause: err,
        });
      }
      throw err;
    }
    const actual = sha256Hex(body);
    if (actual !== ref.sha256) {
      throw new ClaimCheckError(`${where}: sha256 is ${actual}, the event says ${ref.sha256}`);
    }
    return body;
  }
}

/** Keeps key segments to characters S3 and humans both read without escaping. */
function safeName(name: string): string {
  return name
    .split('/')
    .map((part) => part.replace(/[^A-Za-z0-9._-]/g, '_') || '_')
    .join('/');
}
