/**
 * Signed requests seen recently, per container (first version: a replay sent to a different
 * container, or to this one after a cold start, is not caught; a shared DynamoDB conditional put
 * would be the next step). An entry is only needed until its timestamp leaves the replay window:
 * after that the timestamp check refuses the request anyway.
 */
export class ReplayCache {
  /** key → epoch ms after which it may be forgotten; Map keeps insertion order for eviction. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries: number) {}

  /** Records the key; false if it was already there (a replay). */
  claim(key: string, forgetAfter: number, now: number): boolean {
    const until = this.seen.get(key);
    if (until !== undefined && until >= now) return false;
    if (this.seen.size >= this.maxEntries) this.evict(now);
    this.seen.set(key, forgetAfter);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  /**
   * Drops expired entries; if the cache is still full (a flood of valid signed requests), the
   * oldest inserted go: memory stays bounded, at the price of possibly missing a replay of them.
   */
  private evict(now: number): void {
    for (const [k, until] of this.seen) if (until < now) this.seen.delete(k);
    const excess = this.seen.size - Math.floor(this.maxEntries * 0.9);
    if (excess <= 0) return;
    let n = 0;
    for (const k of this.seen.keys()) {
      if (n++ >= excess) break;
      this.seen.delete(k);
    }
  }
}
