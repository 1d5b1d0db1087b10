/**
 * Kinesis Data Streams events as Lambda's event source mapping delivers them (AWS Lambda developer
 * guide, "Using Lambda with Kinesis", example event): `Records[]` of
 *   { kinesis: { kinesisSchemaVersion, partitionKey, sequenceNumber, data: base64,
 *                approximateArrivalTimestamp: epoch seconds with ms fraction },
 *     eventSource: "aws:kinesis", eventVersion: "1.0", eventID: "<shardId>:<sequenceNumber>",
 *     eventName: "aws:kinesis:record", invokeIdentityArn, awsRegion, eventSourceARN }
 * One batch holds records of one shard, sequence numbers increasing.
 */
import type { CloudWatchLogsDecodedData, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { ACCOUNT_ID, gzip } from './events';

/** The example event of the Lambda developer guide, verbatim: two text records of shard 6. */
export const AWS_KINESIS_SAMPLE: KinesisStreamEvent = {
  Records: [
    {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: '1',
        sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
        data: 'SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==',
        approximateArrivalTimestamp: 1545084650.987,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: 'shardId-000000000006:49590338271490256608559692538361571095921575989136588898',
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/lambda-role',
      awsRegion: 'us-east-2',
      eventSourceARN: 'arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream',
    },
    {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: '1',
        sequenceNumber: '49590338271490256608559692540925702759324208523137515618',
        data: 'VGhpcyBpcyBvbmx5IGEgdGVzdC4=',
        approximateArrivalTimestamp: 1545084711.166,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: 'shardId-000000000006:49590338271490256608559692540925702759324208523137515618',
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/lambda-role',
      awsRegion: 'us-east-2',
      eventSourceARN: 'arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream',
    },
  ],
};

export const STREAM_ARN = `arn:aws:kinesis:eu-west-1:${ACCOUNT_ID}:stream/game-events`;

export interface KinesisRecordInput {
  /** The record's data as the producer put it (bytes or UTF-8 text); base64-encoded here. */
  data: Buffer | string;
  partitionKey?: string;
  /** Default: the next sequence number of the shard. */
  sequenceNumber?: string;
}

export interface KinesisEventOptions {
  streamArn?: string;
  shardId?: string;
  /** Sequence number of the first record (56 digits); each next record's is larger. */
  firstSequenceNumber?: string;
  /** Epoch ms the first record arrived in the stream (default now). */
  arrivedAt?: number;
}

/** Sequence numbers step by this between records of a batch, as in the AWS sample (~2.5e30). */
const SEQUENCE_STEP = 2564131663402632534000926720n;

/** A batch of one shard's records, in the shape Lambda delivers. */
export function kinesisEvent(records: readonly KinesisRecordInput[], opts: KinesisEventOptions = {}): KinesisStreamEvent {
  const streamArn = opts.streamArn ?? STREAM_ARN;
  const region = streamArn.split(':')[3] ?? 'eu-west-1';
  const shardId = opts.shardId ?? 'shardId-000000000000';
  const first = BigInt(opts.firstSequenceNumber ?? '49590338271490256608559692538361571095921575989136588898');
  const arrivedAt = opts.arrivedAt ?? Date.now();
  return {
    Records: records.map((r, i): KinesisStreamRecord => {
      const sequenceNumber = r.sequenceNumber ?? String(first + BigInt(i) * SEQUENCE_STEP);
      const bytes = typeof r.data === 'string' ? Buffer.from(r.data, 'utf8') : r.data;
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: r.partitionKey ?? `pk-${i}`,
          sequenceNumber,
          data: bytes.toString('base64'),
          approximateArrivalTimestamp: (arrivedAt + i * 7) / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shardId}:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: `arn:aws:iam::${ACCOUNT_ID}:role/edge-forwarder-ingest`,
        awsRegion: region,
        eventSourceARN: streamArn,
      };
    }),
  };
}

/** What a CloudWatch Logs subscription filter puts into a Kinesis stream: gzip of the JSON payload, no base64. */
export function cloudWatchLogsKinesisData(payload: CloudWatchLogsDecodedData | unknown): Buffer {
  return gzip(JSON.stringify(payload));
}
