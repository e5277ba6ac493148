// Errors of the relay: configuration that cannot work, and snapshot versions that fail to load.

import { FleetplaneError } from '../../shared/errors.ts';

export class RelayError extends FleetplaneError {}

/** Bad relay configuration (a flag, an address); the message says how to fix it. */
export class RelayConfigError extends RelayError {}

export type SnapshotLoadFailure =
  | 'pointer'
  | 'missing'
  | 'integrity'
  | 'decode'
  | 'mismatch'
  | 'rejected'
  | 'io';

/** A snapshot version that could not be loaded; the previous good version keeps being served. */
export class SnapshotLoadError extends RelayError {
  constructor(
    message: string,
    /** The object key (relative path) at fault. */
    readonly key: string,
    readonly reason: SnapshotLoadFailure,
    options?: ErrorOptions,
  ) {
    super(`${key}: ${message}`, options);
  }
}
