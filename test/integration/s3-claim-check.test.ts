import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSnapshotBucket } from '../../shared/aws/provision.ts';
import { S3ClaimCheck } from '../../shared/aws/s3-claim-check.ts';
import { type ChangeEventDetail, CLAIM_CHECK_THRESHOLD_BYTES } from '../../shared/events/change-event.ts';
import { offloadLargeObject, resolveObject } from '../../shared/pipeline/claim-check.ts';
import { ClaimCheckError } from '../../shared/ports/claim-check.ts';
import { sha256Hex } from '../../shared/snapshot/layout.ts';
import { uniqueName, useEmulator } from '../support/moto.ts';

const emulator = useEmulator();
const bucketName = uniqueName('claims');
let s3: S3Client;
let claimCheck: S3ClaimCheck;

function sliceEvent(endpoints: number): ChangeEventDetail {
  return {
    schemaVersion: 1,
    clusterId: 'c1',
    group: 'discovery.k8s.io',
    version: 'v1',
    kind: 'EndpointSlice',
    namespace: 'shop',
    name: 'web-abc12',
    resourceVersion: '42',
    change: 'UPSERT',
    origin: 'watch',
    observedAt: '2026-03-01T00:00:00Z',
    object: {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-abc12', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: Array.from({ length: endpoints }, (_, i) => ({
        addresses: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
        conditions: { ready: true },
      })),
    },
  };
}

beforeAll(async () => {
  s3 = new S3Client({ ...emulator.current.clientConfig, forcePathStyle: true });
  await ensureSnapshotBucket(s3, bucketName);
  claimCheck = new S3ClaimCheck({ bucketName, clientConfig: emulator.current.clientConfig });
});

describe('S3ClaimCheck', () => {
  it('moves an oversized object to S3 and reads it back identical', async () => {
    // Prepare
    const detail = sliceEvent(5000);
    expect(JSON.stringify(detail.object).length).toBeGreaterThan(CLAIM_CHECK_THRESHOLD_BYTES);

    // Act
    const sent = await offloadLargeObject(detail, claimCheck);
    const object = await resolveObject(sent, claimCheck);

    // Assess
    expect(sent.object).toBeUndefined();
    expect(sent.objectRef).toMatchObject({ bucket: bucketName });
    expect(sent.objectRef?.key).toMatch(
      /^claim-check\/c1\/discovery\.k8s\.io\/EndpointSlice\/shop\/web-abc12\/[0-9a-f]{64}\.json$/,
    );
    expect(JSON.stringify(sent).length).toBeLessThan(1024);
    expect(object).toEqual(detail.object);
  });

  it('leaves a small object on the event', async () => {
    // Act
    const sent = await offloadLargeObject(sliceEvent(3), claimCheck);

    // Assess
    expect(sent.objectRef).toBeUndefined();
    expect(sent.object).toEqual(sliceEvent(3).object);
  });

  it('rejects an object whose sha256 does not match the reference', async () => {
    // Prepare: the object under the reference was replaced after the event was sent.
    const ref = await claimCheck.put(new TextEncoder().encode('{"kind":"Original"}'), 'tampered');
    await s3.send(new PutObjectCommand({ Bucket: bucketName, Key: ref.key, Body: '{"kind":"Replaced"}' }));

    // Act
    const error = await claimCheck.get(ref).catch((err: unknown) => err);

    // Assess
    expect(error).toBeInstanceOf(ClaimCheckError);
    expect((error as Error).message).toContain(`the event says ${ref.sha256}`);
  });

  it('refuses references outside its bucket and prefix, and reports missing objects', async () => {
    // Prepare
    const sha256 = sha256Hex('x');

    // Act
    const foreign = await claimCheck
      .get({ bucket: 'someone-else', key: 'claim-check/x.json', sha256 })
      .catch((e) => e);
    const outside = await claimCheck
      .get({ bucket: bucketName, key: 'clusters/x/latest.json', sha256 })
      .catch((e) => e);
    const missing = await claimCheck
      .get({ bucket: bucketName, key: 'claim-check/gone.json', sha256 })
      .catch((e) => e);

    // Assess
    expect(foreign).toBeInstanceOf(ClaimCheckError);
    expect(outside).toBeInstanceOf(ClaimCheckError);
    expect(missing).toBeInstanceOf(ClaimCheckError);
    expect((missing as Error).message).toContain('not found');
  });
});
