import type { SharedState } from '../shared-state/shared-state.js';

/**
 * What this instance knows of the storage areas (`account\0area`) for one kind of row, dead
 * properties or locks: that an area holds none, or that it holds some. Most areas never hold
 * either, and every PROPFIND and most writes would otherwise ask the database for them. The
 * stores share this one mechanism (DavPropertyStore, DavLockStore).
 *
 * Only an insert, or what brings a row back (a lock's refresh), can make "holds none" wrong, so
 * each runs through `adding`: the area is forgotten here before and after it (a look-up that
 * overlapped it does not keep what it found: `mark`/`learn`), and on every instance through a
 * shared-state broadcast, published after the change (committed) and before it is answered.
 * Deleting rows leaves what is known ("holds some" only means "ask"; expired locks are no rows to
 * a reader). As the other broadcast caches (tagged-cache.ts), it fails closed: while broadcasts
 * may go unheard nothing is answered from it, and when they flow again it starts over.
 *
 * Another instance hears of an insert when the broadcast arrives: until then (on one instance,
 * never) it may still answer "holds none". Each store says where that is harmless.
 */
export class KnownAreas {
  /** `account\0area` → whether it holds rows; bounded by clearing. */
  private readonly known = new Map<string, boolean>();
  /** Counts changes here and announced ones: a look-up that overlapped one keeps nothing. */
  private changes = 0;

  constructor(
    private readonly state: SharedState,
    private readonly channel: string,
  ) {
    state.onBroadcastRestored(() => this.forgetAll());
  }

  /** Listens for the other instances' changes (a module's onModuleInit). */
  subscribe(): Promise<void> {
    return this.state.subscribe(this.channel, (key) => this.forget(key));
  }

  /** Whether the area holds rows, when known and broadcasts are heard; undefined: ask the database. */
  get(accountId: string, area: string): boolean | undefined {
    if (!this.state.broadcastLive()) return undefined;
    return this.known.get(areaKey(accountId, area));
  }

  /** To pass to `learn` with what a look-up started now found. */
  mark(): number {
    return this.changes;
  }

  /** What a look-up started at `since` (mark) found, kept unless a change overlapped it or broadcasts may go unheard. */
  learn(accountId: string, area: string, holds: boolean, since: number): void {
    if (this.changes !== since || !this.state.broadcastLive()) return;
    if (this.known.size >= 100_000) this.known.clear();
    this.known.set(areaKey(accountId, area), holds);
  }

  /**
   * Runs `change` (which may add rows to the area, committed when it settles) so that no
   * instance keeps the area as holding none: forgotten here before and after it, announced to
   * all after it.
   */
  async adding<T>(accountId: string, area: string, change: () => Promise<T>): Promise<T> {
    const key = areaKey(accountId, area);
    this.forget(key);
    try {
      return await change();
    } finally {
      this.forget(key);
      await this.state.publish(this.channel, key);
    }
  }

  private forget(key: string): void {
    this.changes++;
    this.known.delete(key);
  }

  private forgetAll(): void {
    this.changes++;
    this.known.clear();
  }
}

function areaKey(accountId: string, area: string): string {
  return `${accountId}\u0000${area}`;
}
