export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/**
 * Delay before the next send of a critical record that has been sent `attempts` times: capped
 * exponential with "equal jitter" (between half the ceiling and the ceiling), so a fleet of game
 * servers that all saw the same 503 does not come back in lockstep, and no wait exceeds maxMs.
 */
export function retryDelayMs(attempts: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
  return Math.min(ceiling, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}
