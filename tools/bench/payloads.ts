/**
 * Benchmark payloads: NDJSON lines of an exact byte size, deterministic from run to run, shaped
 * like the real traffic (heartbeats, log lines, kill events), wrapped in the same API Gateway v2
 * events the tests use (test/helpers/events.ts).
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { httpEvent, ndjson } from '../../test/helpers/events';
import { prng } from './stats';

export type LineKind = 'heartbeat' | 'log' | 'event';

/** Where each kind is posted (the functions' routes). */
export const ROUTE: Readonly<Record<LineKind, string>> = { heartbeat: '/v1/heartbeats', log: '/v1/logs', event: '/v1/events' };

const WORDS = (
  'player joined left match round started ended spawn respawn tick lag spike packet loss retry ' +
  'inventory update shop purchase queue region eu-west us-east session token refreshed map loaded ' +
  'shader cache warm cold physics step took ms frame budget exceeded gc pause socket reconnect ok'
).split(' ');

/** Filler text of exactly `n` ASCII bytes (words, so gzip sees text-like redundancy, not one repeated byte). */
function filler(n: number, rnd: () => number): string {
  let s = '';
  while (s.length < n) s += `${WORDS[Math.floor(rnd() * WORDS.length)]} `;
  return s.slice(0, n);
}

function hex(n: number, rnd: () => number): string {
  let s = '';
  while (s.length < n) s += Math.floor(rnd() * 16).toString(16);
  return s;
}

/** One JSON line of exactly `size` bytes (no newline); `size` must leave room for the fixed fields. */
export function line(kind: LineKind, i: number, size: number, rnd: () => number): string {
  let head: string;
  if (kind === 'heartbeat') {
    const s = i % 64;
    head =
      `{"key":"server-${s}","serverId":"srv-eu-${s}","match":"m-${1000 + (i % 97)}","tick":${i},` +
      `"players":${i % 65},"pos":{"x":${(rnd() * 100).toFixed(2)},"y":${(rnd() * 10).toFixed(2)},"z":${(rnd() * 100).toFixed(2)}},"msg":"`;
  } else if (kind === 'log') {
    head = `{"key":"game-server-${i % 32}","level":"${i % 10 === 0 ? 'warn' : 'info'}","logger":"match.loop","requestId":"${hex(16, rnd)}","msg":"`;
  } else {
    head = `{"id":"${randomUUID()}","type":"kill","key":"match-${i % 50}","killer":"p${i % 100}","victim":"p${(i + 7) % 100}","msg":"`;
  }
  // Small records (the 100-byte scaling case) keep only the key and the filler.
  if (head.length + 2 > size && kind !== 'event') head = `{"key":"${kind === 'heartbeat' ? 'server' : 'game-server'}-${i % 64}","msg":"`;
  const room = size - head.length - 2;
  if (room < 0) throw new Error(`a ${kind} line cannot be as small as ${size} bytes (fixed fields take ${head.length + 2})`);
  return `${head}${filler(room, rnd)}"}`;
}

export function lines(kind: LineKind, n: number, size: number, seed = 1): string[] {
  const rnd = prng(seed);
  return Array.from({ length: n }, (_, i) => line(kind, i, size, rnd));
}

/** The NDJSON body of `n` lines of `size` bytes (n × (size + 1) bytes). */
export function body(kind: LineKind, n: number, size: number, seed = 1): string {
  return ndjson(lines(kind, n, size, seed));
}

/** The dev tenant's public, local-only API key (config/tenants.local.json): benches pay for auth too. */
export const BENCH_AUTHORIZATION = 'Bearer dev-only-api-key-not-a-secret';

/** POST of an NDJSON body to the kind's route, gzip-encoded (base64, as API Gateway delivers it) or plain. */
export function postEvent(kind: LineKind, ndjsonBody: string, gzip: boolean): APIGatewayProxyEventV2 {
  return httpEvent({
    path: ROUTE[kind],
    body: ndjsonBody,
    contentType: 'application/x-ndjson',
    gzip,
    headers: { authorization: BENCH_AUTHORIZATION },
  });
}

/** Raw bytes of the request body as the function receives it (before base64 decoding). */
export function wireBytes(event: APIGatewayProxyEventV2): number {
  if (event.body === undefined) return 0;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').length : Buffer.byteLength(event.body);
}

/** First counters of an HTTP response body ({"accepted":..,"forwarded":..,...}) without parsing 10,000 results. */
export function responseCounts(body: string | undefined): Record<string, number> {
  const head = (body ?? '').slice(0, 200);
  const out: Record<string, number> = {};
  for (const m of head.matchAll(/"(accepted|forwarded|persisted|dropped|rejected|retry)":(\d+)/g)) out[m[1]!] = Number(m[2]);
  return out;
}
