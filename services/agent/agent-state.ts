// The agent's record of what is on disk (`<dir>/state/agent.json`): the snapshot version written,
// the sha256 of its manifest, and the content hash of every file. A restart that finds the same
// version writes nothing, and a new version rewrites only the files whose content changed. While a
// version is being written, the hashes of the files about to change are dropped first, so a crash
// half-way cannot leave a hash that vouches for a file it no longer describes. It lives in a
// subdirectory so that replacing it does not wake Envoy's watch on `<dir>`.

import { STATE_FILE } from './file-layout.ts';
import type { OutputDir } from './output-dir.ts';

export const STATE_SCHEMA_VERSION = 1 as const;

export interface AgentState {
  schemaVersion: typeof STATE_SCHEMA_VERSION;
  nodeCluster: string;
  /** The source it came from (`dir:/…`, `s3://…`): versions are only comparable within one. */
  source: string;
  dir: string;
  secretsDir: string;
  /** Snapshot version whose files are complete on disk; 0 when none is. */
  version: number;
  /** sha256 of that version's manifest.json, as `latest.json` gave it. */
  manifestSha256: string;
  contentHash: string;
  writtenAt: string;
  /** Relative path → content hash, for every file of `version` (or still valid during `writing`). */
  files: Record<string, string>;
  /** Set while this version is being written. */
  writing?: number;
}

export async function readAgentState(output: OutputDir): Promise<AgentState | undefined> {
  const body = await output.read(STATE_FILE);
  if (!body) return undefined;
  try {
    const state = JSON.parse(new TextDecoder().decode(body)) as AgentState;
    if (state.schemaVersion !== STATE_SCHEMA_VERSION || typeof state.version !== 'number') return undefined;
    if (typeof state.files !== 'object' || state.files === null) return undefined;
    return state;
  } catch {
    return undefined; // unreadable: the next version is written in full
  }
}

export async function writeAgentState(output: OutputDir, state: AgentState): Promise<void> {
  await output.replace(STATE_FILE, new TextEncoder().encode(`${JSON.stringify(state, null, 2)}\n`));
}
