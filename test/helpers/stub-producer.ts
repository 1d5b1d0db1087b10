import type { Producer, SendOptions, SendResult, TopicBatch } from '../../lib/domain/kafka';

/** A Producer whose send is the test's; the rest answers like an idle, connected producer. */
export function stubProducer(send: Producer['send']): Producer {
  return {
    instanceId: 'fake',
    disconnect: async () => undefined,
    send,
  };
}

/** A stub whose sends answer `result` and are kept, with their options, in `calls`. */
export function recordingProducer(result: (batches: readonly TopicBatch[]) => SendResult) {
  const calls: { batches: readonly TopicBatch[]; opts: SendOptions }[] = [];
  const producer = stubProducer(async (batches, opts) => {
    calls.push({ batches, opts });
    return result(batches);
  });
  return { producer, calls };
}
