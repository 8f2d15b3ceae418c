import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { renderMessage } from './console/renderText.ts';
import type { Message } from './pipeline/message.ts';

/** Where a posted message lives, to update it or reply in its thread. */
export interface MessageRef {
  channel: string;
  ts: string;
}

/**
 * Messages that are not a reply to a request: announcements from background work (a timed revert,
 * a workflow's progress, a release reminder). Slack in production, the terminal in the console.
 */
export interface Notifier {
  post(channel: string, message: Message, options?: { threadTs?: string }): Promise<MessageRef>;
  update(ref: MessageRef, message: Message): Promise<void>;
  /** A direct message to a person (by Slack id when known, else by e-mail). */
  direct(to: { slackUserId?: string | null; email: string }, message: Message): Promise<void>;
}

/** Writes what would be posted to the log: for one-shot commands, which have nowhere to post. */
export class LogNotifier implements Notifier {
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  async post(channel: string, message: Message, options: { threadTs?: string } = {}): Promise<MessageRef> {
    this.#log.info(
      { channel, threadTs: options.threadTs, text: message.text },
      'message (not posted: no Slack)',
    );
    return { channel, ts: `${Date.now() / 1000}` };
  }

  async update(ref: MessageRef, message: Message): Promise<void> {
    this.#log.info({ ...ref, text: message.text }, 'message update (not posted: no Slack)');
  }

  async direct(to: { email: string }, message: Message): Promise<void> {
    this.#log.info({ to: to.email, text: message.text }, 'direct message (not sent: no Slack)');
  }
}

/**
 * The console's notifier: prints what would be posted, marked with where it would go. Buttons in
 * such messages are shown but not pressable (they belong to no request of this session).
 */
export class ConsoleNotifier implements Notifier {
  readonly #out: Writable;
  #next = 1;

  constructor(out: Writable) {
    this.#out = out;
  }

  #print(prefix: string, message: Message): void {
    this.#out.write(`${prefix} ${renderMessage(message, () => 0).replace(/\[0\] /g, '')}\n`);
  }

  async post(channel: string, message: Message, options: { threadTs?: string } = {}): Promise<MessageRef> {
    const ts = `${Date.now() / 1000}.${String(this.#next++).padStart(6, '0')}`;
    this.#print(options.threadTs ? `[${channel}, in thread]` : `[${channel}]`, message);
    return { channel, ts };
  }

  async update(ref: MessageRef, message: Message): Promise<void> {
    this.#print(`[${ref.channel}, updated]`, message);
  }

  async direct(to: { email: string }, message: Message): Promise<void> {
    this.#print(`[direct to ${to.email}]`, message);
  }
}
