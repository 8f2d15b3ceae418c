import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { UpstreamError } from '../../core/errors.ts';
import { isSlackError, slackError } from '../../integrations/slack/slackErrors.ts';
import type { Message } from '../../pipeline/message.ts';
import type { MessageRef, Notifier } from '../../pipeline/notifier.ts';
import { slackPayload } from './broadcasts.ts';
import { ChannelDirectory } from './channelDirectory.ts';
import { MessageUpdater } from './messageUpdater.ts';
import { contentHash, type SharedShown } from './sharedShown.ts';
import type { SlackBudget } from './slackBudget.ts';

/** chat.postMessage allows about one message per second per channel (Slack's rate limits). */
const POST_INTERVAL_MS = 1000;
/** chat.update is Tier 3, about 50 calls a minute per app and workspace: 45 leaves room for the
 * time between taking an allowance and the call reaching Slack. */
const UPDATES_PER_MINUTE = 45;
/** Messages remembered as moved (posted anew because the old one was gone), and DM channels. */
const MOVES_REMEMBERED = 1000;

const refKey = (ref: MessageRef) => `${ref.channel}:${ref.ts}`;

/**
 * Posts and updates messages with the Web API. Posts to one channel (thread replies included) go
 * out one at a time, a second apart, so a burst — a release posting a message per service — stays
 * within Slack's per-channel limit instead of meeting 429s; updates are coalesced and limited by
 * MessageUpdater. Both pace this process; with a shared budget (`shareBudget`, counted in
 * PostgreSQL) every replica also takes its turn from the one budget Slack gives the app.
 *
 * A channel may be given by name (`#releases`, as configuration writes it) or by ID; names are
 * turned into IDs (ChannelDirectory) before anything is sent, because every method but
 * chat.postMessage takes IDs only, and the reference a post returns always holds the ID Slack
 * answered with. A message Slack no longer has (deleted, or not dpbot's) is posted anew when it
 * is updated, and later updates of it go to the new one.
 */
export class SlackNotifier implements Notifier {
  readonly #client: WebClient;
  readonly #updater: MessageUpdater;
  readonly #postIntervalMs: number;
  readonly #log: Logger;
  /** Channel names to IDs. */
  readonly directory: ChannelDirectory;
  /** Per channel: the previous post (settled) and when it was answered. */
  readonly #channels = new Map<string, { previous: Promise<unknown>; answeredAt: number }>();
  /** Messages posted anew: where the message once at `channel:ts` lives now. */
  readonly #moved = new Map<string, MessageRef>();
  /** By user ID: the direct-message channel opened with them. */
  readonly #directMessages = new Map<string, string>();
  /** Slack's budgets as all replicas spend them; none until the database is there. */
  #budget: SlackBudget | undefined;
  /** What messages show as every replica left them; none until the database is there. */
  #shown: SharedShown | undefined;

  constructor(
    client: WebClient,
    options: {
      updateIntervalMs: number;
      log: Logger;
      postIntervalMs?: number;
      updatesPerMinute?: number;
      directory?: ChannelDirectory;
    },
  ) {
    this.#client = client;
    this.#log = options.log;
    this.#postIntervalMs = options.postIntervalMs ?? POST_INTERVAL_MS;
    this.directory = options.directory ?? new ChannelDirectory(client, { log: options.log });
    this.#updater = new MessageUpdater(
      (ref, message) => this.#send(ref, message),
      {
        minIntervalMs: options.updateIntervalMs,
        perMinute: options.updatesPerMinute ?? UPDATES_PER_MINUTE,
      },
      options.log,
    );
  }

  /**
   * From now on, every post and update also waits for its turn in `budget`; with `shown`, an
   * update of content a message already shows (as any replica left it) is not sent, and so spends
   * none of the budget.
   */
  shareBudget(budget: SlackBudget, shown?: SharedShown): void {
    this.#budget = budget;
    this.#shown = shown;
    if (shown) this.#updater.sharedWithReplicas();
  }

  /** One chat.update; a message Slack no longer has is posted anew instead (nothing it says is lost). */
  async #send(ref: MessageRef, message: Message): Promise<'sent' | 'shown'> {
    const target = this.#moved.get(refKey(ref)) ?? ref;
    const { text, blocks } = slackPayload(message);
    // An update without blocks must clear the old ones, so blocks are always sent.
    const content = { text, blocks: blocks ?? [] };
    const shown = this.#shown;
    const hash = shown ? contentHash(content) : '';
    try {
      // Another replica may have shown this content already: then neither the budget nor a call.
      if (shown && (await shown.shows(target, hash))) return 'shown';
      // The turn is taken before the message's lock, so no connection is held while waiting for it.
      await this.#budget?.update();
      const update = async () => {
        await this.#client.chat.update({ channel: target.channel, ts: target.ts, ...content });
      };
      if (shown) return await shown.update(target, hash, update);
      await update();
      return 'sent';
    } catch (error) {
      // message_not_found: deleted in Slack; cant_update_message: not a message dpbot posted
      // (https://docs.slack.dev/reference/methods/chat.update).
      if (!isSlackError(error, 'message_not_found', 'cant_update_message')) throw error;
      const posted = await this.post(target.channel, message);
      this.#log.warn(
        { channel: target.channel, ts: target.ts, now: posted.ts, reason: slackError(error) },
        'a message dpbot keeps up to date is gone from Slack; posted it anew',
      );
      this.#moved.set(refKey(ref), posted);
      this.#moved.set(refKey(target), posted);
      while (this.#moved.size > MOVES_REMEMBERED) this.#moved.delete(this.#moved.keys().next().value ?? '');
      return 'sent';
    }
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
        await this.#budget?.post(channel);
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
    // Paced by the channel's ID, so posts by name and by ID share one pace; a name not yet known
    // is looked up first (one conversations.list for everybody waiting).
    const known = this.directory.known(channel);
    if (known) return this.#paced(known, () => this.#post(channel, known, message, options));
    return this.directory
      .resolve(channel)
      .then((id) => this.#paced(id ?? channel, () => this.#post(channel, id, message, options)));
  }

  /**
   * One chat.postMessage to the channel's ID (or, when dpbot cannot list the channels, its name,
   * which chat.postMessage takes too). Slack saying the ID is gone makes dpbot look the name up
   * again (the channel may have been re-created); not_in_channel, join the public channel.
   */
  async #post(
    asked: string,
    id: string | undefined,
    message: Message,
    options: { threadTs?: string },
  ): Promise<MessageRef> {
    const send = (channel: string) =>
      this.#client.chat.postMessage({
        channel,
        ...slackPayload(message),
        ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
      });
    let target = id ?? asked;
    let result: Awaited<ReturnType<typeof send>>;
    try {
      result = await send(target);
    } catch (error) {
      try {
        if (isSlackError(error, 'channel_not_found') && id && id !== asked) {
          this.directory.forget(id);
          const again = await this.directory.resolve(asked);
          if (!again || again === id) throw error;
          target = again;
        } else if (isSlackError(error, 'not_in_channel')) {
          // A public channel the bot was not invited to (and no chat:write.public): join it
          // (channels:join, which takes an ID) and try once more.
          const joinable = id ?? (await this.directory.resolve(asked));
          if (!joinable) throw error;
          await this.#client.conversations.join({ channel: joinable });
          target = joinable;
        } else throw error;
        result = await send(target);
      } catch (retryError) {
        throw postFailed(asked, retryError);
      }
    }
    if (!result.channel || !result.ts)
      throw new UpstreamError('Slack', 'chat.postMessage returned no message timestamp');
    this.directory.learn(asked, result.channel);
    return { channel: result.channel, ts: result.ts };
  }

  /**
   * Updates the message in place (coalesced, within Slack's limits); resolves to where the message
   * is now: the channel's ID when `ref` named it, or the new message when the old one was gone.
   */
  async update(ref: MessageRef, message: Message): Promise<MessageRef> {
    const channel = this.directory.known(ref.channel) ?? (await this.directory.resolve(ref.channel));
    if (!channel)
      throw new UpstreamError(
        'Slack',
        `cannot update a message in ${ref.channel}: ${noChannel(ref.channel)}`,
      );
    const target = { channel, ts: ref.ts };
    await this.#updater.update(this.#moved.get(refKey(target)) ?? target, message);
    return this.#moved.get(refKey(target)) ?? target;
  }

  async direct(to: { slackUserId?: string | null; email: string }, message: Message): Promise<void> {
    let user = to.slackUserId ?? undefined;
    if (!user) {
      const found = await this.#client.users.lookupByEmail({ email: to.email }).catch(() => undefined);
      user = found?.user?.id;
    }
    if (!user) throw new UpstreamError('Slack', `no Slack account found for ${to.email}`);
    // A person's direct-message channel does not change: opened once (conversations.open is Tier 3,
    // and a round of reminders writes to many people at once).
    let channel = this.#directMessages.get(user);
    if (!channel) {
      const dm = await this.#client.conversations.open({ users: user });
      channel = dm.channel?.id;
      if (!channel) throw new UpstreamError('Slack', `could not open a direct message with ${to.email}`);
      this.#directMessages.set(user, channel);
      while (this.#directMessages.size > MOVES_REMEMBERED)
        this.#directMessages.delete(this.#directMessages.keys().next().value ?? '');
    }
    await this.post(channel, message);
  }

  flush(): Promise<void> {
    return this.#updater.flush();
  }

  /** Resolves once every pending update has gone out (within the limits). */
  drained(): Promise<void> {
    return this.#updater.drained();
  }
}

/** What to do about a channel dpbot cannot find. */
function noChannel(channel: string): string {
  return `there is no channel ${channel} that dpbot can see — create it, correct the setting that names it, or, if it is private, invite dpbot (in ${channel}: /invite @dpbot)`;
}

function postFailed(channel: string, error: unknown): UpstreamError {
  const code = slackError(error);
  const hint =
    code === 'not_in_channel'
      ? `: invite dpbot to ${channel} (/invite @dpbot)`
      : code === 'channel_not_found'
        ? `: ${noChannel(channel)}`
        : code === 'is_archived'
          ? `: ${channel} is archived`
          : '';
  return new UpstreamError('Slack', `cannot post in ${channel} (${code})${hint}`, undefined, {
    cause: error,
  });
}
