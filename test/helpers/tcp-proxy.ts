/**
 * A loopback TCP proxy for link faults between a client and one broker (or any local server):
 *
 *   const proxy = await startTcpProxy({ target: { host: '127.0.0.1', port: 19610 } });
 *   proxy.blackhole('hold');   // a stall: nothing moves, bytes wait (TCP would retransmit them)
 *   proxy.blackhole('drop');   // a black hole: bytes vanish; connections that lost any are reset on restore
 *   proxy.blackhole(false);
 *   proxy.throttle(64 * 1024); // at most 64 KiB/s in each direction (for all connections together)
 *   proxy.bytesForwarded;      // counted here, so tests assert on bytes rather than on wall-clock
 *   await proxy.close();
 *
 * In both black-hole modes connections stay open and new ones are accepted (the listening
 * socket is ours, so a client's connect succeeds; what never comes is an answer).
 *
 * 'hold' stops reading either socket: bytes pile up in the kernel buffers and then block the
 * sender, exactly what TCP does across a partition it has not given up on yet. Lifting it
 * delivers everything in order, late.
 *
 * 'drop' keeps reading and discards. TCP never loses bytes from the middle of a stream, so a
 * connection that lost any cannot carry on once the link is back: it is destroyed then (as TCP
 * would after its retransmission timeout); connections that lost nothing continue.
 *
 * Loopback only: it binds 127.0.0.1 and refuses a non-loopback target.
 */
import * as net from 'node:net';

export type BlackholeMode = 'drop' | 'hold';

export interface TcpProxyOptions {
  target: { host: string; port: number };
  /** Default 0: any free port. */
  listenPort?: number;
}

export interface TcpProxy {
  readonly port: number;
  /** 'hold' or 'drop' (true = 'drop'); false restores the link. */
  blackhole(mode: BlackholeMode | boolean): void;
  /** Forward at most `bytesPerSecond` in each direction (whole proxy); undefined = unlimited. */
  throttle(bytesPerSecond: number | undefined): void;
  /** Bytes written on towards the target plus back to clients. */
  readonly bytesForwarded: number;
  readonly bytesToTarget: number;
  readonly bytesToClient: number;
  /** Bytes discarded by blackhole('drop'). */
  readonly bytesDropped: number;
  /** Open client connections. */
  readonly connections: number;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/** A throttled link holds at most this much per connection and direction before it stops reading. */
const HIGH_WATER = 256 * 1024;
/** How often a throttled link hands out budget. */
const TICK_MS = 20;

/** Bandwidth of one direction, shared by every connection (it models one link). */
class Link {
  rate: number | undefined;
  private budget = 0;
  private last = Date.now();
  private readonly waiting = new Set<Pipe>();
  private timer: NodeJS.Timeout | undefined;

  setRate(rate: number | undefined): void {
    if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) throw new RangeError(`throttle: bytes/s must be > 0, got ${rate}`);
    this.rate = rate;
    this.budget = 0;
    this.last = Date.now();
    this.wakeAll();
  }

  /** How many of `wanted` bytes may go now (all when unthrottled); 0 = wait for a tick. */
  take(wanted: number, pipe: Pipe): number {
    if (this.rate === undefined) return wanted;
    this.refill();
    const n = Math.min(wanted, Math.floor(this.budget));
    this.budget -= n;
    if (n === 0) this.wait(pipe);
    return n;
  }

  /**
   * Budget accrues with real elapsed time but never beyond 100 ms worth, so in any interval of
   * t seconds at most rate * (t + 0.1) bytes go through, however late the timers fire.
   */
  private refill(): void {
    const now = Date.now();
    const rate = this.rate ?? 0;
    this.budget = Math.min(this.budget + (rate * (now - this.last)) / 1000, Math.max(rate / 10, 1));
    this.last = now;
  }

  private wait(pipe: Pipe): void {
    this.waiting.add(pipe);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.wakeAll();
    }, TICK_MS);
  }

  wakeAll(): void {
    const pipes = [...this.waiting];
    this.waiting.clear();
    for (const p of pipes) p.pump();
  }

  forget(pipe: Pipe): void {
    this.waiting.delete(pipe);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting.clear();
  }
}

/** One direction of one connection: src -> dst through `link`. */
class Pipe {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private drainWait = false;
  private srcEnded = false;
  private dstEnded = false;
  /** Bytes of this stream were dropped: it can never be correct again. */
  lost = false;

  constructor(
    private readonly src: net.Socket,
    private readonly dst: net.Socket,
    private readonly link: Link,
    private readonly proxy: ProxyState,
    private readonly count: (n: number) => void,
  ) {
    src.on('data', (chunk: Buffer) => this.onData(chunk));
    src.on('end', () => {
      this.srcEnded = true;
      this.pump();
    });
  }

  private onData(chunk: Buffer): void {
    if (this.proxy.mode === 'drop') {
      this.discard(chunk.length);
      return;
    }
    this.queue.push(chunk);
    this.queued += chunk.length;
    this.pump();
  }

  private discard(n: number): void {
    this.proxy.dropped += n;
    this.lost = true;
  }

  /** Entering 'drop': what waits here (throttled) is lost as well. */
  dropQueued(): void {
    if (this.queued > 0) this.discard(this.queued);
    this.queue.length = 0;
    this.queued = 0;
  }

  pump(): void {
    if (this.dst.destroyed) return;
    while (this.proxy.mode === undefined && !this.drainWait && this.queue.length > 0) {
      const head = this.queue[0]!;
      const n = this.link.take(head.length, this);
      if (n === 0) break;
      const chunk = n < head.length ? head.subarray(0, n) : head;
      if (n < head.length) this.queue[0] = head.subarray(n);
      else this.queue.shift();
      this.queued -= n;
      this.count(n);
      if (!this.dst.write(chunk)) {
        this.drainWait = true;
        this.dst.once('drain', () => {
          this.drainWait = false;
          this.pump();
        });
      }
    }
    if (this.srcEnded && !this.dstEnded && this.queue.length === 0 && this.proxy.mode === undefined) {
      this.dstEnded = true;
      this.dst.end();
    }
    this.flow();
  }

  /** Read from src only while the bytes can go somewhere (backpressure, 'hold'). */
  private flow(): void {
    if (this.src.destroyed) return;
    const stop = this.proxy.mode === 'hold' || this.drainWait || this.queued >= HIGH_WATER;
    if (stop) this.src.pause();
    else this.src.resume();
  }

  dispose(): void {
    this.link.forget(this);
  }
}

interface ProxyState {
  mode: BlackholeMode | undefined;
  dropped: number;
}

interface Connection {
  client: net.Socket;
  upstream: net.Socket;
  pipes: [Pipe, Pipe];
}

function assertLoopback(host: string): string {
  if (host === 'localhost') return '127.0.0.1';
  const v = net.isIP(host);
  const loopback = (v === 4 && host.startsWith('127.')) || (v === 6 && (host === '::1' || host === '0:0:0:0:0:0:0:1'));
  if (!loopback) throw new Error(`tcp-proxy: target must be a loopback address (127.x.x.x, ::1, localhost), got '${host}'`);
  return host;
}

export async function startTcpProxy(opts: TcpProxyOptions): Promise<TcpProxy> {
  const targetHost = assertLoopback(opts.target.host);
  const targetPort = opts.target.port;
  const state: ProxyState = { mode: undefined, dropped: 0 };
  const up = new Link();
  const down = new Link();
  const conns = new Set<Connection>();
  let toTarget = 0;
  let toClient = 0;

  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    const upstream = net.connect({ host: targetHost, port: targetPort, allowHalfOpen: true });
    upstream.pause();
    const conn: Connection = {
      client,
      upstream,
      pipes: [
        new Pipe(client, upstream, up, state, (n) => (toTarget += n)),
        new Pipe(upstream, client, down, state, (n) => (toClient += n)),
      ],
    };
    conns.add(conn);
    const teardown = () => {
      if (!conns.delete(conn)) return;
      client.destroy();
      upstream.destroy();
      for (const p of conn.pipes) p.dispose();
    };
    // with half-open allowed, 'close' means both directions are done (or an error): the peer goes too
    for (const s of [client, upstream]) s.on('error', teardown).on('close', teardown);
    // start reading only once the target took the connection (a refused one ends the client's)
    upstream.once('connect', () => {
      for (const p of conn.pipes) p.pump();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: opts.listenPort ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;

  const pumpAll = () => {
    for (const c of conns) for (const p of c.pipes) p.pump();
  };

  return {
    port,
    blackhole(mode) {
      const next: BlackholeMode | undefined = mode === true ? 'drop' : mode === false ? undefined : mode;
      if (next === state.mode) return;
      state.mode = next;
      if (next === 'drop') for (const c of conns) for (const p of c.pipes) p.dropQueued();
      if (next === undefined) {
        for (const c of [...conns]) {
          if (c.pipes.some((p) => p.lost)) {
            c.client.destroy();
            c.upstream.destroy();
          }
        }
      }
      pumpAll();
    },
    throttle(bytesPerSecond) {
      up.setRate(bytesPerSecond);
      down.setRate(bytesPerSecond);
      pumpAll();
    },
    get bytesForwarded() {
      return toTarget + toClient;
    },
    get bytesToTarget() {
      return toTarget;
    },
    get bytesToClient() {
      return toClient;
    },
    get bytesDropped() {
      return state.dropped;
    },
    get connections() {
      return conns.size;
    },
    close() {
      up.stop();
      down.stop();
      for (const c of [...conns]) {
        c.client.destroy();
        c.upstream.destroy();
      }
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
