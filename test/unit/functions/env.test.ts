import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENV, MissingEnvironmentError, readEnv } from '../../../functions/shared/env.ts';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('readEnv', () => {
  it('returns required and present optional variables by field name', () => {
    // Act
    const env = readEnv({ table: 'T' }, { controller: 'C', absent: 'A' }, { T: 'ir', C: 'ctl' });

    // Assess
    expect(env).toEqual({ table: 'ir', controller: 'ctl' });
  });

  it('names every missing or empty required variable in one error', () => {
    // Act
    const error = (() => {
      try {
        readEnv(
          { a: 'IR_TABLE_NAME', b: 'SNAPSHOT_BUCKET_NAME', c: 'EVENT_BUS_NAME' },
          {},
          { EVENT_BUS_NAME: 'bus', SNAPSHOT_BUCKET_NAME: '' },
        );
      } catch (err) {
        return err;
      }
    })();

    // Assess
    expect(error).toBeInstanceOf(MissingEnvironmentError);
    expect((error as MissingEnvironmentError).missing).toEqual(['IR_TABLE_NAME', 'SNAPSHOT_BUCKET_NAME']);
    expect((error as Error).message).toContain('IR_TABLE_NAME, SNAPSHOT_BUCKET_NAME');
  });
});

describe('handler modules', () => {
  it('fail at load, naming the variable, when the environment is incomplete', async () => {
    // Prepare
    vi.stubEnv(ENV.irTableName, 'ir');
    vi.stubEnv(ENV.snapshotBucketName, '');
    vi.stubEnv(ENV.eventBusName, 'bus');

    // Act + Assess
    await expect(import('../../../functions/translate/handler.ts')).rejects.toThrow(/SNAPSHOT_BUCKET_NAME/);
    await expect(import('../../../functions/build-snapshot/handler.ts')).rejects.toThrow(
      /SNAPSHOT_BUCKET_NAME/,
    );
  });

  it('export a wrapped handler and the factory when the environment is complete', async () => {
    // Prepare
    vi.stubEnv(ENV.irTableName, 'ir');
    vi.stubEnv(ENV.snapshotBucketName, 'snapshots');
    vi.stubEnv(ENV.eventBusName, 'bus');
    vi.stubEnv('AWS_REGION', 'eu-west-1');

    // Act
    const translate = await import('../../../functions/translate/handler.ts');
    const build = await import('../../../functions/build-snapshot/handler.ts');

    // Assess
    for (const mod of [translate, build]) {
      expect(typeof mod.handler).toBe('function');
      expect(typeof mod.handler.use).toBe('function');
      expect(typeof mod.createHandler).toBe('function');
    }
  });
});
