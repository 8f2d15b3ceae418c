import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { UpstreamError } from '../../core/errors.ts';
import { isSlackError, slackError } from '../../integrations/slack/slackErrors.ts';
import type { Message } from '../../pipeline/message.ts';
import type { MessageRef, Notifier } from '../../pipeline/notifier.ts';
import { slackPayload } from './broadcasts.ts';
import { MessageUpdater } from './messageUpdater.ts';

/** chat.postMessage allows about one message per second per channel (Slack's rate limits). */
const POST_INTERVAL_MS = 1000;
/** chat.update is Tier 3, about 50 calls a minute per app and workspace: 45 leaves room for the
 * time between taking an allowance and the call reaching Slack. */
const UPDATES_PER_MINUTE = 45;

/**
 * Posts and updates messages with the Web API. Posts to one channel (thread replies included) go
 * out one at a time, a second apart, so a burst — a release posting a message per service — stays
 * within Slack's per-channel limit instead of meeting 429s; updates are coalesced and limited by
 * MessageUpdater. Both are per process: replicas each keep their own pace.
 */
export class SlackNotifier implements Notifier {
  readonly #client: WebClient;
  readonly #updater: MessageUpdater;
  readonly #postIntervalMs: number;
  /** Per channel: the previous post (settled) and when it was answered. */
  readonly #channels = new Map<string, { previous: Promise<unknown>; answeredAt: number }>();

  constructor(
    client: WebClient,
    options: { updateIntervalMs: number; log: Logger; postIntervalMs?: number; updatesPerMinute?: number },
  ) {
    this.#client = client;
    this.#postIntervalMs = options.postIntervalMs ?? POST_INTERVAL_MS;
    this.#updater = new MessageUpdater(
      async (ref, message) => {
        const { text, blocks } = slackPayload(message);
        // An update without blocks must clear the old ones, so blocks are always sent.
        await this.#client.chat.update({ channel: ref.channel, ts: ref.ts, text, blocks: blocks ?? [] });
      },
      {
        minIntervalMs: options.updateIntervalMs,
        perMinute: options.updatesPerMinute ?? UPDATES_PER_MINUTE,
      },
      options.log,
    );
  }

  /** Runs `send` after the channel's previous post was answered and the post interval has passed. */
  #paced<T>(channel: string, send: () => Promise<T>): Promise<T> {
    const before = this.#channels.get(channel);
    const pace = { previous: Promise.resolve() as Promise<unknown>, answeredAt: 0 };
    const mine = (async () => {
      await before?.previous;
      const wait = (before?.answeredAt ?? 0) + this.#postIntervalMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      try {
        return await send();
      } finally {
        pace.answeredAt = Date.now();
      }
    })();
    pace.previous = mine.catch(() => undefined);
    this.#channels.set(channel, pace);
    // A channel quiet for longer than the interval needs no entry.
    void pace.previous.then(() =>
      setTimeout(() => {
        if (this.#channels.get(channel) === pace) this.#channels.delete(channel);
      }, this.#postIntervalMs).unref(),
    );
    return mine;
  }

  post(channel: string, message: Message, options: { threadTs?: string } = {}): Promise<MessageRef> {
    return this.#paced(channel, () => this.#post(channel, message, options));
  }

  async #post(channel: string, message: Message, options: { threadTs?: string }): Promise<MessageRef> {
    const send = () =>
      this.#client.chat.postMessage({
        channel,
        ...slackPayload(message),
        ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
      });
    let result: Awaited<ReturnType<typeof send>>;
    try {
      result = await send();
    } catch (error) {
      if (!isSlackError(error, 'not_in_channel')) throw postFailed(channel, error);
      // A public channel the bot was not invited to: join it (channels:join) and try once more.
      try {
        await this.#client.conversations.join({ channel });
        result = await send();
      } catch (retryError) {
        throw postFailed(channel, retryError);
      }
    }
    if (!result.channel || !result.ts)
      throw new UpstreamError('Slack', 'chat.postMessage returned no message timestamp');
    return { channel: result.channel, ts: result.ts };
  }

  update(ref: MessageRef, message: Message): Promise<void> {
    return this.#updater.update(ref, message);
  }

  async direct(to: { slackUserId?: string | null; email: string }, message: Message): Promise<void> {
    let user = to.slackUserId ?? undefined;
    if (!user) {
      const found = await this.#client.users.lookupByEmail({ email: to.email }).catch(() => undefined);
      user = found?.user?.id;
    }
    if (!user) throw new UpstreamError('Slack', `no Slack account found for ${to.email}`);
    const dm = await this.#client.conversations.open({ users: user });
    if (!dm.channel?.id) throw new UpstreamError('Slack', `could not open a direct message with ${to.email}`);
    await this.post(dm.channel.id, message);
  }

  flush(): Promise<void> {
    return this.#updater.flush();
  }

  /** Resolves once every pending update has gone out (within the limits). */
  drained(): Promise<void> {
    return this.#updater.drained();
  }
}

function postFailed(channel: string, error: unknown): UpstreamError {
  const code = slackError(error);
  const hint =
    code === 'not_in_channel' || code === 'channel_not_found'
      ? `: invite dpbot to ${channel} (/invite @dpbot)`
      : code === 'is_archived'
        ? `: ${channel} is archived`
        : '';
  return new UpstreamError('Slack', `cannot post in ${channel} (${code})${hint}`, undefined, {
    cause: error,
  });
}
