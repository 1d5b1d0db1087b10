/**
 * Which submitted records are not settled yet, so flush() can wait for "everything submitted
 * before this call" while new records keep arriving.
 */
export class Settlement {
  // Sequence numbers are added in increasing order and a Set iterates in insertion order, so
  // its first element is always the oldest unsettled record.
  private readonly unsettled = new Set<number>();
  private readonly waiters = new Set<{ before: number; resolve: () => void }>();
  private next = 0;

  open(): number {
    const seq = this.next++;
    this.unsettled.add(seq);
    return seq;
  }

  settle(seq: number): void {
    this.unsettled.delete(seq);
    const oldest = this.oldest();
    for (const w of this.waiters) {
      if (w.before <= oldest) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }

  /** Records held now. */
  get size(): number {
    return this.unsettled.size;
  }

  /** A mark for "everything opened so far". */
  mark(): number {
    return this.next;
  }

  /** Resolves once every record opened before `mark` is settled. */
  whenSettled(mark: number): { done: Promise<void>; cancel(): void } {
    if (mark <= this.oldest()) return { done: Promise.resolve(), cancel: () => undefined };
    let waiter!: { before: number; resolve: () => void };
    const done = new Promise<void>((resolve) => (waiter = { before: mark, resolve }));
    this.waiters.add(waiter);
    return { done, cancel: () => void this.waiters.delete(waiter) };
  }

  /** How many records opened before `mark` are still unsettled. */
  countBefore(mark: number): number {
    let n = 0;
    for (const seq of this.unsettled) {
      if (seq >= mark) break;
      n++;
    }
    return n;
  }

  private oldest(): number {
    const first = this.unsettled.values().next();
    return first.done ? this.next : first.value;
  }
}
