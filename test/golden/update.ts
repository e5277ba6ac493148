// Rewrites every golden case's expected files from the current translator: `npm run golden:update`.
// Review the diff before committing it.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CASES_DIR, listCases, renderCase } from './harness.ts';

const only = process.argv.slice(2);
for (const name of listCases()) {
  if (only.length > 0 && !only.includes(name)) continue;
  const out = await renderCase(name);
  await writeFile(join(CASES_DIR, name, 'expected-xds.yaml'), out.xds);
  await writeFile(join(CASES_DIR, name, 'expected-status.json'), out.status);
  console.log(`updated ${name}`);
}
