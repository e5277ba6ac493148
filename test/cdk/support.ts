// Shared setup for the CDK tests: the app built exactly as cdk/app.ts builds it, with cdk.json's
// context (feature flags included) and, unless a test bundles for real, inline stand-in code so the
// assertions do not depend on the handlers or on esbuild. The relay image stays the real Docker
// asset (synthesis only stages its build context).

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { REPO_ROOT } from '../../cdk/constructs/pipeline-function.ts';
import { createPipelineApp, type PipelineAppOptions } from '../../cdk/pipeline-app.ts';

export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

export const INLINE_CODE = {
  translate: Code.fromInline('export const handler = async () => ({ batchItemFailures: [] });'),
  buildSnapshot: Code.fromInline('export const handler = async () => ({ batchItemFailures: [] });'),
  ingestAudit: Code.fromInline('export const handler = async () => ({ statusCode: 200 });'),
};

export function buildApp(options: { context?: Record<string, unknown>; bundle?: boolean } = {}) {
  const appOptions: PipelineAppOptions = {
    context: { ...cdkJsonContext(), ...options.context },
    outdir: mkdtempSync(join(tmpdir(), 'fleetplane-cdk-')),
    ...(options.bundle ? {} : { functionCode: INLINE_CODE }),
  };
  return createPipelineApp(appOptions);
}
