// Environment of the Lambda functions, parsed once at module scope. A missing variable fails the
// cold start with an error naming it, rather than the first event with an undefined table name.

import { FleetplaneError } from '../../shared/errors.ts';

/** The variables the functions read; the CDK stack and the local runtime set exactly these. */
export const ENV = {
  irTableName: 'IR_TABLE_NAME',
  snapshotBucketName: 'SNAPSHOT_BUCKET_NAME',
  eventBusName: 'EVENT_BUS_NAME',
  /** Optional: GatewayClass controllerName that marks Gateways as ours. */
  controllerName: 'CONTROLLER_NAME',
} as const;

export class MissingEnvironmentError extends FleetplaneError {
  constructor(readonly missing: string[]) {
    super(
      `missing environment variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: set ${missing.length > 1 ? 'them' : 'it'} on the function (the CDK stack does)`,
    );
  }
}

/**
 * Reads `required` (field → variable name) and `optional` ones; empty counts as missing. Throws one
 * MissingEnvironmentError naming every missing required variable.
 */
export function readEnv<
  R extends Record<string, string>,
  O extends Record<string, string> = Record<never, string>,
>(
  required: R,
  optional?: O,
  env: NodeJS.ProcessEnv = process.env,
): { [K in keyof R]: string } & { [K in keyof O]?: string } {
  const out: Record<string, string> = {};
  const missing: string[] = [];
  for (const [field, name] of Object.entries(required)) {
    const value = env[name];
    if (value) out[field] = value;
    else missing.push(name);
  }
  if (missing.length > 0) throw new MissingEnvironmentError(missing);
  for (const [field, name] of Object.entries(optional ?? {})) {
    const value = env[name];
    if (value) out[field] = value;
  }
  return out as { [K in keyof R]: string } & { [K in keyof O]?: string };
}
