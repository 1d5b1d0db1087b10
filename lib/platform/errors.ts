/** Every error the product raises on purpose lives here, so callers can branch on type, not message. */

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/**
 * The request as a whole cannot be processed (maps to an HTTP status);
 * per-record problems are RecordReject values, not exceptions.
 */
export class RequestError extends Error {
  override name = 'RequestError';
  constructor(
    readonly statusCode: 400 | 401 | 403 | 404 | 405 | 413 | 415 | 431 | 503,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The outbox store could not do what was asked. */
export class OutboxError extends Error {
  override name = 'OutboxError';
  constructor(
    message: string,
    readonly retriable: boolean,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
