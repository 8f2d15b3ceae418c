import type { Writable } from 'node:stream';
import type { Message, MessageHandle } from '../../pipeline/message.ts';
import type { MessageRef, Notifier } from '../../pipeline/notifier.ts';
import { type RenderedButton, renderMessage } from './renderText.ts';

export interface Pressable extends RenderedButton {
  handle: MessageHandle;
}

/**
 * What the terminal shows: replies to typed commands and messages from background work alike,
 * with every button numbered, so a Start button on a release reminder can be pressed by typing
 * its number just like a Confirm button on a reply.
 */
export class ConsoleSurface {
  readonly #out: Writable;
  readonly #buttons = new Map<number, Pressable>();
  #next = 1;
  #ts = 1;

  constructor(out: Writable) {
    this.#out = out;
  }

  write(text: string): void {
    this.#out.write(`${text}\n`);
  }

  print(message: Message, handle: MessageHandle, prefix: string): void {
    const text = renderMessage(message, (b) => {
      const n = this.#next++;
      this.#buttons.set(n, { ...b, handle });
      return n;
    });
    this.write(`${prefix}${text}`);
  }

  button(n: number): Pressable | undefined {
    return this.#buttons.get(n);
  }

  /** Background messages, marked with where they would have been posted. */
  notifier(): Notifier {
    const update = async (ref: MessageRef, message: Message) =>
      this.print(message, this.#handle(ref), `[${ref.channel}, updated] `);
    return {
      post: async (channel, message, options = {}) => {
        const ref = {
          channel,
          ts: `${Math.floor(Date.now() / 1000)}.${String(this.#ts++).padStart(6, '0')}`,
        };
        this.print(
          message,
          this.#handle(ref),
          options.threadTs ? `[${channel}, in thread] ` : `[${channel}] `,
        );
        return ref;
      },
      update,
      direct: async (to, message) => {
        const ref = { channel: `@${to.email}`, ts: String(this.#ts++) };
        this.print(message, this.#handle(ref), `[direct to ${to.email}] `);
      },
    };
  }

  #handle(ref: MessageRef): MessageHandle {
    return { ref, update: async (m) => this.print(m, this.#handle(ref), `[${ref.channel}, updated] `) };
  }
}
