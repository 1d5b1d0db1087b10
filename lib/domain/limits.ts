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
  /**
   * How far before / after the receive time a record's own timestamp may lie to become its Kafka
   * timestamp; outside this window the receive time is used (lib/sources/record-fields.ts). The
   * Kafka timestamp drives time-based retention, so a client must not be able to choose it freely.
   */
  maxTimestampPastMs: number;
  maxTimestampFutureMs: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxBodyBytes: 6 * 1024 * 1024,
  maxDecodedBytes: 6 * 1024 * 1024,
  maxRecords: 10_000,
  maxRecordBytes: 1_000_000,
  maxHeaders: 64,
  maxHeaderBytes: 16 * 1024,
  maxJsonDepth: 32,
  // 7 days covers a game server that was offline for a week; CloudWatch Logs itself takes events
  // up to 14 days old, which then keep their time in the payload and get the receive time in Kafka.
  maxTimestampPastMs: 7 * 24 * 3_600_000,
  // Clock skew, not event time: nothing legitimate happens an hour from now.
  maxTimestampFutureMs: 3_600_000,
});

/** The part of the limits that bounds record timestamps (sources) and the topics' timestamp guards (tiers). */
export type TimestampWindow = Pick<Limits, 'maxTimestampPastMs' | 'maxTimestampFutureMs'>;
