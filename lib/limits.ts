/** Input limits, enforced by the sources; every one is configurable and tested at its boundary. */
export interface Limits {
  /** Raw request body as received (compressed or not). Lambda's synchronous payload cap is 6 MB. */
  maxBodyBytes: number;
  /** Body after gunzip; the gzip-bomb guard. */
  maxDecodedBytes: number;
  /** Records in one request or envelope. */
  maxRecords: number;
  /** One record's value in bytes (Kafka message.max.bytes defaults to ~1 MB). */
  maxRecordBytes: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxBodyBytes: 6 * 1024 * 1024,
  maxDecodedBytes: 6 * 1024 * 1024,
  maxRecords: 10_000,
  maxRecordBytes: 1_000_000,
});
