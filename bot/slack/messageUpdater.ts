import type { Logger } from 'pino';
import type { Message } from '../../pipeline/message.ts';
import type { MessageRef } from '../../pipeline/notifier.ts';

type Send = (ref: MessageRef, message: Message) => Promise<void>;

interface Slot {
  latest: Message | undefined;
  inFlight: boolean;
  timer: NodeJS.Timeout | undefined;
  lastSent: number;
  waiters: (() => void)[];
}

/**
 * Coalesces updates of one message: at most one chat.update per `minIntervalMs` per message, and
 * only the newest content is sent (intermediate states are dropped). Progress loops can update
 * as often as they like and stay inside Slack's Tier 3 limit (~50/min); a 429 is retried by the
 * Web API client after Retry-After, during which newer content replaces the queued one.
 */
export class MessageUpdater {
  readonly #send: Send;
  readonly #minIntervalMs: number;
  readonly #log: Logger;
  readonly #slots = new Map<string, Slot>();

  constructor(send: Send, minIntervalMs: number, log: Logger) {
    this.#send = send;
    this.#minIntervalMs = minIntervalMs;
    this.#log = log;
  }

  /** Resolves when this content (or newer) has been sent. */
  update(ref: MessageRef, message: Message): Promise<void> {
    const key = `${ref.channel}:${ref.ts}`;
    let slot = this.#slots.get(key);
    if (!slot) {
      slot = { latest: undefined, inFlight: false, timer: undefined, lastSent: 0, waiters: [] };
      this.#slots.set(key, slot);
    }
    slot.latest = message;
    const done = new Promise<void>((resolve) => slot.waiters.push(resolve));
    this.#schedule(key, ref, slot);
    return done;
  }

  /** Sends whatever is pending now (at shutdown). */
  async flush(): Promise<void> {
    await Promise.all(
      [...this.#slots.entries()].map(async ([key, slot]) => {
        if (slot.timer) clearTimeout(slot.timer);
        slot.timer = undefined;
        const [channel = '', ts = ''] = key.split(':');
        if (slot.latest && !slot.inFlight) await this.#flushSlot(key, { channel, ts }, slot);
      }),
    );
  }

  #schedule(key: string, ref: MessageRef, slot: Slot): void {
    if (slot.inFlight || slot.timer) return;
    const wait = Math.max(0, slot.lastSent + this.#minIntervalMs - Date.now());
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      void this.#flushSlot(key, ref, slot);
    }, wait);
  }

  async #flushSlot(key: string, ref: MessageRef, slot: Slot): Promise<void> {
    const message = slot.latest;
    if (!message) return;
    const waiters = slot.waiters.splice(0);
    slot.latest = undefined;
    slot.inFlight = true;
    try {
      await this.#send(ref, message);
    } catch (error) {
      this.#log.warn({ err: error, channel: ref.channel, ts: ref.ts }, 'message update failed');
    } finally {
      slot.inFlight = false;
      slot.lastSent = Date.now();
      for (const resolve of waiters) resolve();
      if (slot.latest) this.#schedule(key, ref, slot);
      else this.#slots.delete(key);
    }
  }
}
