/** Input limits, enforced by the sources and the HTTP adapter; every one is configurable and tested at its boundary. */
export interface Limits {
  /** Raw request body as received (compressed or not). Lambda's synchronous payload cap is 6 MB. */
  maxBodyBytes: number;
  /** Body after gunzip; the gzip-bomb guard. */
  maxDecodedBytes: number;
  /** Records in one request or envelope. */
  maxRecords: number;
  /** One record's value in bytes (Kafka message.max.bytes defaults to ~1 MB). */
  maxRecordBytes: number;
  /** HTTP request headers per request (API Gateway passes ~10 of its own). */
  maxHeaders: number;
  /** Sum of HTTP header name and value lengths. */
  maxHeaderBytes: number;
  /**
   * Nesting depth of a record object (the record itself is depth 1). Deeper JSON is rejected per
   * record: re-serialising it would overflow the stack (JSON.stringify recurses) and most
   * consumers' parsers have the same weakness.
   */
  maxJsonDepth: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxBodyBytes: 6 * 1024 * 1024,
  maxDecodedBytes: 6 * 1024 * 1024,
  maxRecords: 10_000,
  maxRecordBytes: 1_000_000,
  maxHeaders: 64,
  maxHeaderBytes: 16 * 1024,
  maxJsonDepth: 32,
});
