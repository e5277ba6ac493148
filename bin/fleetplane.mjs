#!/usr/bin/env node
// Entry shim for the `fleetplane` CLI: registers the TypeScript loader, then runs cli/main.ts.
// fleetplane needs Node.js 22 (the Lambda runtime it targets). `npx fleetplane` and npm scripts
// already run on the Node 22 that the npm `node` package pins; when started by an older `node`
// directly, the shim hands over to that pinned binary instead of failing deep in a dependency.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(pinned)) {
    process.stderr.write(
      `fleetplane needs Node.js 22 or newer (this is ${process.version}); run \`npm ci\` to install the pinned one\n`,
    );
    process.exit(1);
  }
  const child = spawnSync(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  if (child.signal) process.kill(process.pid, child.signal);
  process.exit(child.status ?? 1);
}

const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv);
