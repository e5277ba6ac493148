// Golden translator tests: exact expected xDS and status per case, and every Gateway's bootstrap
// accepted by the real Envoy (`envoy --mode validate`).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateEnvoyConfig } from '../support/envoy.ts';
import { CASES_DIR, caseBootstraps, listCases, renderCase } from './harness.ts';

const cases = listCases();

describe('golden cases', () => {
  it('has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  describe.each(cases)('%s', (name) => {
    it('produces the expected xDS and status', async () => {
      // Act
      const actual = await renderCase(name);
      // Assess
      expect(actual.xds).toBe(readFileSync(join(CASES_DIR, name, 'expected-xds.yaml'), 'utf8'));
      expect(actual.status).toBe(readFileSync(join(CASES_DIR, name, 'expected-status.json'), 'utf8'));
    });

    it('passes envoy --mode validate for every Gateway', async () => {
      const { bootstraps } = await caseBootstraps(name);
      for (const bootstrap of bootstraps) {
        const result = await validateEnvoyConfig(bootstrap, 'bootstrap.json');
        expect(result.ok, result.output).toBe(true);
      }
    });

    it('never crashes a translator', async () => {
      const actual = await renderCase(name);
      expect(actual.status).not.toContain('TranslationError');
    });
  });
});
