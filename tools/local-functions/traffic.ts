/**
 * Simulated game servers posting through the local HTTP ingest, so the whole path runs:
 * heartbeats (realtime), log batches (logs) and game events (critical), with the odd malformed
 * record (rejected) and client retry (duplicate event id). Loopback only; stops with stop().
 */
import { randomUUID } from 'node:crypto';

/** The dev tenant's public, local-only API key (config/tenants.local.json). */
export const DEV_AUTHORIZATION = 'Bearer dev-only-api-key-not-a-secret';

export interface TrafficOptions {
  /** http://127.0.0.1:<port>; nothing else is accepted. */
  baseUrl: string;
  servers: number;
  /** Heartbeats per second per server. */
  rate: number;
}

export interface TrafficStats {
  requests: number;
  failed: number;
  /** Ticks skipped because a server already had MAX_IN_FLIGHT requests open (ingest slower than traffic). */
  skipped: number;
}

const MAX_IN_FLIGHT = 8;
const EVENT_TYPES = ['kill', 'death', 'purchase', 'chat'] as const;
const LOG_MESSAGES = ['player joined', 'player left', 'round started', 'round ended', 'map loaded', 'slow tick', 'asset cache miss'];

const rand = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
const chance = (p: number) => Math.random() < p;

export function startTraffic(opts: TrafficOptions) {
  const base = new URL(opts.baseUrl);
  if (base.hostname !== '127.0.0.1') throw new Error(`traffic generator only targets 127.0.0.1, not ${base.hostname}`);
  const stats: TrafficStats = { requests: 0, failed: 0, skipped: 0 };
  const abort = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Set<Promise<void>>();

  function post(server: GameServer, path: string, contentType: string, body: string): void {
    if (abort.signal.aborted) return;
    if (server.inFlight >= MAX_IN_FLIGHT) return void stats.skipped++;
    server.inFlight++;
    // No client timeout needed: the server answers within the function timeout (10 s + 1 s).
    const p = fetch(new URL(path, base), { method: 'POST', headers: { 'content-type': contentType, authorization: DEV_AUTHORIZATION }, body, signal: abort.signal })
      .then(async (res) => {
        await res.arrayBuffer();
        stats.requests++;
      })
      .catch(() => {
        if (!abort.signal.aborted) stats.failed++;
      })
      .finally(() => {
        server.inFlight--;
        inFlight.delete(p);
      });
    inFlight.add(p);
  }

  /** Runs fn every ~periodMs with ±20% jitter, so servers do not fire in lockstep. */
  function every(periodMs: number, fn: () => void): void {
    const slot = timers.length;
    const next = () => {
      timers[slot] = setTimeout(() => {
        fn();
        next();
      }, periodMs * (0.8 + Math.random() * 0.4));
    };
    next();
  }

  for (let i = 1; i <= opts.servers; i++) {
    const s = new GameServer(i);
    every(1000 / opts.rate, () => post(s, '/v1/heartbeats', 'application/x-ndjson', s.heartbeat()));
    every(1000, () => post(s, '/v1/logs', 'application/x-ndjson', s.logBatch()));
    every(600, () => post(s, '/v1/events', 'application/json', s.events()));
  }

  return {
    stats,
    async stop() {
      for (const t of timers) clearTimeout(t);
      abort.abort();
      await Promise.allSettled([...inFlight]);
    },
  };
}

class GameServer {
  readonly name: string;
  readonly serverId = randomUUID();
  inFlight = 0;
  private tick = 0;
  private players = rand(4, 32);
  private match = rand(1, 99);
  private lastEvents = '';

  constructor(n: number) {
    this.name = `server-${n}`;
  }

  heartbeat(): string {
    this.tick++;
    this.players = Math.max(0, Math.min(64, this.players + rand(-1, 1)));
    if (this.tick % 600 === 0) this.match = rand(1, 99);
    // about 1 in 200: a truncated line (rejected)
    if (chance(0.005)) return `{"key":"${this.name}","serverId":"${this.serverId}","players":\n`;
    return `${JSON.stringify({ key: this.name, serverId: this.serverId, players: this.players, tick: this.tick })}\n`;
  }

  logBatch(): string {
    const lines: string[] = [];
    for (let i = rand(10, 50); i > 0; i--) {
      const msg = pick(LOG_MESSAGES);
      lines.push(
        chance(0.6)
          ? JSON.stringify({ level: chance(0.9) ? 'info' : 'warn', msg, server: this.name, match: `match-${this.match}`, tick: this.tick })
          : JSON.stringify(`${new Date().toISOString()} ${this.name} ${msg}`), // a plain line
      );
    }
    if (chance(0.1)) lines.splice(rand(0, lines.length), 0, '{"level":"error","msg":"stack trace cut off'); // rejected
    return `${lines.join('\n')}\n`;
  }

  /** A JSON array of 1-3 game events; sometimes a client retry of the previous batch (same ids). */
  events(): string {
    if (this.lastEvents && chance(0.05)) return this.lastEvents;
    const events: unknown[] = [];
    for (let i = rand(1, 3); i > 0; i--) {
      const type = pick(EVENT_TYPES);
      events.push({
        id: randomUUID(),
        type,
        key: `match-${this.match}`,
        serverId: this.serverId,
        player: `player-${rand(1, 500)}`,
        ...(type === 'kill' && { victim: `player-${rand(1, 500)}`, weapon: pick(['rifle', 'shotgun', 'knife']) }),
        ...(type === 'purchase' && { sku: pick(['skin-gold', 'xp-boost', 'emote-dance']), priceCents: pick([99, 499, 999]) }),
        ...(type === 'chat' && { text: 'gg' }),
        timestamp: Date.now(),
      });
    }
    if (chance(0.03)) events.push({ id: 42, type: 'kill', key: `match-${this.match}` }); // id must be a string: rejected
    this.lastEvents = JSON.stringify(events);
    return this.lastEvents;
  }
}
