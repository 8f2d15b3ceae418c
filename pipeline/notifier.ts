import type { Logger } from 'pino';
import type { Message } from './message.ts';

/**
 * Where a posted message lives, to update it or reply in its thread. `channel` is the ID Slack
 * answered with; references stored before dpbot kept IDs may hold the configured name
 * (`#releases`), which Slack's notifier looks up when it updates them.
 */
export interface MessageRef {
  channel: string;
  ts: string;
}

/**
 * Whether a channel is written as an ID (`C0123ABCD`; `G…` for older private channels, `D…` for
 * direct messages) rather than a name: Slack's channel names are lower-case
 * (https://slack.com/help/articles/201402297), its IDs upper-case.
 */
export function isChannelId(channel: string): boolean {
  return /^[CGD][A-Z0-9]{2,}$/.test(channel);
}

/** A channel as mrkdwn shows it: an ID as a link Slack shows with the channel's name, a name as written. */
export function channelMention(channel: string): string {
  return isChannelId(channel) ? `<#${channel}>` : channel;
}

/**
 * Messages that are not a reply to a request: announcements from background work (a timed revert,
 * a workflow's progress, a release reminder). Slack in production, the terminal in the console.
 */
export interface Notifier {
  /** `channel` may be a name (`#releases`) or an ID; the reference returned holds the ID. */
  post(channel: string, message: Message, options?: { threadTs?: string }): Promise<MessageRef>;
  /**
   * Edits the message in place. Resolves to where the message is now: `ref` with the channel's
   * ID, or a new message when the old one was gone and had to be posted again — a caller that
   * stores the reference stores this one.
   */
  update(ref: MessageRef, message: Message): Promise<MessageRef>;
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

  async update(ref: MessageRef, message: Message): Promise<MessageRef> {
    this.#log.info({ ...ref, text: message.text }, 'message update (not posted: no Slack)');
    return ref;
  }

  async direct(to: { email: string }, message: Message): Promise<void> {
    this.#log.info({ to: to.email, text: message.text }, 'direct message (not sent: no Slack)');
  }
}
