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

/** A payload that broke one of Slack's documented limits, with the method that carried it. */
export interface RecordedViolation extends LimitViolation {
  method: string;
}

export const SANDBOX_BOT_TOKEN = 'xoxb-sandbox-token';
export const SANDBOX_APP_TOKEN = 'xapp-sandbox-token';
export const SANDBOX_SIGNING_SECRET = 'sandbox-signing-secret-0123456789';
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

/**
 * Slack's Web API as the real @slack/web-api client calls it: form-encoded (or JSON) POSTs to
 * `<base>/<method>`, bearer tokens, `{ok: false, error}` answers, cursor pagination, and
 * response_url endpoints for `respond()`. State lives in memory for tests to inspect.
 */
export class SlackSimulator extends Simulator {
  readonly token: string;
  readonly users = new Map<string, SlackUser>();
  readonly usergroups = new Map<string, SlackUserGroup>();
  readonly channels = new Map<string, SlackChannel>();
  readonly messages: PostedMessage[] = [];
  readonly ephemerals: EphemeralMessage[] = [];
  readonly responses: ResponseUrlPost[] = [];
  readonly openedViews: { triggerId: string; view: Record<string, unknown> }[] = [];
  readonly publishedViews = new Map<string, Record<string, unknown>>();
  /**
   * Every limit any simulator saw broken, across instances, until a test takes them
   * (`takeLimitViolations`): the test set-up fails a test that leaves any behind.
   */
  static readonly limitViolations: RecordedViolation[] = [];
  /** Page size for cursor-paginated methods (users.list). */
  pageSize = 200;
  /** What apps.connections.open hands out (a Socket Mode simulator sets it). */
  socketModeUrl: string | undefined;
  /**
   * The bot token's scopes, sent as X-OAuth-Scopes on every answer as Slack does; a method whose
   * scope is missing answers `missing_scope` with `needed` and `provided`.
   */
  readonly scopes = new Set<string>(MANIFEST_SCOPES);
  #clock = 1_800_000_000;
  #seq = 0;

  constructor(options: { token?: string } = {}) {
    super('Slack');
    this.token = options.token ?? SANDBOX_BOT_TOKEN;
    this.route('POST', '/api/:method', (req) => this.#call(req));
    this.route('POST', '/response/:id', (req) => {
      const body = this.#fields(req);
      const refused = this.#refuse('response_url', checkMessage(body));
      if (refused) return { status: 400, body: refused };
      this.responses.push({ id: req.params.id ?? '', body });
      return { body: { ok: true } };
    });
  }

  /** The base URL to give WebClient (`slackApiUrl`). */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** A response_url as Slack would put in a payload. */
  responseUrl(id: string): string {
    return `${this.url}/response/${id}`;
  }

  addUser(user: SlackUser): this {
    this.users.set(user.id, user);
    return this;
  }

  addChannel(channel: SlackChannel): this {
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
    if (!token) return { body: { ok: false, error: 'not_authed' } };
    const method = req.params.method ?? '';
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
    const refused = violations.filter((v) => !v.problem.includes('`text` fallback'));
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
      bot_id: 'B0DPBOT001',
    }),
    'chat.postMessage': (args) => {
      const channel = this.#postable(String(args.channel ?? ''));
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
        ...(args.thread_ts ? { threadTs: String(args.thread_ts) } : {}),
      };
      this.messages.push(message);
      return { ok: true, channel: channel.id, ts, message: { type: 'message', text, ts, blocks } };
    },
    'chat.update': (args) => {
      const message = this.messages.find((m) => m.channel === args.channel && m.ts === args.ts);
      if (!message) return { ok: false, error: 'message_not_found' };
      message.text = String(args.text ?? message.text);
      message.blocks = (args.blocks as unknown[] | undefined) ?? message.blocks;
      message.history.push({ text: message.text, blocks: message.blocks });
      // With the message as it now is (docs.slack.dev/reference/methods/chat.update; `message` is
      // required in the success schema of Slack's Web API document).
      const updated = { text: message.text, blocks: message.blocks };
      return { ok: true, channel: message.channel, ts: message.ts, text: message.text, message: updated };
    },
    'chat.postEphemeral': (args) => {
      const channel = this.#postable(String(args.channel ?? ''));
      if (typeof channel === 'string') return { ok: false, error: channel };
      if (!this.users.has(String(args.user ?? ''))) return { ok: false, error: 'user_not_found' };
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
      const id = `D${user}`;
      if (!this.channels.has(id)) this.channels.set(id, { id, name: `dm-${user}`, botMember: true });
      return { ok: true, channel: { id } };
    },
    'conversations.join': (args) => {
      const channel = this.channels.get(String(args.channel ?? ''));
      if (!channel) return { ok: false, error: 'channel_not_found' };
      if (channel.private) return { ok: false, error: 'method_not_supported_for_channel_type' };
      channel.botMember = true;
      return { ok: true, channel: this.#channelJson(channel) };
    },
    'conversations.info': (args) => {
      const channel = this.channels.get(String(args.channel ?? ''));
      // A private channel the bot is not in looks, to it, like one that does not exist.
      if (!channel || (channel.private && !channel.botMember))
        return { ok: false, error: 'channel_not_found' };
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
      const limit = Math.min(Number(args.limit ?? 100) || 100, 1000);
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
      if (triggerId.startsWith('expired')) return { ok: false, error: 'expired_trigger_id' };
      const view = (args.view ?? {}) as Record<string, unknown>;
      this.openedViews.push({ triggerId, view });
      return { ok: true, view: { ...view, id: `V${this.#nextTs().replace('.', '')}` } };
    },
    'views.update': (args) => ({ ok: true, view: { ...(args.view as object), id: args.view_id } }),
    'views.push': (args) => ({
      ok: true,
      view: { ...(args.view as object), id: `V${this.#nextTs().replace('.', '')}` },
    }),
    'views.publish': (args) => {
      const user = String(args.user_id ?? '');
      if (!this.users.has(user)) return { ok: false, error: 'user_not_found' };
      this.publishedViews.set(user, (args.view ?? {}) as Record<string, unknown>);
      return { ok: true, view: args.view };
    },
  };

  #postable(id: string): SlackChannel | string {
    const channel = this.channels.get(id);
    if (!channel) return 'channel_not_found';
    if (!channel.botMember) return 'not_in_channel';
    return channel;
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
