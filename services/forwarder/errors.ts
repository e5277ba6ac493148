// Errors of the forwarder: configuration that cannot work, and answers of the Kubernetes API.

import { FleetplaneError } from '../../shared/errors.ts';

export class ForwarderError extends FleetplaneError {}

/** A bad flag or option; the message names it and says how to fix it. */
export class ForwarderConfigError extends ForwarderError {}

/**
 * A Kubernetes API request that failed with an HTTP status. `statusCode` is what client-node's
 * ListWatch reads to tell 410 Gone (relist) from other failures.
 */
export class KubeApiError extends ForwarderError {
  constructor(
    message: string,
    readonly statusCode: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
