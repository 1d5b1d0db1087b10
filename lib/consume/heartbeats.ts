/**
 * The realtime tier's example aggregation: heartbeats per game server and when each was last
 * seen. Best effort by design (at-most-once input): a lost heartbeat lowers a count, nothing more.
 */
import type { ConsumedRecord } from './types';

export interface ServerActivity {
  serverId: string;
  heartbeats: number;
  /** Newest record timestamp, epoch ms. */
  lastSeen: number;
}

/** The server is the record key (what the router keys heartbeats by), else `serverId` / `server` in the JSON value. */
export function serverIdOf(r: ConsumedRecord): string {
  if (r.key?.length) return r.key.toString('utf8');
  if (r.value && r.value[0] === 0x7b) {
    try {
      const v = JSON.parse(r.value.toString('utf8')) as { serverId?: unknown; server?: unknown };
      const id = v.serverId ?? v.server;
      if (typeof id === 'string' && id) return id;
    } catch {
      // not JSON: falls through to unknown
    }
  }
  return 'unknown';
}

export function aggregateHeartbeats(records: Iterable<ConsumedRecord>): ServerActivity[] {
  const byServer = new Map<string, ServerActivity>();
  for (const r of records) {
    const serverId = serverIdOf(r);
    const s = byServer.get(serverId);
    if (s) {
      s.heartbeats++;
      s.lastSeen = Math.max(s.lastSeen, r.timestamp);
    } else byServer.set(serverId, { serverId, heartbeats: 1, lastSeen: r.timestamp });
  }
  return [...byServer.values()].sort((a, b) => a.serverId.localeCompare(b.serverId));
}

/**
 * Which servers get a CloudWatch metric of their own (a custom metric each: a cost the senders
 * control, since server ids come from them): those matching `pattern`, at most `max` per
 * invocation, the busiest first. The rest are reported as plain log fields only.
 */
export function serversWithMetrics(servers: readonly ServerActivity[], opts: { max: number; pattern?: RegExp }): Set<string> {
  const eligible = servers.filter((s) => !opts.pattern || opts.pattern.test(s.serverId));
  const busiest = [...eligible].sort((a, b) => b.heartbeats - a.heartbeats || a.serverId.localeCompare(b.serverId));
  return new Set(busiest.slice(0, opts.max).map((s) => s.serverId));
}
