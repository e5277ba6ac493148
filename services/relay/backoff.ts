// Reconnect delays: exponential, capped, and jittered so that relays cut off together (a parent
// restart, a network blip) do not come back in lockstep.

export interface BackoffPolicy {
  /** Delay before the first retry. */
  baseMs: number;
  /** Upper bound of any delay. */
  maxMs: number;
}

/**
 * The delay before retry number `attempt` (1 for the first): `base × 2^(attempt-1)`, capped at
 * `max`, of which a random half is taken away ("equal jitter": never zero, never in lockstep).
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
