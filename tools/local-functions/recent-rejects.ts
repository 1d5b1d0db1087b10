/**
 * The last rejected records and refused requests, with their reasons, as the functions answered
 * them over HTTP. The HTTP path logs no line per rejected record (the sender gets the reason in
 * the response), so the answers are the one place these reasons exist.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export interface RejectEntry {
  at: number;
  /** The request path, e.g. /v1/logs. */
  route: string;
  /** HTTP status of the whole answer (207, 400, 401, ...). */
  httpStatus: number;
  /** 'record': one record of the request was rejected; 'request': the whole request was refused. */
  scope: 'record' | 'request';
  /** The record's position in the request (scope 'record'). */
  index?: number;
  tier?: string;
  code?: string;
  reason: string;
}

interface AnswerBody {
  results?: { index?: unknown; status?: unknown; tier?: unknown; code?: unknown; reason?: unknown }[];
  error?: { code?: unknown; message?: unknown };
}

/** A reason can quote a whole record line: the table shows the start. */
const MAX_REASON_CHARS = 300;

export class RecentRejects {
  private readonly entries: RejectEntry[] = [];
  /** Rejected records and refused requests seen in this session, also those no longer kept. */
  total = 0;

  constructor(private readonly keep = 50) {}

  /** Looks at one function answer; a 200 accepted every record, so only other answers are read. */
  record(route: string, result: APIGatewayProxyStructuredResultV2, at = Date.now()): void {
    const httpStatus = result.statusCode ?? 200;
    if (httpStatus === 200 || typeof result.body !== 'string') return;
    let body: AnswerBody;
    try {
      const text = result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString('utf8') : result.body;
      body = JSON.parse(text) as AnswerBody;
    } catch {
      return;
    }
    if (Array.isArray(body.results)) {
      const rejected = body.results.filter((r) => r?.status === 'rejected');
      this.total += rejected.length;
      for (const r of rejected.slice(-this.keep)) {
        this.push({
          at,
          route,
          httpStatus,
          scope: 'record',
          ...(typeof r.index === 'number' && { index: r.index }),
          ...(typeof r.tier === 'string' && { tier: r.tier }),
          ...(typeof r.code === 'string' && { code: r.code }),
          reason: clip(typeof r.reason === 'string' ? r.reason : 'rejected (no reason given)'),
        });
      }
    } else if (body.error && httpStatus >= 400 && httpStatus < 500) {
      // 5xx means "retry later", not a verdict on the records.
      this.total++;
      this.push({
        at,
        route,
        httpStatus,
        scope: 'request',
        ...(typeof body.error.code === 'string' && { code: body.error.code }),
        reason: clip(typeof body.error.message === 'string' ? body.error.message : `HTTP ${httpStatus}`),
      });
    }
  }

  /** Newest first. */
  list(): RejectEntry[] {
    return [...this.entries].reverse();
  }

  private push(entry: RejectEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.keep) this.entries.shift();
  }
}

function clip(text: string): string {
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS - 1)}…` : text;
}
