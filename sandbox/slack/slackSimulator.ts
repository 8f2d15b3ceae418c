import { type SimRequest, type SimResponse, Simulator } from '../http.ts';
import { checkMessage, checkView, describeViolations, type LimitViolation } from './blockKitLimits.ts';

export interface SlackUser {
  id: string;
  name: string;
  realName?: string;
  email?: string;
  deleted?: boolean;
  isBot?: boolean;
}

export interface SlackUserGroup {
  id: string;
  handle: string;
  name: string;
  users: string[];
  disabled?: boolean;
  /** What `user_count` says, when a test wants it to disagree with the member list. */
  userCount?: number;
}

export interface SlackChannel {
  id: string;
  name: string;
  /** Whether the bot is a member (chat.postMessage answers not_in_channel otherwise). */
  botMember: boolean;
  /** Private channels cannot be joined by the bot; it must be invited. */
  private?: boolean;
  /**
   * The people in it (user ids) besides the bot; left out, everyone in the workspace is, as in a
   * workspace's default channel. chat.postEphemeral reaches only members.
   */
  members?: string[];
}

export interface PostedMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks: unknown[];
  /** Every version of the message, oldest first; the last is what Slack shows now. */
  history: { text: string; blocks: unknown[] }[];
  /** When it was posted (ms since the epoch, the simulator's clock). */
  postedAt: number;
  /** The app's bot that posted it: dpbot's unless a test adds another app's message. */
  botId: string;
}

export interface EphemeralMessage {
  channel: string;
  user: string;
  text: string;
  blocks: unknown[];
}

export interface ResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
}

/**
 * A message as the person sees it that came through a response_url (an ephemeral reply, most
 * often): replaced in place by `replace_original`, gone after `delete_original`.
 */
export interface ResponseMessage {
  /** The response_url it came through. */
  id: string;
  ts: string;
  body: Record<string, unknown>;
  /** Every version, oldest first; the last is what is shown. */
  history: Record<string, unknown>[];
  deleted: boolean;
}

/** A call Slack would refuse, as answered: every `ok: false`, every 429, every spent response_url. */
export interface RefusedCall {
  method: string;
  error: string;
  status: number;
  args: Record<string, unknown>;
}

/**
 * What Slack makes of an app's answer to a view_submission: the view closes, or stays open (with
 * errors under inputs, or replaced by another view); `refused` when Slack would not take the answer
 * (the person then sees a generic error in the still open view).
 */
export interface ViewSubmissionOutcome {
  open: boolean;
  errors?: Record<string, string>;
  refused?: string;
}

/** A payload that broke one of Slack's documented limits, with the method that carried it. */
export interface RecordedViolation extends LimitViolation {
  method: string;
}

export const SANDBOX_BOT_TOKEN = 'xoxb-sandbox-token';
export const SANDBOX_APP_TOKEN = 'xapp-sandbox-token';
/** The bot behind SANDBOX_BOT_TOKEN, as auth.test names it: the author of what dpbot posts. */
export const SANDBOX_BOT_ID = 'B0DPBOT001';
/** Who made the simulated channels and user groups (a workspace admin). */
const SANDBOX_CREATOR = 'U0ADMIN001';

/** Every bot scope dpbot's manifests ask for: what an installed app's token has by default. */
export const MANIFEST_SCOPES = [
  'commands',
  'chat:write',
  'chat:write.public',
  'channels:join',
  'channels:read',
  'groups:read',
  'im:write',
  'users:read',
  'users:read.email',
  'usergroups:read',
] as const;

/** The scope each method needs (api.slack.com/methods); methods left out need none. */
const METHOD_SCOPES: Record<string, string> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'conversations.open': 'im:write',
  'conversations.join': 'channels:join',
  'users.info': 'users:read',
  'users.list': 'users:read',
  'users.lookupByEmail': 'users:read.email',
  'usergroups.list': 'usergroups:read',
  'usergroups.users.list': 'usergroups:read',
};

/** Fields Slack's Web API sends as JSON text inside form-encoded bodies. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'metadata']);

// The rules below are listed, each with its source, in sandbox/slack/RULES.md.

/**
 * Methods whose `channel` may be a name (`#releases`, or `releases` for a private channel): their
 * reference pages say "Can be an encoded ID, or a name" —
 * https://docs.slack.dev/reference/methods/chat.postMessage, …/chat.postEphemeral,
 * …/chat.scheduleMessage, …/chat.meMessage. Every other method's `channel` is an ID
 * (https://docs.slack.dev/reference/methods/chat.update: "Channel containing the message",
 * example C1234567890); a name there is `channel_not_found`.
 */
const NAME_ACCEPTING = new Set([
  'chat.postMessage',
  'chat.postEphemeral',
  'chat.scheduleMessage',
  'chat.meMessage',
]);

/**
 * Requests per minute by tier, "per API method per app per workspace", with bursts tolerated
 * (Tier 2 "occasional bursts", Tier 3 "sporadic bursts are welcome", Tier 4 "generous burst
 * behavior"): https://docs.slack.dev/apis/web-api/rate-limits (formerly api.slack.com/apis/rate-limits).
 */
const TIER_PER_MINUTE = { 2: 20, 3: 50, 4: 100 } as const;

/**
 * Each method's tier, from the "Rate limits" fact of its reference page
 * (https://docs.slack.dev/reference/methods/<method>). Not limited here: auth.test (a "Special"
 * tier far above what a bot calls) and apps.connections.open (Tier 1, called once per Socket
 * Mode connection).
 */
const METHOD_TIERS: Readonly<Record<string, keyof typeof TIER_PER_MINUTE>> = {
  'chat.update': 3,
  'chat.delete': 3,
  'chat.postEphemeral': 4,
  'conversations.info': 3,
  'conversations.join': 3,
  'conversations.list': 2,
  'conversations.open': 3,
  'users.info': 4,
  'users.list': 2,
  'users.lookupByEmail': 3,
  'usergroups.list': 2,
  'usergroups.users.list': 2,
  'views.open': 4,
  'views.publish': 4,
  'views.push': 4,
  'views.update': 4,
};

/**
 * chat.postMessage: "one message per second per channel", "short bursts >1 allowed"
 * (https://docs.slack.dev/apis/web-api/rate-limits, "Posting messages"). How short Slack does not
 * say; five back to back is taken as the burst it tolerates.
 */
const POSTS_PER_SECOND_PER_CHANNEL = 1;
const POST_BURST = 5;

/**
 * A response_url may be used up to 5 times within 30 minutes of the interaction
 * (https://docs.slack.dev/interactivity/handling-user-interaction, "Message responses"). Slack's
 * answer past that is not documented; the simulator answers 404 with `used_url` / `expired_url`.
 */
const RESPONSE_URL_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60_000;

/**
 * A trigger_id is good once, for 3 seconds
 * (https://docs.slack.dev/interactivity/handling-user-interaction, "Modal responses"); views.open and
 * views.push answer `invalid_trigger_id`, `exchanged_trigger_id` or `expired_trigger_id`
 * (https://docs.slack.dev/reference/methods/views.open).
 */
const TRIGGER_TTL_MS = 3000;

/** A token bucket: a tier's minute of calls may come at once, then they refill at the tier's pace. */
interface Bucket {
  tokens: number;
  at: number;
}

/** A method's limit: calls per minute and how many may come back to back. */
export interface RateLimit {
  perMinute: number;
  burst: number;
}

/**
 * Slack's Web API as the real @slack/web-api client calls it: form-encoded (or JSON) POSTs to
 * `<base>/<method>`, bearer tokens, `{ok: false, error}` answers, cursor pagination, and
 * response_url endpoints for `respond()`. State lives in memory for tests to inspect. It refuses
 * what Slack refuses — each rule with its source in sandbox/slack/RULES.md — and keeps every
 * refusal in `refused`.
 */
export class SlackSimulator extends Simulator {
  readonly token: string;
  readonly users = new Map<string, SlackUser>();
  readonly usergroups = new Map<string, SlackUserGroup>();
  readonly channels = new Map<string, SlackChannel>();
  readonly messages: PostedMessage[] = [];
  readonly ephemerals: EphemeralMessage[] = [];
  readonly responses: ResponseUrlPost[] = [];
  /** The messages response_urls produced, as shown now (see ResponseMessage). */
  readonly responseMessages: ResponseMessage[] = [];
  readonly openedViews: { triggerId: string; view: Record<string, unknown>; id: string }[] = [];
  readonly publishedViews = new Map<string, Record<string, unknown>>();
  /**
   * Every limit any simulator saw broken, across instances, until a test takes them
   * (`takeLimitViolations`): the test set-up fails a test that leaves any behind.
   */
  static readonly limitViolations: RecordedViolation[] = [];
  /** Largest page of cursor-paginated methods (users.list, conversations.list): Slack may return fewer than asked. */
  pageSize = 200;
  /** What apps.connections.open hands out (a Socket Mode simulator sets it). */
  socketModeUrl: string | undefined;
  /**
   * The bot token's scopes, sent as X-OAuth-Scopes on every answer as Slack does; a method whose
   * scope is missing answers `missing_scope` with `needed` and `provided`.
   */
  readonly scopes = new Set<string>(MANIFEST_SCOPES);
  /** Every call answered with a refusal (see RefusedCall), oldest first. */
  readonly refused: RefusedCall[] = [];
  /**
   * Calls over Slack's rate limits are answered 429 with Retry-After. A test that goes faster than
   * Slack allows on purpose (to count calls quickly) turns this off.
   */
  enforceRateLimits = true;
  #clock = 1_800_000_000;
  #seq = 0;
  /** Added to the wall clock for time-bound rules (advance() ages triggers and response URLs). */
  #offsetMs = 0;
  /** Where the clock stands while stopped (stopClock()): only advance() moves it then. */
  #stoppedAt: number | undefined;
  readonly #limitOverrides = new Map<string, RateLimit>();
  readonly #buckets = new Map<string, Bucket>();
  readonly #responseUrls = new Map<
    string,
    { issuedAt: number; uses: number; original?: { channel: string; ts: string } | undefined }
  >();
  readonly #triggers = new Map<string, { issuedAt: number; used: boolean }>();
  /** Open views by id, with the hash views.update must quote. */
  readonly #views = new Map<string, { view: Record<string, unknown>; hash: string }>();

  constructor(options: { token?: string } = {}) {
    super('Slack');
    this.token = options.token ?? SANDBOX_BOT_TOKEN;
    this.route('POST', '/api/:method', (req) => this.#call(req));
    this.route('POST', '/response/:id', (req) => {
      const body = this.#fields(req);
      const spent = this.#spendResponseUrl(req.params.id ?? '');
      if (spent) return this.#refusal('response_url', { ...body, id: req.params.id }, spent, 404);
      const refused = this.#refuse('response_url', checkMessage(body));
      if (refused) {
        this.refused.push({ method: 'response_url', error: String(refused.error), status: 400, args: body });
        return { status: 400, body: refused };
      }
      this.responses.push({ id: req.params.id ?? '', body });
      return this.#showResponse(req.params.id ?? '', body);
    });
  }

  /** The simulator's clock for time-bound rules: the wall clock plus what advance() added. */
  #now(): number {
    return (this.#stoppedAt ?? Date.now()) + this.#offsetMs;
  }

  /**
   * Stops the clock of time-bound rules, so that only advance() moves it: a test that counts calls
   * against a limit gets the same count however slowly a busy machine makes them.
   */
  stopClock(): this {
    this.#stoppedAt ??= Date.now();
    return this;
  }

  /** Moves the clock of time-bound rules forward: triggers and response URLs age, limits refill. */
  advance(ms: number): void {
    this.#offsetMs += ms;
  }

  /** Replaces a method's rate limit (a test that wants a 429 soon); `chat.postMessage` is per channel. */
  setRateLimit(method: string, limit: RateLimit): this {
    this.#limitOverrides.set(method, limit);
    for (const key of this.#buckets.keys()) if (key.split(' ')[0] === method) this.#buckets.delete(key);
    return this;
  }

  /**
   * A trigger_id as Slack puts one in an interaction payload: views.open or views.push may use it
   * once, within 3 seconds.
   */
  triggerId(): string {
    const id = `${this.#nextTs().replace('.', '')}.${this.#seq}.${Math.random().toString(16).slice(2, 10)}`;
    this.#triggers.set(id, { issuedAt: this.#now(), used: false });
    return id;
  }

  /** A message another app posted (dpbot may not update it), or a person's; returns its ts. */
  addForeignMessage(channel: string, text: string, botId = 'B0OTHERAPP'): string {
    const ts = this.#nextTs();
    const message = {
      channel,
      ts,
      text,
      blocks: [],
      history: [{ text, blocks: [] }],
      postedAt: Date.now(),
      botId,
    };
    this.messages.push(message);
    return ts;
  }

  /** Someone deleted a message in Slack. */
  deleteMessage(channel: string, ts: string): void {
    const at = this.messages.findIndex((m) => m.channel === channel && m.ts === ts);
    if (at !== -1) this.messages.splice(at, 1);
  }

  /** What the simulator answers for a refused call, recorded in `refused`. */
  #refusal(
    method: string,
    args: Record<string, unknown>,
    error: string,
    status = 200,
    headers: Record<string, string> = {},
  ): SimResponse {
    this.refused.push({ method, error, status, args });
    return { status, body: { ok: false, error }, headers };
  }

  /** Why a response_url cannot take another message, if it cannot. */
  #spendResponseUrl(id: string): string | undefined {
    const url = this.#responseUrls.get(id);
    // One the simulator never handed out is one Slack would not know either.
    if (!url) return 'invalid_url';
    if (this.#now() - url.issuedAt > RESPONSE_URL_TTL_MS) return 'expired_url';
    if (url.uses >= RESPONSE_URL_USES) return 'used_url';
    url.uses++;
    return undefined;
  }

  /** Why a trigger_id cannot open a view, if it cannot; a good one is spent. */
  #spendTrigger(id: string): string | undefined {
    const trigger = this.#triggers.get(id);
    if (!trigger) return 'invalid_trigger_id';
    if (trigger.used) return 'exchanged_trigger_id';
    if (this.#now() - trigger.issuedAt > TRIGGER_TTL_MS) return 'expired_trigger_id';
    trigger.used = true;
    return undefined;
  }

  /** The limit a call counts against (by method; chat.postMessage per channel), if any. */
  #limitOf(method: string, args: Record<string, unknown>): { key: string; limit: RateLimit } | undefined {
    const override = this.#limitOverrides.get(method);
    if (method === 'chat.postMessage') {
      const channel = this.#channel(args.channel, true)?.id ?? String(args.channel ?? '');
      return {
        key: `${method} ${channel}`,
        limit: override ?? { perMinute: POSTS_PER_SECOND_PER_CHANNEL * 60, burst: POST_BURST },
      };
    }
    const tier = METHOD_TIERS[method];
    if (override) return { key: method, limit: override };
    if (!tier) return undefined;
    return { key: method, limit: { perMinute: TIER_PER_MINUTE[tier], burst: TIER_PER_MINUTE[tier] } };
  }

  /** Takes one call from the method's bucket; the seconds to wait when it is empty. */
  #retryAfter(method: string, args: Record<string, unknown>): number | undefined {
    if (!this.enforceRateLimits) return undefined;
    const found = this.#limitOf(method, args);
    if (!found) return undefined;
    const { key, limit } = found;
    const now = this.#now();
    const perMs = limit.perMinute / 60_000;
    const bucket = this.#buckets.get(key) ?? { tokens: limit.burst, at: now };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
  }

  /** The base URL to give WebClient (`slackApiUrl`). */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /**
   * A response_url as Slack would put in a payload; its 30 minutes start at the first ask.
   * `original` is the message an interaction came from (the one a button sat on): what
   * `replace_original` and `delete_original` act on. Without it (a slash command) they act on the
   * newest message the URL itself produced.
   */
  responseUrl(id: string, original?: { channel: string; ts: string }): string {
    if (!this.#responseUrls.has(id)) this.#responseUrls.set(id, { issuedAt: this.#now(), uses: 0, original });
    return `${this.url}/response/${id}`;
  }

  /** The messages shown now (not deleted) that response_urls produced, for one person's view. */
  shownResponses(filter: (m: ResponseMessage) => boolean = () => true): ResponseMessage[] {
    return this.responseMessages.filter((m) => !m.deleted && filter(m));
  }

  /**
   * A response_url post as Slack shows it
   * (https://docs.slack.dev/interactivity/handling-user-interaction, "Message responses"):
   * `replace_original: true` replaces the original message in place — an ephemeral one too —
   * `delete_original: true` deletes it; anything else is a new message. The original is the
   * message the interaction came from, or for a slash command the newest message its URL produced.
   */
  #showResponse(id: string, body: Record<string, unknown>): SimResponse {
    const original = this.#responseUrls.get(id)?.original;
    const replace = body.replace_original === true || body.replace_original === 'true';
    const remove = body.delete_original === true || body.delete_original === 'true';
    if (replace || remove) {
      const shown =
        (original ? this.responseMessages.find((m) => m.ts === original.ts && !m.deleted) : undefined) ??
        (original ? undefined : this.responseMessages.findLast((m) => m.id === id && !m.deleted));
      const posted = original
        ? this.messages.find((m) => m.channel === original.channel && m.ts === original.ts)
        : undefined;
      if (shown) {
        if (remove) shown.deleted = true;
        else {
          shown.body = body;
          shown.history.push(body);
        }
        return { body: { ok: true } };
      }
      if (posted) {
        if (remove) this.deleteMessage(posted.channel, posted.ts);
        else {
          posted.text = String(body.text ?? posted.text);
          posted.blocks = (body.blocks as unknown[] | undefined) ?? posted.blocks;
          posted.history.push({ text: posted.text, blocks: posted.blocks });
        }
        return { body: { ok: true } };
      }
      // Nothing to replace or delete (it is gone, or never was): Slack's answer is not documented.
      if (remove) return this.#refusal('response_url', { ...body, id }, 'message_not_found', 404);
    }
    const ts = this.#nextTs();
    this.responseMessages.push({ id, ts, body, history: [body], deleted: false });
    return { body: { ok: true } };
  }

  addUser(user: SlackUser): this {
    this.users.set(user.id, user);
    return this;
  }

  addChannel(channel: SlackChannel): this {
    // Slack's channel IDs are C (public), G (private) or D (direct) and eight or more capitals or
    // digits; a test channel of another shape would pass here and fail against a real workspace.
    if (!/^[CGD][A-Z0-9]{8,}$/.test(channel.id)) {
      throw new Error(
        `channel ID ${channel.id} is not of Slack's shape (C, G or D and 8 or more of A-Z 0-9)`,
      );
    }
    this.channels.set(channel.id, channel);
    return this;
  }

  addUserGroup(group: SlackUserGroup): this {
    this.usergroups.set(group.id, group);
    return this;
  }

  /** Messages of a channel (top level and threads), oldest first. */
  messagesIn(channel: string): PostedMessage[] {
    return this.messages.filter((m) => m.channel === channel);
  }

  /**
   * The most messages posted in one channel (thread replies included) within any `windowMs`, by
   * channel: what Slack's "1 message per second per channel" is about.
   */
  peakPostsPerChannel(windowMs = 1000): Map<string, number> {
    const byChannel = new Map<string, number[]>();
    for (const m of this.messages)
      byChannel.set(m.channel, [...(byChannel.get(m.channel) ?? []), m.postedAt]);
    return new Map([...byChannel].map(([channel, times]) => [channel, peakInWindow(times, windowMs)]));
  }

  /** The most calls of a Web API method within any `windowMs` (Slack's tiers count per minute). */
  peakCalls(method: string, windowMs = 60_000): number {
    return peakInWindow(
      this.requests.filter((r) => r.path === `/api/${method}`).map((r) => r.at),
      windowMs,
    );
  }

  /** Web API calls by method (`chat.postMessage`, `chat.update`, ...). */
  callsByMethod(): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.requests) {
      const method = r.path.startsWith('/api/') ? r.path.slice(5) : r.path;
      out.set(method, (out.get(method) ?? 0) + 1);
    }
    return out;
  }

  #nextTs(): string {
    this.#seq++;
    return `${this.#clock + this.#seq}.${String(this.#seq).padStart(6, '0')}`;
  }

  #fields(req: SimRequest): Record<string, unknown> {
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) {
      out[key] = JSON_FIELDS.has(key) && typeof value === 'string' ? JSON.parse(value) : value;
    }
    for (const [key, value] of req.query) if (!(key in out)) out[key] = value;
    return out;
  }

  #call(req: SimRequest): SimResponse {
    const auth = req.headers.authorization;
    const args = this.#fields(req);
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : (args.token as string | undefined);
    const method = req.params.method ?? '';
    const answer = this.#answer(method, token, args);
    const body = answer.body as { ok?: boolean; error?: string } | undefined;
    if (body?.ok === false && answer.status !== 429)
      this.refused.push({ method, error: body.error ?? '', status: answer.status ?? 200, args });
    return answer;
  }

  #answer(method: string, token: string | undefined, args: Record<string, unknown>): SimResponse {
    if (!token) return { body: { ok: false, error: 'not_authed' } };
    if (method === 'apps.connections.open') {
      // The one method called with the app-level token.
      if (token !== SANDBOX_APP_TOKEN) return { body: { ok: false, error: 'invalid_auth' } };
      if (!this.socketModeUrl) return { body: { ok: false, error: 'socket_mode_not_enabled' } };
      return { body: { ok: true, url: this.socketModeUrl } };
    }
    if (token !== this.token) return { body: { ok: false, error: 'invalid_auth' } };
    const headers = { 'x-oauth-scopes': [...this.scopes].join(',') };
    const handler = this.#methods[method];
    if (!handler) return { body: { ok: false, error: 'unknown_method' }, headers };
    const needed = this.#neededScope(method, args);
    if (needed)
      return {
        body: { ok: false, error: 'missing_scope', needed, provided: [...this.scopes].join(',') },
        headers: { ...headers, 'x-accepted-oauth-scopes': needed },
      };
    // Over the limit: 429 with the seconds to wait (https://docs.slack.dev/apis/web-api/rate-limits).
    const retryAfter = this.#retryAfter(method, args);
    if (retryAfter !== undefined)
      return this.#refusal(method, args, 'ratelimited', 429, {
        ...headers,
        'retry-after': String(retryAfter),
      });
    const refused = this.#refuse(method, this.#limits(method, args));
    if (refused) return { body: refused, headers };
    return { body: handler(args), headers };
  }

  /** The scope the call needs and the token lacks, if any. */
  #neededScope(method: string, args: Record<string, unknown>): string | undefined {
    const wanted: string[] = [];
    if (METHOD_SCOPES[method]) wanted.push(METHOD_SCOPES[method]);
    if (method === 'conversations.info') {
      const channel = this.channels.get(String(args.channel ?? ''));
      if (channel) wanted.push(channel.private ? 'groups:read' : 'channels:read');
    }
    if (method === 'conversations.list') {
      const types = String(args.types ?? 'public_channel').split(',');
      if (types.includes('public_channel')) wanted.push('channels:read');
      if (types.includes('private_channel')) wanted.push('groups:read');
    }
    return wanted.find((scope) => !this.scopes.has(scope));
  }

  /**
   * A channel as conversations.info, .list and .join answer: every field Slack always sends (the
   * conversation object of Slack's Web API document requires them; docs.slack.dev/reference/objects/
   * conversation-object).
   */
  #channelJson(channel: SlackChannel): Record<string, unknown> {
    const unset = { value: '', creator: '', last_set: 0 };
    return {
      id: channel.id,
      name: channel.name,
      name_normalized: channel.name,
      is_channel: !channel.private,
      is_group: false,
      is_im: false,
      is_mpim: false,
      is_private: channel.private ?? false,
      is_archived: false,
      is_general: false,
      is_shared: false,
      is_org_shared: false,
      is_member: channel.botMember,
      created: 1_700_000_000,
      creator: SANDBOX_CREATOR,
      topic: unset,
      purpose: unset,
    };
  }

  /**
   * A slash command's acknowledgement body, shown by Slack as a message: held to the same limits
   * as any message (the test client that made the request hands it over, as Slack would read it).
   */
  judgeAcknowledgement(body: Record<string, unknown>): void {
    this.#refuse('acknowledgement', checkMessage(body));
  }

  /** Slack's own checks of what a method carries; methods without blocks have none. */
  #limits(method: string, args: Record<string, unknown>): LimitViolation[] {
    if (method === 'chat.postMessage' || method === 'chat.update' || method === 'chat.postEphemeral')
      return checkMessage(args);
    if (method.startsWith('views.')) return checkView(args.view);
    return [];
  }

  /**
   * Records every violation; answers as Slack does for the ones Slack refuses (`msg_too_long`,
   * `invalid_blocks`). A missing `text` fallback Slack only warns about, so it is recorded and let
   * through.
   */
  #refuse(method: string, violations: LimitViolation[]): Record<string, unknown> | undefined {
    if (violations.length === 0) return undefined;
    SlackSimulator.limitViolations.push(...violations.map((v) => ({ method, ...v })));
    // Slack refuses neither a missing fallback nor unescaped text; it only shows them badly.
    const refused = violations.filter(
      (v) => !v.problem.includes('`text` fallback') && !v.problem.startsWith('unescaped text'),
    );
    if (refused.length === 0) return undefined;
    const error = refused.some((v) => v.path === 'text') ? 'msg_too_long' : 'invalid_blocks';
    return {
      ok: false,
      error,
      errors: refused.map((v) => `${v.path}: ${v.problem}`),
      response_metadata: { messages: describeViolations(refused) },
    };
  }

  readonly #methods: Record<string, (args: Record<string, unknown>) => Record<string, unknown>> = {
    'auth.test': () => ({
      ok: true,
      url: 'https://sandbox.slack.test/',
      team: 'Sandbox',
      user: 'dpbot',
      team_id: 'T0SANDBOX',
      user_id: 'U0DPBOT',
      // Slack's bot IDs are B and 8 or more (defs_bot_id in Slack's Web API document).
      bot_id: SANDBOX_BOT_ID,
    }),
    'chat.postMessage': (args) => {
      const channel = this.#postable('chat.postMessage', args.channel);
      if (typeof channel === 'string') return { ok: false, error: channel };
      const ts = this.#nextTs();
      const text = String(args.text ?? '');
      const blocks = (args.blocks as unknown[] | undefined) ?? [];
      const message: PostedMessage = {
        channel: channel.id,
        ts,
        text,
        blocks,
        history: [{ text, blocks }],
        postedAt: Date.now(),
        botId: SANDBOX_BOT_ID,
        ...(args.thread_ts ? { threadTs: String(args.thread_ts) } : {}),
      };
      this.messages.push(message);
      return { ok: true, channel: channel.id, ts, message: { type: 'message', text, ts, blocks } };
    },
    'chat.update': (args) => {
      // An ID only: a name is channel_not_found (NAME_ACCEPTING).
      const channel = this.#visible(this.#channel(args.channel, false));
      if (!channel) return { ok: false, error: 'channel_not_found' };
      // https://docs.slack.dev/reference/methods/chat.update: message_not_found "No message exists
      // with the requested timestamp"; cant_update_message for one the caller did not post ("Only
      // messages posted by the authenticated user are able to be updated").
      const message = this.messages.find((m) => m.channel === channel.id && m.ts === args.ts);
      if (!message) return { ok: false, error: 'message_not_found' };
      if (message.botId !== SANDBOX_BOT_ID) return { ok: false, error: 'cant_update_message' };
      message.text = String(args.text ?? message.text);
      message.blocks = (args.blocks as unknown[] | undefined) ?? message.blocks;
      message.history.push({ text: message.text, blocks: message.blocks });
      // With the message as it now is (docs.slack.dev/reference/methods/chat.update; `message` is
      // required in the success schema of Slack's Web API document).
      const updated = { text: message.text, blocks: message.blocks };
      return { ok: true, channel: message.channel, ts: message.ts, text: message.text, message: updated };
    },
    'chat.postEphemeral': (args) => {
      const channel = this.#postable('chat.postEphemeral', args.channel);
      if (typeof channel === 'string') return { ok: false, error: channel };
      const user = String(args.user ?? '');
      if (!this.users.has(user)) return { ok: false, error: 'user_not_found' };
      // https://docs.slack.dev/reference/methods/chat.postEphemeral: the user "should be in the
      // channel"; user_not_in_channel "Cannot post user messages to a channel they are not in".
      if (!this.#isMember(channel, user)) return { ok: false, error: 'user_not_in_channel' };
      this.ephemerals.push({
        channel: channel.id,
        user: String(args.user),
        text: String(args.text ?? ''),
        blocks: (args.blocks as unknown[] | undefined) ?? [],
      });
      return { ok: true, message_ts: this.#nextTs() };
    },
    'conversations.open': (args) => {
      const user = String(args.users ?? '').split(',')[0] ?? '';
      if (!this.users.has(user)) return { ok: false, error: 'user_not_found' };
      return { ok: true, channel: { id: this.#directChannel(user).id } };
    },
    'conversations.join': (args) => {
      // https://docs.slack.dev/reference/methods/conversations.join: "ID of conversation to join";
      // private channels are method_not_supported_for_channel_type, and invisible unless a member.
      const channel = this.#visible(this.#channel(args.channel, false));
      if (!channel) return { ok: false, error: 'channel_not_found' };
      if (channel.private) return { ok: false, error: 'method_not_supported_for_channel_type' };
      channel.botMember = true;
      return { ok: true, channel: this.#channelJson(channel) };
    },
    'conversations.info': (args) => {
      // An ID only (https://docs.slack.dev/reference/methods/conversations.info: "Conversation ID").
      const channel = this.#visible(this.#channel(args.channel, false));
      if (!channel) return { ok: false, error: 'channel_not_found' };
      return { ok: true, channel: this.#channelJson(channel) };
    },
    'conversations.list': (args) => {
      const types = String(args.types ?? 'public_channel').split(',');
      const all = [...this.channels.values()].filter(
        (c) =>
          !c.id.startsWith('D') &&
          (c.private ? types.includes('private_channel') && c.botMember : types.includes('public_channel')),
      );
      const start = args.cursor ? Number(Buffer.from(String(args.cursor), 'base64url').toString()) : 0;
      const limit = Math.min(Number(args.limit ?? 100) || 100, 1000, this.pageSize);
      const page = all.slice(start, start + limit);
      const next = start + limit < all.length ? Buffer.from(String(start + limit)).toString('base64url') : '';
      return {
        ok: true,
        channels: page.map((c) => this.#channelJson(c)),
        response_metadata: { next_cursor: next },
      };
    },
    'users.info': (args) => {
      const user = this.users.get(String(args.user ?? ''));
      return user ? { ok: true, user: this.#userJson(user) } : { ok: false, error: 'user_not_found' };
    },
    'users.lookupByEmail': (args) => {
      const email = String(args.email ?? '').toLowerCase();
      const user = [...this.users.values()].find((u) => u.email?.toLowerCase() === email && !u.deleted);
      return user ? { ok: true, user: this.#userJson(user) } : { ok: false, error: 'users_not_found' };
    },
    'users.list': (args) => {
      const all = [...this.users.values()];
      const start = args.cursor ? Number(Buffer.from(String(args.cursor), 'base64url').toString()) : 0;
      const limit = Math.min(Number(args.limit ?? this.pageSize) || this.pageSize, this.pageSize);
      const page = all.slice(start, start + limit);
      const next = start + limit < all.length ? Buffer.from(String(start + limit)).toString('base64url') : '';
      return {
        ok: true,
        members: page.map((u) => this.#userJson(u)),
        // When the list was made (required in users.list's success schema of Slack's Web API document).
        cache_ts: Math.floor(Date.now() / 1000),
        response_metadata: { next_cursor: next },
      };
    },
    'usergroups.list': (args) => {
      const includeDisabled = String(args.include_disabled) === 'true';
      const includeUsers = String(args.include_users) === 'true';
      return {
        ok: true,
        usergroups: [...this.usergroups.values()]
          .filter((g) => includeDisabled || !g.disabled)
          .map((g) => this.#userGroupJson(g, includeUsers)),
      };
    },
    'usergroups.users.list': (args) => {
      const group = this.usergroups.get(String(args.usergroup ?? ''));
      return group ? { ok: true, users: group.users } : { ok: false, error: 'no_such_subteam' };
    },
    'views.open': (args) => {
      const triggerId = String(args.trigger_id ?? '');
      if (!triggerId) return { ok: false, error: 'invalid_arguments' };
      const spent = this.#spendTrigger(triggerId);
      if (spent) return { ok: false, error: spent };
      const view = (args.view ?? {}) as Record<string, unknown>;
      const opened = this.#openView(view);
      this.openedViews.push({ triggerId, view, id: String(opened.id) });
      return { ok: true, view: opened };
    },
    'views.update': (args) => {
      // https://docs.slack.dev/reference/methods/views.update: not_found for an unknown view_id;
      // hash_conflict when `hash` is not the view's current one (another update came first).
      const id = String(args.view_id ?? '');
      const open = this.#views.get(id);
      if (!open) return { ok: false, error: 'not_found' };
      if (args.hash !== undefined && args.hash !== open.hash) return { ok: false, error: 'hash_conflict' };
      open.view = (args.view ?? {}) as Record<string, unknown>;
      open.hash = this.#viewHash();
      return { ok: true, view: { ...open.view, id, hash: open.hash } };
    },
    'views.push': (args) => {
      const spent = this.#spendTrigger(String(args.trigger_id ?? ''));
      if (spent) return { ok: false, error: spent };
      return { ok: true, view: this.#openView((args.view ?? {}) as Record<string, unknown>) };
    },
    'views.publish': (args) => {
      const user = String(args.user_id ?? '');
      if (!this.users.has(user)) return { ok: false, error: 'user_not_found' };
      this.publishedViews.set(user, (args.view ?? {}) as Record<string, unknown>);
      return { ok: true, view: args.view };
    },
  };

  /** A view just opened: an id and the hash a views.update must quote. */
  #openView(view: Record<string, unknown>): Record<string, unknown> {
    const id = `V${this.#nextTs().replace('.', '')}`;
    const hash = this.#viewHash();
    this.#views.set(id, { view, hash });
    return { ...view, id, hash };
  }

  #viewHash(): string {
    return `${this.#nextTs()}.${Math.random().toString(16).slice(2, 10)}`;
  }

  /** The channel a call names: by ID, or by name (`#releases` or `releases`) where `byName`. */
  #channel(value: unknown, byName: boolean): SlackChannel | undefined {
    const given = String(value ?? '');
    const byId = this.channels.get(given);
    if (byId || !byName) return byId;
    const name = given.startsWith('#') ? given.slice(1) : given;
    return [...this.channels.values()].find((c) => c.name === name && !c.id.startsWith('D'));
  }

  /**
   * The channel as the bot sees it: a private channel it is not in does not exist, to it
   * (https://docs.slack.dev/reference/scopes/groups.read: "private channels that your app has
   * been added to"), so every method answers channel_not_found.
   */
  #visible(channel: SlackChannel | undefined): SlackChannel | undefined {
    return channel && (!channel.private || channel.botMember) ? channel : undefined;
  }

  /**
   * Where a message may be posted: a name only for the methods that take one; a public channel the
   * bot is not in only with chat:write.public
   * (https://docs.slack.dev/reference/scopes/chat.write.public), else not_in_channel.
   */
  /** The bot's direct-message channel with a person, opened on first use. */
  #directChannel(user: string): SlackChannel {
    const id = `D${user}`;
    const existing = this.channels.get(id);
    if (existing) return existing;
    const channel: SlackChannel = { id, name: `dm-${user}`, botMember: true, members: [user] };
    this.channels.set(id, channel);
    return channel;
  }

  #postable(method: string, value: unknown): SlackChannel | string {
    // https://docs.slack.dev/reference/methods/chat.postMessage#app_home: a user ID as `channel`
    // posts to the app's direct messages with that person; the answer names the D… channel.
    if (method === 'chat.postMessage' && typeof value === 'string' && /^[UW][A-Z0-9]+$/.test(value))
      return this.users.has(value) ? this.#directChannel(value) : 'channel_not_found';
    const channel = this.#visible(this.#channel(value, NAME_ACCEPTING.has(method)));
    if (!channel) return 'channel_not_found';
    const publicPost = method === 'chat.postMessage' && this.scopes.has('chat:write.public');
    if (!channel.botMember && !publicPost) return 'not_in_channel';
    return channel;
  }

  /** Whether a person is in the channel (everyone is in one that lists no members). */
  #isMember(channel: SlackChannel, user: string): boolean {
    return channel.members === undefined || channel.members.includes(user);
  }

  /**
   * A user as users.info, .lookupByEmail and .list answer: every field Slack always sends (the user
   * and user profile objects of Slack's Web API document require them; docs.slack.dev/reference/
   * objects/user-object).
   */
  #userJson(user: SlackUser): Record<string, unknown> {
    const realName = user.realName ?? user.name;
    return {
      id: user.id,
      team_id: 'T0SANDBOX',
      name: user.name,
      real_name: realName,
      deleted: user.deleted ?? false,
      is_bot: user.isBot ?? false,
      is_app_user: false,
      updated: 1_700_000_000,
      profile: {
        real_name: realName,
        real_name_normalized: realName,
        display_name: user.name,
        display_name_normalized: user.name,
        avatar_hash: 'g0sandbox000',
        title: '',
        phone: '',
        skype: '',
        status_text: '',
        status_emoji: '',
        fields: null,
        ...(user.email ? { email: user.email } : {}),
      },
    };
  }

  /**
   * A user group as usergroups.list answers: every field Slack always sends (the subteam object of
   * Slack's Web API document requires them; docs.slack.dev/reference/methods/usergroups.list).
   */
  #userGroupJson(group: SlackUserGroup, includeUsers: boolean): Record<string, unknown> {
    return {
      id: group.id,
      team_id: 'T0SANDBOX',
      is_usergroup: true,
      is_subteam: true,
      name: group.name,
      description: '',
      handle: group.handle,
      is_external: false,
      date_create: 1_700_000_000,
      date_update: 1_700_000_000,
      date_delete: group.disabled ? 1_700_000_001 : 0,
      auto_type: null,
      auto_provision: false,
      enterprise_subteam_id: '',
      created_by: SANDBOX_CREATOR,
      updated_by: SANDBOX_CREATOR,
      deleted_by: null,
      prefs: { channels: [], groups: [] },
      user_count: group.userCount ?? group.users.length,
      ...(includeUsers ? { users: group.users } : {}),
    };
  }

  /**
   * Judges the app's answer to a view_submission as Slack does
   * (https://docs.slack.dev/surfaces/modals, "Handling submissions": an empty 200 closes the view;
   * `response_action: "errors"` with `errors` keyed by the block_id of an input block in that view
   * shows each message under its input and keeps the view open; "update" and "push" carry a view;
   * "clear" closes every view). An answer Slack would not take is kept in `refused` (method
   * `view_submission`). A view the simulator opened is forgotten once it closes.
   */
  judgeViewSubmission(
    view: { id?: string; blocks?: readonly unknown[] },
    answer: { status: number; body: string },
  ): ViewSubmissionOutcome {
    const judged = this.#judgeSubmission(view, answer);
    if (judged.refused)
      this.refused.push({
        method: 'view_submission',
        error: judged.refused,
        status: answer.status,
        args: { view_id: view.id, answer: answer.body },
      });
    if (!judged.open && view.id) this.#views.delete(view.id);
    return judged;
  }

  /** Whether a view the simulator opened (views.open, views.push) is still open. */
  isViewOpen(id: string): boolean {
    return this.#views.has(id);
  }

  #judgeSubmission(
    view: { blocks?: readonly unknown[] },
    answer: { status: number; body: string },
  ): ViewSubmissionOutcome {
    // Anything but a 200 is a failed delivery: the view stays open with Slack's own error.
    if (answer.status !== 200) return { open: true, refused: `http_${answer.status}` };
    if (answer.body.trim() === '') return { open: false };
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(answer.body) as Record<string, unknown>;
    } catch {
      return { open: true, refused: 'invalid_json' };
    }
    const action = body.response_action;
    if (action === undefined) return { open: false };
    if (action === 'clear') return { open: false };
    if (action === 'update' || action === 'push') {
      return body.view && typeof body.view === 'object' ? { open: true } : { open: true, refused: 'no_view' };
    }
    if (action !== 'errors') return { open: true, refused: 'invalid_response_action' };
    const errors = body.errors;
    if (!errors || typeof errors !== 'object' || Object.keys(errors).length === 0)
      return { open: true, refused: 'invalid_errors' };
    const inputs = new Set(
      (view.blocks ?? [])
        .map((b) => b as { type?: string; block_id?: string })
        .filter((b) => b.type === 'input' && b.block_id)
        .map((b) => b.block_id),
    );
    const entries = Object.entries(errors as Record<string, unknown>);
    // An error for a block that is not an input of this view has nowhere to be shown.
    if (entries.some(([blockId, text]) => !inputs.has(blockId) || typeof text !== 'string'))
      return { open: true, refused: 'invalid_errors' };
    return { open: true, errors: Object.fromEntries(entries) as Record<string, string> };
  }

  /** The violations seen since the last call, across simulators; clears them. */
  static takeLimitViolations(): RecordedViolation[] {
    return SlackSimulator.limitViolations.splice(0);
  }
}

/** The most of these instants that fall within any window of `windowMs` (a window starting at each). */
function peakInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while ((sorted[last] as number) - (sorted[first] as number) >= windowMs) first++;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}
