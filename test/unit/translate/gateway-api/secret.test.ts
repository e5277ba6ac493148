import { describe, expect, it } from 'vitest';
import { translateSecret } from '../../../../shared/translate/secret.ts';
import { acceptedSpec, ctx, fixture, manifest, rejection } from './support.ts';

/** Every value the fixture holds, decoded and encoded, plus the values inside its annotation. */
const SECRET_VALUES = [
  'VE9QLVNFQ1JFVC1DRVJULVZBTFVF',
  'VE9QLVNFQ1JFVC1LRVktVkFMVUU=',
  'TOP-SECRET',
  'plain-string-data-value',
  'BEGIN CERTIFICATE',
];

describe('translateSecret', () => {
  it('keeps the type and the sorted key names from data and stringData', () => {
    // Prepare
    const obj = fixture('secret');

    // Act
    const item = translateSecret(obj, ctx);

    // Assess
    expect(acceptedSpec(item)).toEqual({ type: 'kubernetes.io/tls', keys: ['ca.crt', 'tls.crt', 'tls.key'] });
  });

  it('never copies a value into the IR, not even through annotations', () => {
    const obj = fixture('secret');

    const json = JSON.stringify(translateSecret(obj, ctx));

    expect(json).toContain('tls.key');
    for (const value of SECRET_VALUES) expect(json).not.toContain(value);
  });

  it('never copies a value into an error message', () => {
    const obj = manifest(`
apiVersion: v1
kind: Secret
metadata: { name: s, namespace: default }
type: kubernetes.io/tls
data: { tls.crt: TOP-SECRET-CERT, number: 42 }
stringData: { "bad key": TOP-SECRET-OTHER }
`);

    const item = translateSecret(obj, ctx);

    const condition = rejection(item);
    expect(condition.message).toContain('data.number: must be a string');
    expect(condition.message).toContain('stringData["bad key"]: key "bad key" may only contain');
    expect(JSON.stringify(item)).not.toContain('TOP-SECRET');
  });

  it('defaults the type to Opaque and accepts a Secret without data', () => {
    const obj = manifest('{ apiVersion: v1, kind: Secret, metadata: { name: empty } }');

    expect(acceptedSpec(translateSecret(obj, ctx))).toEqual({ type: 'Opaque', keys: [] });
  });

  it('rejects a TLS Secret without a private key', () => {
    const obj = manifest(`
apiVersion: v1
kind: Secret
metadata: { name: cert, namespace: infra }
type: kubernetes.io/tls
data: { tls.crt: VE9QLVNFQ1JFVA== }
`);

    const item = translateSecret(obj, ctx);

    const condition = rejection(item);
    expect(condition.message).toBe(
      'Secret infra/cert: data["tls.key"]: is required for a Secret of type kubernetes.io/tls',
    );
    expect(JSON.stringify(item)).not.toContain('VE9QLVNFQ1JFVA');
  });
});
