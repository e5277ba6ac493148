import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../cdk/constructs/pipeline-function.ts';
import { BUILD_SNAPSHOT_ENTRY, TRANSLATE_ENTRY } from '../../cdk/constructs/translator-functions.ts';
import { buildApp } from './support.ts';

const entries = [TRANSLATE_ENTRY, BUILD_SNAPSHOT_ENTRY];
const handlersExist = entries.every((e) => existsSync(join(REPO_ROOT, e)));

/** Imports a bundle in a fresh Node process and calls its handler with an empty batch. */
function invokeWithEmptyBatch(bundle: string): unknown {
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
    const context = { functionName: 'f', awsRequestId: 'r', getRemainingTimeInMillis: () => 10_000 };
    const result = await handler({ Records: [] }, context);
    process.stderr.write('RESULT ' + JSON.stringify(result) + '\\n');`;
  const { stderr } = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: {
      AWS_REGION: 'us-east-1',
      IR_TABLE_NAME: 'table',
      SNAPSHOT_BUCKET_NAME: 'bucket',
      EVENT_BUS_NAME: 'bus',
    },
  });
  const line = stderr.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`${bundle} did not return: ${stderr}`);
  return JSON.parse(line.slice('RESULT '.length));
}

describe('function bundling', () => {
  // Skipped, not failed, while a handler entry is still being written; it runs once both exist.
  it.skipIf(!handlersExist)('bundles both handlers locally with esbuild into ESM assets', () => {
    // Act
    const { app, stack } = buildApp({ bundle: true });
    const template = Template.fromStack(stack);

    // Assess
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.Code.S3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
      expect(fn.Properties.Handler).toBe('index.handler');
    }
    const assetDirs = readdirSync(app.outdir).filter((d) => d.startsWith('asset.'));
    expect(assetDirs).toHaveLength(2);
    for (const assetDir of assetDirs) {
      const files = readdirSync(join(app.outdir, assetDir)).sort();
      // The codec's prebuilt descriptor set: the bundle has no .proto files to parse.
      expect(files).toEqual(['codec-descriptors.binpb', 'index.mjs', 'index.mjs.map']);
      const bundle = readFileSync(join(app.outdir, assetDir, 'index.mjs'), 'utf8');
      expect(
        bundle.startsWith("import { createRequire as __fleetplaneCreateRequire } from 'node:module';"),
      ).toBe(true);
      expect(bundle).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
      // Loads in plain Node ESM (as Lambda does) and honours the partial batch response contract
      // that ReportBatchItemFailures relies on.
      expect(invokeWithEmptyBatch(join(app.outdir, assetDir, 'index.mjs'))).toEqual({
        batchItemFailures: [],
      });
    }
  });
});
