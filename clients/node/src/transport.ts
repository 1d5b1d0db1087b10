import * as http from 'node:http';
import * as https from 'node:https';

export interface HttpAnswer {
  status: number;
  body: Buffer;
}

export interface Transport {
  /** Resolves with any HTTP answer (4xx and 5xx included); rejects on a network error or timeout. */
  post(path: string, headers: Readonly<Record<string, string>>, body: Buffer): Promise<HttpAnswer>;
  /** Aborts the requests in flight and closes the pooled connections. */
  destroy(): void;
}

/** Answers larger than this are not ours (one result per record is ~100 bytes). */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** node:http(s) with keep-alive connections (idle ones do not keep the process alive). */
export function httpTransport(base: URL, opts: { timeoutMs: number; maxSockets: number }): Transport {
  const secure = base.protocol === 'https:';
  const agent = secure ? new https.Agent({ keepAlive: true, maxSockets: opts.maxSockets }) : new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets });
  const aborts = new AbortController();
  const request = secure ? https.request : http.request;
  const hostname = base.hostname.replace(/^\[(.*)\]$/, '$1'); // URL keeps IPv6 brackets, node:http wants none

  return {
    post(path, headers, body) {
      return new Promise<HttpAnswer>((resolve, reject) => {
        const req = request({
          hostname,
          port: base.port || undefined,
          path,
          method: 'POST',
          headers: { ...headers, 'content-length': String(body.length) },
          agent,
          signal: aborts.signal,
        });
        const timer = setTimeout(() => req.destroy(new Error(`no complete answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
        const fail = (err: Error) => {
          clearTimeout(timer);
          reject(err);
        };
        req.once('error', fail);
        req.once('response', (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES) req.destroy(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
            else chunks.push(chunk);
          });
          res.once('error', fail);
          res.once('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) });
          });
          res.once('close', () => {
            if (!res.complete) fail(new Error('connection closed before the answer was complete'));
          });
        });
        req.end(body);
      });
    },
    destroy() {
      aborts.abort();
      agent.destroy();
    },
  };
}
