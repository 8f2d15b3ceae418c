import type { RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Message, MessageHandle, Responder } from '../../pipeline/message.ts';
import type { Notifier } from '../../pipeline/notifier.ts';
import { slackPayload } from './broadcasts.ts';

/**
 * A response_url takes at most 5 messages within 30 minutes of the request
 * (https://docs.slack.dev/interactivity/handling-user-interaction); past that — or once it refuses
 * one — the Web API is used. The last minute is left out, for the time a reply takes to get there.
 */
const RESPONSE_URL_LIMIT = 5;
const RESPONSE_URL_LIFETIME_MS = 29 * 60_000;

export interface SlackResponderOptions {
  notifier: Notifier;
  client: WebClient;
  /** The channel the request came from (null for App Home and direct surfaces). */
  channel: string | null;
  userId: string;
  respond?: RespondFn;
  /**
   * Whether `respond` belongs to a slash command, whose response_url's `replace_original` acts on
   * the newest message it produced (an interaction's acts on the message clicked instead).
   */
  ownReplies?: boolean;
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
  /** Messages sent through the response_url so far: an update replaces only the newest. */
  #viaUrl = 0;
  /** When the request arrived: the response_url's 30 minutes count from then. */
  readonly #received = Date.now();

  constructor(options: SlackResponderOptions) {
    this.#o = options;
  }

  /**
   * Sends through the response_url while it lasts; false when it is used up, too old, or refused
   * the message (then it is not tried again).
   */
  async #respond(body: Parameters<RespondFn>[0]): Promise<boolean> {
    const { respond, log } = this.#o;
    if (!respond || this.#responses >= RESPONSE_URL_LIMIT) return false;
    if (Date.now() - this.#received >= RESPONSE_URL_LIFETIME_MS) return false;
    this.#responses++;
    try {
      await respond(body);
      return true;
    } catch (error) {
      this.#responses = RESPONSE_URL_LIMIT;
      log.warn(
        { err: error },
        'the response URL refused a reply (used up or expired); answering with the Web API',
      );
      return false;
    }
  }

  /**
   * Replaces the ephemeral message a button sat on (only its response_url can); once that is
   * spent, the new content comes as a new ephemeral message.
   */
  async replaceOriginal(message: Message): Promise<void> {
    const payload = slackPayload(message);
    if (await this.#respond({ ...payload, replace_original: true })) return;
    await this.#ephemeral(message);
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
    const viaUrl = await this.#ephemeral(message);
    // Ephemeral messages cannot be edited with the Web API. A slash command's response_url
    // replaces the newest message it produced, so a progress message is kept in place while it
    // is the newest and the URL lasts; otherwise an update comes as a new message.
    let mine = viaUrl && this.#o.ownReplies ? this.#viaUrl : undefined;
    return {
      update: async (next) => {
        const visibility = message.visibility ?? 'ephemeral';
        if (mine !== undefined && mine === this.#viaUrl) {
          const replaced = await this.#respond({
            ...slackPayload(next),
            response_type: visibility === 'in_channel' ? 'in_channel' : 'ephemeral',
            replace_original: true,
          });
          if (replaced) return;
        }
        mine =
          (await this.#ephemeral({ ...next, visibility })) && this.#o.ownReplies ? this.#viaUrl : undefined;
      },
    };
  }

  /** Sends an ephemeral message; true when it went through the response_url. */
  async #ephemeral(message: Message): Promise<boolean> {
    const { client, channel, userId, notifier, log } = this.#o;
    const payload = slackPayload(message);
    const responded = await this.#respond({
      ...payload,
      response_type: message.visibility === 'in_channel' ? 'in_channel' : 'ephemeral',
      replace_original: false,
    });
    if (responded) {
      this.#viaUrl++;
      return true;
    }
    if (channel) {
      try {
        await client.chat.postEphemeral({ channel, user: userId, ...payload });
        return false;
      } catch (error) {
        // user_not_in_channel, channel_not_found (a conversation dpbot is not in): the person
        // still gets the answer, as a direct message.
        log.warn({ err: error, channel }, 'could not post an ephemeral message; sending a direct message');
      }
    }
    await notifier.direct({ slackUserId: userId, email: '' }, message);
    return false;
  }
}

/** Text of a slash command as typed: Slack escapes &, < and > in it. */
export function decodeSlackText(text: string): string {
  return text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}
