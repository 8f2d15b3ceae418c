/**
 * First come, first served turns per key within one process, with a bounded wait. Used in front
 * of a database lock so that waiting for it does not take a pooled connection per waiter: the
 * holder needs the pool too, and a pool full of waiters would starve it.
 */
export class LocalQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /**
   * Waits until every earlier holder of `key` has left, at most `timeoutMs`. Resolves with the
   * function that ends this turn (call it exactly once), or null when the wait timed out.
   */
  async enter(key: string, timeoutMs: number): Promise<(() => void) | null> {
    const before = this.#tails.get(key) ?? Promise.resolve();
    let open: () => void = () => undefined;
    const turn = new Promise<void>((resolve) => {
      open = resolve;
    });
    const tail = before.then(() => turn);
    this.#tails.set(key, tail);
    const leave = () => {
      open();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), timeoutMs);
    });
    const outcome = await Promise.race([before.then(() => 'ready' as const), expired]);
    clearTimeout(timer);
    if (outcome === 'ready') return leave;
    // Give up the place in line without holding up those behind: the turn ends as it comes.
    void before.then(leave);
    return null;
  }
}

/**
 * At most `capacity` holders at once within one process, first come, first served, with a bounded
 * wait: so that the holders of database transactions never take every pooled connection.
 */
export class LocalSlots {
  readonly #capacity: number;
  #taken = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(capacity: number) {
    this.#capacity = Math.max(1, Math.floor(capacity));
  }

  /** Resolves with the function that gives the slot back (call it exactly once), or null on timeout. */
  async take(timeoutMs: number): Promise<(() => void) | null> {
    if (this.#taken < this.#capacity && this.#waiting.length === 0) {
      this.#taken++;
      return this.#giveBack();
    }
    let timer: NodeJS.Timeout | undefined;
    let wake: () => void = () => undefined;
    const granted = new Promise<'granted'>((resolve) => {
      wake = () => resolve('granted');
    });
    this.#waiting.push(wake);
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), timeoutMs);
    });
    const outcome = await Promise.race([granted, expired]);
    clearTimeout(timer);
    if (outcome === 'granted') return this.#giveBack();
    const at = this.#waiting.indexOf(wake);
    if (at !== -1) {
      this.#waiting.splice(at, 1);
      return null;
    }
    // Granted at the moment it expired: the slot is ours, so hand it on.
    this.#giveBack()();
    return null;
  }

  #giveBack(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.#waiting.shift();
      // The slot passes straight to the next in line; otherwise it is free again.
      if (next) next();
      else this.#taken--;
    };
  }
}
