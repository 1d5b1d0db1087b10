/** Consumer lag in time, for the consumer functions' metrics (written by lib/platform/metrics.ts). */
import type { ConsumedRecord } from './types';

/**
 * How far behind the consumer is, in time: the age of the newest record it just handled
 * (Lambda's event carries no high watermark, so offset lag itself comes from Lambda's own
 * OffsetLag metric of the event source mapping, or `npm run consumer-lag`).
 */
export function recordAges(records: readonly ConsumedRecord[], now = Date.now()): { newestMs: number; oldestMs: number } | undefined {
  if (!records.length) return undefined;
  let newest = -Infinity;
  let oldest = Infinity;
  for (const r of records) {
    newest = Math.max(newest, r.timestamp);
    oldest = Math.min(oldest, r.timestamp);
  }
  return { newestMs: Math.max(0, now - newest), oldestMs: Math.max(0, now - oldest) };
}
