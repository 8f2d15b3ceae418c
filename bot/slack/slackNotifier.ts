import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { UpstreamError } from '../../core/errors.ts';
import { isSlackError, slackError } from '../../integrations/slack/slackErrors.ts';
import type { Message } from '../../pipeline/message.ts';
import type { MessageRef, Notifier } from '../../pipeline/notifier.ts';
import { slackPayload } from './broadcasts.ts';
import { MessageUpdater } from './messageUpdater.ts';

/** Posts and updates messages with the Web API; updates of one message are coalesced. */
export class SlackNotifier implements Notifier {
  readonly #client: WebClient;
  readonly #updater: MessageUpdater;

  constructor(client: WebClient, options: { updateIntervalMs: number; log: Logger }) {
    this.#client = client;
    this.#updater = new MessageUpdater(
      async (ref, message) => {
        const { text, blocks } = slackPayload(message);
        // An update without blocks must clear the old ones, so blocks are always sent.
        await this.#client.chat.update({ channel: ref.channel, ts: ref.ts, text, blocks: blocks ?? [] });
      },
      options.updateIntervalMs,
      options.log,
    );
  }

  async post(channel: string, message: Message, options: { threadTs?: string } = {}): Promise<MessageRef> {
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
