// Port: the claim check. Objects too large for the bus are stored aside and travel as a reference
// carrying their sha256, which the reader verifies before trusting the bytes.

import { FleetplaneError } from '../errors.ts';
import type { ObjectRef } from '../events/change-event.ts';

export interface ClaimCheck {
  /**
   * Stores a payload and returns the reference to send instead. Keys are content-addressed, so
   * putting the same bytes twice is harmless. `name` only makes the key easier to read.
   */
  put(body: Uint8Array, name?: string): Promise<ObjectRef>;
  /** Reads a payload; throws ClaimCheckError when it is missing, foreign or fails its sha256. */
  get(ref: ObjectRef): Promise<Uint8Array>;
}

export class ClaimCheckError extends FleetplaneError {}
