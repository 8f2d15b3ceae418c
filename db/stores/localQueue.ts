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
