import type { Producer } from '../../lib/kafka/types';

/** A Producer whose send is the test's; the rest answers like an idle, connected producer. */
export function stubProducer(send: Producer['send']): Producer {
  return {
    instanceId: 'fake',
    connects: () => 1,
    bufferedBytes: () => 0,
    lastFlush: () => undefined,
    disconnect: async () => undefined,
    send,
  };
}
