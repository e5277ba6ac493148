// Reconnect delays: exponential with "equal jitter", so a fleet of forwarders that lost the API
// server at the same moment does not come back in lockstep, and no retry is ever immediate.

export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/** Attempt 1, 2, 3… → a delay in [ceiling/2, ceiling), ceiling = min(max, base × 2^(attempt−1)). */
export function reconnectDelayMs(
  attempt: number,
  backoff: Backoff,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(ceiling / 2 + (random() * ceiling) / 2);
}
