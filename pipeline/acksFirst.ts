/** The longest a command's work waits behind a burst of acknowledgements. */
export const MAX_WAIT_BEHIND_ACKS_MS = 10_000;

/**
 * Under a burst, acknowledgements first. Slack waits 3 seconds for each; what a command does after
 * its acknowledgement (a confirmation's reads, the change itself, the announcement) can wait a
 * little. Such work starts only while no acknowledgement is being prepared — one piece at a time,
 * each on a later turn of the event loop, so a request that arrives in between goes first — or
 * after `maxWaitMs` whatever happens, so a long burst delays it but never starves it. Work already
 * started is not interrupted.
 */
export class AcksFirst {
  readonly #maxWaitMs: number;
  #acking = 0;
  /** Oldest first. */
  readonly #waiting = new Set<() => void>();
  #pumping = false;

  constructor(maxWaitMs: number) {
    this.#maxWaitMs = maxWaitMs;
  }

  /** Requests whose acknowledgement is being prepared now. */
  get acking(): number {
    return this.#acking;
  }

  /** A request that must be acknowledged has arrived; the function returned says it was (once). */
  arrived(): () => void {
    this.#acking++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#acking--;
      if (this.#acking === 0) this.#pump();
    };
  }

  /** Resolves when work after an acknowledgement may start. */
  async turn(): Promise<void> {
    if (this.#acking === 0 && this.#waiting.size === 0) return;
    await new Promise<void>((resolve) => {
      const go = () => {
        clearTimeout(timer);
        this.#waiting.delete(go);
        resolve();
      };
      const timer = setTimeout(go, this.#maxWaitMs);
      this.#waiting.add(go);
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    const next = () => {
      const first = this.#waiting.values().next();
      if (this.#acking > 0 || first.done) {
        this.#pumping = false;
        return;
      }
      first.value();
      setImmediate(next);
    };
    setImmediate(next);
  }
}
