// Errors of the agent: configuration that cannot work, and snapshot versions it refuses to write.

import { FleetplaneError } from '../../shared/errors.ts';

export class AgentError extends FleetplaneError {}

/** Bad agent configuration (a flag, a path); the message says how to fix it. */
export class AgentConfigError extends AgentError {}

/** Why a poll did not end with the newest version on disk; the last good files stay in place. */
export type AgentFailure =
  | 'source'
  | 'pointer'
  | 'missing'
  | 'integrity'
  | 'decode'
  | 'mismatch'
  | 'rewrite'
  | 'write';

/** A version whose resources cannot be turned into file-based config (names the field path). */
export class ConfigSourceRewriteError extends AgentError {
  constructor(
    readonly errors: string[],
    options?: ErrorOptions,
  ) {
    super(errors.join('; '), options);
  }
}
