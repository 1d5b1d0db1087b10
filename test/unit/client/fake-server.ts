/**
 * A small stand-in for the ingest endpoints, for the client's unit tests: it checks every request's
 * signature with the server's own verifier (and its replay cache), gunzips, records what arrived,
 * and answers whatever the test scripts (a status, per-record results, a cut connection, or a
 * held answer released later).
 */
import { EventEmitter, once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { ReplayCache } from '../../../lib/auth/replay';
import { sha256Hex } from '../../../lib/auth/signature';
import { verifyRequest } from '../../../lib/auth/verifier';
import { SECRETS, tenantIndex } from '../../helpers/tenants';
import { createClient, type ClientOptions } from '../../../clients/node/src/index';

export interface Received {
  /** 0-based, in arrival order. */
  n: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body as sent (gzipped if it was). */
  raw: Buffer;
  lines: string[];
  /** What the server's verifier said about the credentials. */
  auth: { ok: true; tenant: string } | { ok: false; reason: string };
}

export type Answer = { status: number; body?: unknown } | 'cut' | 'hold';
export type Responder = (req: Received) => Answer;

/** What the real server answers when every record goes through: 200, one result per record. */
export function acceptAll(req: Received): Answer {
  const critical = req.path.endsWith('/v1/events');
  return answerWith(req, () => (critical ? 'persisted' : 'forwarded'));
}

/** 200 / 207 / 503 with one result per record, the status of each chosen by `pick`. */
export function answerWith(req: Received, pick: (line: string, i: number) => string): Answer {
  const results = req.lines.map((line, index) => {
    const status = pick(line, index);
    const id = idOf(line);
    return { index, status, ...(id && { id }), ...(status === 'rejected' && { reason: `record ${index}: bad`, code: 'bad_record' }), ...(status === 'retry' && { reason: 'not persisted' }) };
  });
  const accepted = results.filter((r) => ['forwarded', 'persisted', 'dropped'].includes(r.status)).length;
  const retry = results.some((r) => r.status === 'retry');
  const status = accepted === results.length ? 200 : accepted > 0 ? 207 : retry ? 503 : 400;
  return { status, body: { accepted, results } };
}

export function idOf(line: string): string | undefined {
  const v = JSON.parse(line) as unknown;
  return typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string' ? (v as { id: string }).id : undefined;
}

export async function startFakeServer(responder: Responder = acceptAll) {
  const received: Received[] = [];
  const arrivals = new EventEmitter();
  const held: (() => void)[] = [];
  const replay = new ReplayCache(100_000);
  const tenants = tenantIndex();
  let respond = responder;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const plain = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      const path = req.url ?? '/';
      const verified = verifyRequest(
        {
          method: req.method ?? 'GET',
          path,
          authorization: req.headers.authorization,
          contentSha256: header(req.headers['x-ef-content-sha256']),
          bodySha256: sha256Hex(raw),
        },
        { tenants, now: Date.now(), replayWindowMs: 300_000, replay },
      );
      const r: Received = {
        n: received.length,
        path,
        headers: req.headers,
        raw,
        lines: plain.toString('utf8').split('\n').filter((l) => l.length > 0),
        auth: verified.ok ? { ok: true, tenant: verified.tenant.id } : { ok: false, reason: verified.reason },
      };
      received.push(r);
      const answer: Answer = verified.ok ? respond(r) : { status: 401, body: { error: { code: 'unauthorized', message: verified.reason } } };
      const write = () => {
        if (answer === 'cut' || answer === 'hold') return;
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body ?? {}));
      };
      if (answer === 'cut') req.socket.destroy();
      else if (answer === 'hold') held.push(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify((acceptAll(r) as { body: unknown }).body)));
      else write();
      arrivals.emit('request', r);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    received,
    setResponder(next: Responder) {
      respond = next;
    },
    /** Answers every held request with 200 (all accepted). */
    release() {
      for (const h of held.splice(0)) h();
    },
    /** Resolves once `count` requests have arrived. */
    async untilReceived(count: number): Promise<void> {
      while (received.length < count) await once(arrivals, 'request');
    },
    /** Every record line the server received on `path`, one entry per time it arrived. */
    lines(path: string): string[] {
      return received.filter((r) => r.path.endsWith(path)).flatMap((r) => r.lines);
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export type FakeServer = Awaited<ReturnType<typeof startFakeServer>>;

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** How many times each value occurs. */
export function counts(values: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}


/** A client of the fake server, signing as its tenant `acme`; fast retries so tests finish quickly. */
export function clientOf(server: FakeServer, options: Partial<ClientOptions> = {}) {
  return createClient({
    endpoint: server.url,
    auth: { hmac: { tenant: 'acme', keyId: 'k2', secret: SECRETS.acmeHmac } },
    retry: { initialMs: 2, maxMs: 20 },
    ...options,
  });
}
