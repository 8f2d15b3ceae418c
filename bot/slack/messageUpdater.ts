import type { Logger } from 'pino';
import type { Message } from '../../pipeline/message.ts';
import type { MessageRef } from '../../pipeline/notifier.ts';

/** One update; 'shown' when it was not sent because the message shows that content already. */
type Send = (ref: MessageRef, message: Message) => Promise<'sent' | 'shown'>;

interface Slot {
  latest: Message | undefined;
  inFlight: boolean;
  timer: NodeJS.Timeout | undefined;
  /** Forgets the slot once the interval since its last update has passed with nothing new. */
  idle: NodeJS.Timeout | undefined;
  lastSent: number;
  waiters: (() => void)[];
}

export interface UpdateLimits {
  /** Least time between two updates of one message (ms). */
  minIntervalMs: number;
  /** Most updates of any messages within one minute (chat.update is Tier 3: about 50 a minute per workspace). */
  perMinute: number;
}

/** Contents remembered to skip an update that would change nothing (the newest messages'). */
const REMEMBERED = 1000;

/**
 * Coalesces updates of one message: at most one chat.update per `minIntervalMs` per message, only
 * the newest content is sent (intermediate states are dropped), content equal to what the message
 * already shows is not sent at all, and no more than `perMinute` updates of any messages go out
 * within a minute — the rest wait, still coalescing. Progress loops can update as often as they
 * like and stay inside Slack's Tier 3 limit; a 429 is retried by the Web API client after
 * Retry-After, during which newer content replaces the queued one.
 */
export class MessageUpdater {
  readonly #send: Send;
  readonly #limits: UpdateLimits;
  readonly #log: Logger;
  readonly #slots = new Map<string, Slot>();
  /** What each message was last updated to (oldest first), by `channel:ts`. */
  readonly #shown = new Map<string, string>();
  /** When the updates of the last minute went out, oldest first. */
  readonly #sentAt: number[] = [];
  /**
   * Whether what this process sent last is what a message shows. Not with replicas: another may
   * have changed the message since, and content this process sent before (a service included,
   * excluded elsewhere, included here again) must then go out. `send` knows what every replica
   * left (and answers 'shown' without calling Slack).
   */
  #ownMemoryIsEnough = true;

  constructor(send: Send, limits: UpdateLimits, log: Logger) {
    this.#send = send;
    this.#limits = limits;
    this.#log = log;
  }

  /** Other replicas update the same messages: only `send` can tell what a message shows. */
  sharedWithReplicas(): void {
    this.#ownMemoryIsEnough = false;
  }

  /** Resolves when this content (or newer) has been sent, or found to be shown already. */
  update(ref: MessageRef, message: Message): Promise<void> {
    const key = `${ref.channel}:${ref.ts}`;
    let slot = this.#slots.get(key);
    if (!slot) {
      slot = {
        latest: undefined,
        inFlight: false,
        timer: undefined,
        idle: undefined,
        lastSent: 0,
        waiters: [],
      };
      this.#slots.set(key, slot);
    }
    clearTimeout(slot.idle);
    slot.idle = undefined;
    slot.latest = message;
    const done = new Promise<void>((resolve) => slot.waiters.push(resolve));
    this.#schedule(key, ref, slot);
    return done;
  }

  /** Sends whatever is pending now, without waiting for the minute's allowance (at shutdown). */
  async flush(): Promise<void> {
    await Promise.all(
      [...this.#slots.entries()].map(async ([key, slot]) => {
        if (slot.timer) clearTimeout(slot.timer);
        slot.timer = undefined;
        const [channel = '', ts = ''] = key.split(':');
        if (slot.latest && !slot.inFlight) await this.#flushSlot(key, { channel, ts }, slot, false);
      }),
    );
  }

  /** Resolves once every pending update has gone out, within the limits. */
  async drained(): Promise<void> {
    const pending = () => [...this.#slots.values()].some((s) => s.latest !== undefined || s.inFlight);
    while (pending()) await new Promise((resolve) => setTimeout(resolve, 50));
  }

  #schedule(key: string, ref: MessageRef, slot: Slot): void {
    if (slot.inFlight || slot.timer) return;
    const wait = Math.max(0, slot.lastSent + this.#limits.minIntervalMs - Date.now());
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      void this.#flushSlot(key, ref, slot, true);
    }, wait);
  }

  /** Waits until one more update fits in the last minute's allowance, and counts it; returns its time. */
  async #allowance(): Promise<number> {
    for (;;) {
      const now = Date.now();
      while (this.#sentAt.length > 0 && (this.#sentAt[0] as number) <= now - 60_000) this.#sentAt.shift();
      if (this.#sentAt.length < this.#limits.perMinute) {
        this.#sentAt.push(now);
        return now;
      }
      await new Promise((resolve) => setTimeout(resolve, (this.#sentAt[0] as number) + 60_000 - now + 1));
    }
  }

  /** Whether the message is known, without asking anyone, to show `content`. */
  #isShown(key: string, content: string): boolean {
    return this.#ownMemoryIsEnough && content === this.#shown.get(key);
  }

  async #flushSlot(key: string, ref: MessageRef, slot: Slot, limited: boolean): Promise<void> {
    if (!slot.latest) return;
    slot.inFlight = true;
    let sent = false;
    const waiters: (() => void)[] = [];
    let allowed: number | undefined;
    /** Whether Slack was called (a failed call counts: it may have reached Slack). */
    let called = false;
    try {
      if (!this.#isShown(key, JSON.stringify(slot.latest)) && limited) allowed = await this.#allowance();
      // The newest content once allowed (it may have changed while waiting).
      const message = slot.latest;
      waiters.push(...slot.waiters.splice(0));
      slot.latest = undefined;
      const content = JSON.stringify(message);
      if (!message || this.#isShown(key, content)) return;
      called = true;
      sent = (await this.#send(ref, message)) === 'sent';
      called = sent;
      this.#shown.delete(key);
      this.#shown.set(key, content);
      if (this.#shown.size > REMEMBERED) this.#shown.delete(this.#shown.keys().next().value ?? '');
    } catch (error) {
      this.#log.warn({ err: error, channel: ref.channel, ts: ref.ts }, 'message update failed');
    } finally {
      // An update not sent (the message showed it already, maybe as another replica left it)
      // gives its turn back.
      if (!called && allowed !== undefined) {
        const at = this.#sentAt.indexOf(allowed);
        if (at >= 0) this.#sentAt.splice(at, 1);
      }
      slot.inFlight = false;
      if (sent) slot.lastSent = Date.now();
      for (const resolve of waiters) resolve();
      if (slot.latest) this.#schedule(key, ref, slot);
      else {
        // Kept until the interval has passed, so an update right after this one still waits.
        const forget = () => {
          if (!slot.latest && !slot.inFlight && !slot.timer) this.#slots.delete(key);
        };
        const wait = slot.lastSent + this.#limits.minIntervalMs - Date.now();
        if (wait > 0) slot.idle = setTimeout(forget, wait).unref();
        else forget();
      }
    }
  }
}
