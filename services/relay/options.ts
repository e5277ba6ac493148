// Parsing of the relay's flags: host:port addresses and durations. Errors name the flag, the bad
// value and a valid example.

import { RelayConfigError } from './errors.ts';

export interface HostPort {
  host: string;
  port: number;
}

/** `127.0.0.1:18000`, `[::1]:18000`, `relay.internal:18000`, or `:18000` for every interface. */
export function parseHostPort(value: string, flag: string): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(value.trim());
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RelayConfigError(`${flag} ${JSON.stringify(value)}: expected host:port, e.g. 127.0.0.1:18000`);
  }
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

export function formatHostPort(address: HostPort): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `250ms`, `1s`, `30m`, `2h`, or a bare number of milliseconds; `0` means off where allowed. */
export function parseDuration(value: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match)
    throw new RelayConfigError(`${flag} ${JSON.stringify(value)}: expected a duration, e.g. 500ms, 1s, 30m`);
  return Math.round(Number(match[1]) * (UNITS[match[2] ?? 'ms'] ?? 1));
}
