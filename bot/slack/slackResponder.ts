import type { RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Message, MessageHandle, Responder } from '../../pipeline/message.ts';
import type { Notifier } from '../../pipeline/notifier.ts';
import { slackPayload } from './broadcasts.ts';

/** A response_url takes at most 5 messages within 30 minutes; past that, the Web API is used. */
const RESPONSE_URL_LIMIT = 5;

export interface SlackResponderOptions {
  notifier: Notifier;
  client: WebClient;
  /** The channel the request came from (null for App Home and direct surfaces). */
  channel: string | null;
  userId: string;
  respond?: RespondFn;
  log: Logger;
}

/**
 * Delivers one request's messages. Announcements (`in_channel`) are posted with chat.postMessage
 * so they can be updated in place; ephemeral replies go through the request's response_url while
 * it lasts, then chat.postEphemeral, then a direct message.
 */
export class SlackResponder implements Responder {
  readonly #o: SlackResponderOptions;
  #responses = 0;

  constructor(options: SlackResponderOptions) {
    this.#o = options;
  }

  async send(message: Message): Promise<MessageHandle> {
    const { notifier, channel, log } = this.#o;
    if (message.visibility === 'in_channel' && channel) {
      try {
        const ref = await notifier.post(channel, message);
        return {
          ref,
          update: async (next) => {
            await notifier.update(ref, next);
          },
        };
      } catch (error) {
        if (!this.#o.respond) throw error;
        log.warn(
          { err: error, channel },
          'could not post in the channel; answering through the response URL',
        );
      }
    }
    await this.#ephemeral(message);
    // Ephemeral messages cannot be edited with the Web API: an update is sent as a new message.
    return { update: (next) => this.#ephemeral({ ...next, visibility: message.visibility ?? 'ephemeral' }) };
  }

  async #ephemeral(message: Message): Promise<void> {
    const { respond, client, channel, userId, notifier, log } = this.#o;
    const payload = slackPayload(message);
    if (respond && this.#responses < RESPONSE_URL_LIMIT) {
      this.#responses++;
      await respond({
        ...payload,
        response_type: message.visibility === 'in_channel' ? 'in_channel' : 'ephemeral',
        replace_original: false,
      });
      return;
    }
    if (channel) {
      try {
        await client.chat.postEphemeral({ channel, user: userId, ...payload });
        return;
      } catch (error) {
        log.warn({ err: error, channel }, 'could not post an ephemeral message; sending a direct message');
      }
    }
    await notifier.direct({ slackUserId: userId, email: '' }, message);
  }
}

/** Text of a slash command as typed: Slack escapes &, < and > in it. */
export function decodeSlackText(text: string): string {
  return text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}
