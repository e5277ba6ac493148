// Reads manifests from files, directories (recursively, *.yaml|*.yml|*.json, sorted) or stdin ('-').
// A path that cannot be read is an InputError; documents inside a readable file that are broken
// come back as problems beside the good objects.

import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { InputError } from '../errors.ts';
import { type ParsedInput, parseManifests } from './parse.ts';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export async function readManifests(
  paths: string[],
  stdin: () => Promise<string> = readStdin,
): Promise<ParsedInput> {
  const out: ParsedInput = { objects: [], problems: [] };
  for (const path of paths) {
    for (const [name, text] of await readSource(path, stdin)) {
      const parsed = parseManifests(text, name);
      out.objects.push(...parsed.objects);
      out.problems.push(...parsed.problems);
    }
  }
  return out;
}

async function readSource(path: string, stdin: () => Promise<string>): Promise<Array<[string, string]>> {
  if (path === '-') return [['<stdin>', await stdin()]];
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (err) {
    throw new InputError('cannot read input: no such file or directory', path, { cause: err });
  }
  if (!info.isDirectory()) return [[path, await readText(path)]];
  const files = (await listFiles(path)).filter((f) => MANIFEST_EXTENSIONS.has(extname(f).toLowerCase()));
  files.sort();
  const out: Array<[string, string]> = [];
  for (const file of files) out.push([join(path, relative(path, file)), await readText(file)]);
  return out;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError('cannot read input file', path, { cause: err });
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
