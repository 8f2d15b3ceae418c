import type { Logger } from 'pino';
import type { Message } from './message.ts';

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
