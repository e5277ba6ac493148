// Parsing of the agent's flags. Errors name the flag, the bad value and a valid example.

import { DirectorySnapshotReader } from '../../shared/fs/fs-snapshot-reader.ts';
import type { SnapshotReader } from '../../shared/ports/snapshot-reader.ts';
import { AgentConfigError } from './errors.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `250ms`, `2s`, `5m`, `1h`, or a bare number of milliseconds; must be positive. */
export function parseInterval(value: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  const ms = match ? Math.round(Number(match[1]) * (UNITS[match[2] ?? 'ms'] ?? 1)) : 0;
  if (!match || ms <= 0)
    throw new AgentConfigError(
      `${flag} ${JSON.stringify(value)}: expected a positive duration, e.g. 500ms, 2s, 1m`,
    );
  return ms;
}

export function parsePort(value: string, flag: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port > 65_535)
    throw new AgentConfigError(`${flag} ${JSON.stringify(value)}: expected a port number, e.g. 9901`);
  return port;
}

/**
 * Builds the reader for `--source`: a directory, or `s3://bucket[/prefix]` through `s3` (passed in
 * so that the AWS SDK is only loaded when an S3 source is used).
 */
export async function sourceReader(
  source: string,
  s3: (bucketName: string, prefix: string) => Promise<SnapshotReader>,
): Promise<SnapshotReader> {
  if (source.startsWith('s3://')) {
    const match = /^s3:\/\/([a-z0-9][a-z0-9.-]*[a-z0-9])(?:\/(.*))?$/.exec(source);
    if (!match?.[1])
      throw new AgentConfigError(
        `--source ${JSON.stringify(source)}: expected s3://bucket or s3://bucket/prefix, e.g. s3://fleet-snapshots/prod`,
      );
    return s3(match[1], match[2] ?? '');
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source))
    throw new AgentConfigError(
      `--source ${JSON.stringify(source)}: expected a directory or s3://bucket[/prefix]`,
    );
  return new DirectorySnapshotReader(source);
}
