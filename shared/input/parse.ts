// Parses Kubernetes manifests (multi-document YAML or JSON, `kind: List` included) into objects.
// Pure: takes text, returns objects and the problems of documents that could not be read, each
// naming the source and document, so one bad document never hides the others.

import { LineCounter, parseAllDocuments } from 'yaml';
import type { KubeObject } from '../translate/common.ts';

export interface SourcedObject {
  object: KubeObject;
  /** `file.yaml#2` (1-based document index) — where the object came from. */
  source: string;
}

export interface InputProblem {
  source: string;
  message: string;
}

export interface ParsedInput {
  objects: SourcedObject[];
  problems: InputProblem[];
}

/** Parses one file's text. `name` is used in sources and messages. */
export function parseManifests(text: string, name: string): ParsedInput {
  const out: ParsedInput = { objects: [], problems: [] };
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, index) => {
    const source = list.length > 1 ? `${name}#${index + 1}` : name;
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const pos = err.pos[0] === undefined ? undefined : lineCounter.linePos(err.pos[0]);
        const where = pos ? `${source} (line ${pos.line}, column ${pos.col})` : source;
        out.problems.push({ source: where, message: `malformed YAML: ${firstLine(err.message)}` });
      }
      return;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return; // empty document, e.g. a trailing `---`
    collect(value, source, out);
  });
  return out;
}

function collect(value: unknown, source: string, out: ParsedInput): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    out.problems.push({ source, message: `expected a Kubernetes object, got ${describe(value)}` });
    return;
  }
  const record = value as Record<string, unknown>;
  if (typeof record.kind === 'string' && record.kind.endsWith('List') && Array.isArray(record.items)) {
    record.items.forEach((item, i) => {
      collect(item, `${source} items[${i}]`, out);
    });
    return;
  }
  const missing = identityProblems(record);
  if (missing.length > 0) {
    out.problems.push({ source, message: `not a Kubernetes object: ${missing.join('; ')}` });
    return;
  }
  out.objects.push({ object: record as unknown as KubeObject, source });
}

/** The fields without which a document cannot even be named. */
function identityProblems(record: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (typeof record.apiVersion !== 'string' || record.apiVersion === '')
    problems.push('apiVersion: required string');
  if (typeof record.kind !== 'string' || record.kind === '') problems.push('kind: required string');
  const metadata = record.metadata;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    problems.push('metadata: required object');
  } else {
    const m = metadata as Record<string, unknown>;
    if (typeof m.name !== 'string' || m.name === '') problems.push('metadata.name: required string');
    if (m.namespace !== undefined && typeof m.namespace !== 'string')
      problems.push('metadata.namespace: must be a string');
  }
  return problems;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return `a ${typeof value}`;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
