// An AWS emulator endpoint for integration tests, started once per test file: moto from .venv on a
// free port, or whatever AWS_ENDPOINT_URL points at (LocalStack: http://localhost:4566). The
// starting and stopping lives in services/local/moto.ts, shared with `fleetplane dev`.

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { type Emulator, startEmulator } from '../../services/local/moto.ts';

export { type Emulator, startEmulator } from '../../services/local/moto.ts';

/** Starts the emulator before the file's tests and stops it after; read `.current` inside tests. */
export function useEmulator(): { readonly current: Emulator } {
  let current: Emulator | undefined;
  beforeAll(async () => {
    current = await startEmulator();
  });
  afterAll(async () => {
    await current?.stop();
  });
  return {
    get current() {
      if (!current) throw new Error('the emulator is not started yet: use it inside a test or hook');
      return current;
    },
  };
}

/** A name no other test file (or earlier run against a shared emulator) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
