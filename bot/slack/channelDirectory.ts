import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { slackError } from '../../integrations/slack/slackErrors.ts';
import { isChannelId } from '../../pipeline/notifier.ts';

/** A channel as conversations.list describes it to the bot. */
export interface ChannelInfo {
  id: string;
  name: string;
  private: boolean;
  /** Whether the bot is in it. */
  member: boolean;
}

/** A channel's name without its `#`, as conversations.list spells it. */
function bareName(channel: string): string {
  return channel.startsWith('#') ? channel.slice(1) : channel;
}

/** Pages of conversations.list read at most (a thousand channels each). */
const MAX_PAGES = 20;

/**
 * Every channel the token may see: public ones, and private ones the bot is in (a private channel
 * it is not in is invisible to it). conversations.list is Tier 2 (about 20 calls a minute), so
 * pages are as large as Slack allows and bounded in number.
 */
export async function listChannels(
  client: WebClient,
  options: { signal?: AbortSignal } = {},
): Promise<ChannelInfo[]> {
  const out: ChannelInfo[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES && !options.signal?.aborted; page++) {
    const answer = await client.conversations.list({
      types: 'public_channel,private_channel',
      exclude_archived: true,
      limit: 1000,
      ...(cursor ? { cursor } : {}),
    });
    for (const c of answer.channels ?? [])
      if (c.id && c.name)
        out.push({ id: c.id, name: c.name, private: c.is_private === true, member: c.is_member === true });
    cursor = answer.response_metadata?.next_cursor || undefined;
    if (!cursor) break;
  }
  return out;
}

export interface ChannelDirectoryOptions {
  log: Logger;
  /** How long a listing is trusted for names it found (renames are also told by events). */
  ttlMs?: number;
  /** How soon a name the listing did not have may cause another listing. */
  missRetryMs?: number;
  now?: () => number;
}

const TTL_MS = 10 * 60_000;
const MISS_RETRY_MS = 30_000;

/**
 * Channel names to IDs. Configuration may name a channel (`#releases`) or give its ID; Slack's
 * methods other than chat.postMessage and chat.postEphemeral take IDs only (chat.update answers
 * `channel_not_found` to a name). Names are looked up with conversations.list — public channels
 * and the private ones dpbot is in — one listing shared by every caller, kept for ten minutes, and
 * looked up again sooner when Slack says a channel is gone or renamed (`forget`). A name not
 * there is asked about again at most every 30 s, so a missing channel does not spend the Tier 2
 * allowance of conversations.list on every post.
 */
export class ChannelDirectory {
  readonly #client: WebClient;
  readonly #log: Logger;
  readonly #ttlMs: number;
  readonly #missRetryMs: number;
  readonly #now: () => number;
  /** By name (without `#`): the channel's ID. */
  readonly #ids = new Map<string, string>();
  /** When the last listing was answered (0: never, or forgotten). */
  #listedAt = 0;
  /** When the last listing failed. */
  #failedAt = 0;
  #listing: Promise<void> | undefined;

  constructor(client: WebClient, options: ChannelDirectoryOptions) {
    this.#client = client;
    this.#log = options.log;
    this.#ttlMs = options.ttlMs ?? TTL_MS;
    this.#missRetryMs = options.missRetryMs ?? MISS_RETRY_MS;
    this.#now = options.now ?? Date.now;
  }

  /** The ID, when it is known without asking Slack: an ID as given, or a name listed recently. */
  known(channel: string): string | undefined {
    if (isChannelId(channel)) return channel;
    if (this.#now() - this.#listedAt >= this.#ttlMs) return undefined;
    return this.#ids.get(bareName(channel));
  }

  /**
   * The channel's ID; undefined when no channel dpbot can see has that name (it does not exist, or
   * is private and dpbot was not invited), or Slack could not be asked (then the last listing's
   * answer, if any, stands).
   */
  async resolve(channel: string): Promise<string | undefined> {
    const known = this.known(channel);
    if (known) return known;
    const name = bareName(channel);
    // Asked a moment ago: a name that was not there is still not there, and after a failed
    // listing the names found before stand.
    const asked = Math.max(this.#listedAt, this.#failedAt);
    if (this.#now() - asked >= this.#missRetryMs) await this.#refresh();
    return this.#ids.get(name);
  }

  /** What a post by name taught: Slack answered with the channel's ID. */
  learn(channel: string, id: string): void {
    if (!isChannelId(channel)) this.#ids.set(bareName(channel), id);
  }

  /**
   * A channel Slack says is gone, or that was renamed: its names are dropped and the next lookup
   * lists the channels again.
   */
  forget(id: string): void {
    for (const [name, known] of this.#ids) if (known === id) this.#ids.delete(name);
    this.#listedAt = 0;
  }

  #refresh(): Promise<void> {
    this.#listing ??= (async () => {
      try {
        const channels = await listChannels(this.#client);
        this.#ids.clear();
        for (const c of channels) this.#ids.set(c.name, c.id);
        this.#listedAt = this.#now();
      } catch (error) {
        this.#failedAt = this.#now();
        this.#log.warn(
          { err: error },
          `could not list the Slack channels to find configured channels by name (${slackError(error)}); give their IDs in the configuration, or check the token's channels:read and groups:read scopes`,
        );
      } finally {
        this.#listing = undefined;
      }
    })();
    return this.#listing;
  }
}
