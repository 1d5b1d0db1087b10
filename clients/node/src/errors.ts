export type EventFailure = 'queue_full' | 'rejected' | 'gave_up' | 'closed';

/** Why event() did not deliver: the event's promise rejects with this (never with anything else). */
export class EventDeliveryError extends Error {
  override readonly name = 'EventDeliveryError';

  constructor(
    readonly code: EventFailure,
    readonly id: string,
    readonly reason: string,
  ) {
    super(`event ${id} not delivered (${code}): ${reason}`);
  }
}
