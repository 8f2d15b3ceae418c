import { WebClient } from '@slack/web-api';
import { readSecret } from '../../../core/config/secrets.ts';
import { ConfigError, UpstreamError } from '../../../core/errors.ts';
import { slackError } from '../../../integrations/slack/slackErrors.ts';
import type { SlackSourceConfig } from '../config.ts';
import { type DirectorySnapshot, normaliseSnapshot, type SnapshotUser } from '../snapshot.ts';
import { type DirectorySource, type SourceDeps, TruncatedAnswerError, throwIfAborted } from './source.ts';

const SYSTEM = 'Slack';
/** users.list pages; Slack recommends at most 200 per page. */
const PAGE = 200;
/** A workspace of 200 × 1,000 people would be unusual; more pages than that means a loop. */
const MAX_PAGES = 1_000;

interface SlackMember {
  id: string;
  deleted?: boolean;
  is_bot?: boolean;
  is_app_user?: boolean;
  real_name?: string;
  name?: string;
  profile?: { email?: string; real_name?: string };
}

/**
 * Slack user groups as groups named `<source>:<handle>`. Members are matched to the directory by
 * the e-mail on their Slack profile; a deactivated account is an inactive user, so its access ends
 * with the sync (and at once, through the user_change event, for the person's own commands).
 * Member lists are checked against each group's `user_count`, so a short answer fails the sync.
 */
export class SlackUserGroupsSource implements DirectorySource {
  readonly name: string;
  readonly type = 'slack';
  readonly describe: string;
  readonly #config: SlackSourceConfig;
  readonly #client: WebClient;

  constructor(config: SlackSourceConfig, client: WebClient) {
    this.name = config.name;
    this.#config = config;
    this.#client = client;
    this.describe = `Slack user groups (${client.slackApiUrl})`;
  }

  static fromConfig(config: SlackSourceConfig, deps: SourceDeps): SlackUserGroupsSource {
    const token = readSecret(deps.env, config.tokenEnv);
    if (!token) {
      throw new ConfigError('environment', [
        `${config.tokenEnv}: directory source "${config.name}" needs a Slack bot token with usergroups:read, users:read and users:read.email`,
      ]);
    }
    const apiUrl = config.apiUrl ?? deps.slackApiUrl;
    return new SlackUserGroupsSource(
      config,
      new WebClient(token, {
        ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
        // Tier 2 methods (~20/min): a 429 is waited out by the client, a few times.
        retryConfig: { retries: 5, factor: 2, minTimeout: 500, maxTimeout: 30_000 },
        timeout: 30_000,
      }),
    );
  }

  async fetch(signal: AbortSignal): Promise<DirectorySnapshot> {
    const members = await this.#listUsers(signal);
    const byId = new Map(members.map((m) => [m.id, m]));
    const groups = await this.#call(() =>
      this.#client.usergroups.list({ include_users: true, include_disabled: false }),
    );
    const wanted = this.#config.handles
      ? new Set(this.#config.handles.map((h) => h.toLowerCase()))
      : undefined;
    const notes: string[] = [];
    const users = new Map<string, SnapshotUser>();
    for (const m of members) {
      if (m.is_bot || m.is_app_user || m.id === 'USLACKBOT') continue;
      const email = m.profile?.email?.toLowerCase();
      if (!email) continue;
      users.set(m.id, {
        email,
        name: m.real_name ?? m.profile?.real_name ?? m.name,
        slackUserId: m.id,
        externalId: m.id,
        active: m.deleted !== true,
      });
    }
    const humans = members.filter((m) => !m.is_bot && !m.is_app_user && m.id !== 'USLACKBOT');
    if (humans.length > 0 && users.size === 0) {
      throw new UpstreamError(
        SYSTEM,
        'no member has a visible e-mail address: the app needs the users:read.email scope',
      );
    }

    const snapshotGroups = [];
    for (const group of groups.usergroups ?? []) {
      throwIfAborted(signal, SYSTEM);
      const handle = group.handle?.toLowerCase();
      if (!group.id || !handle || (wanted && !wanted.has(handle))) continue;
      let ids = group.users;
      if (!ids || ids.length !== group.user_count) {
        const listed = await this.#call(() =>
          this.#client.usergroups.users.list({ usergroup: group.id as string }),
        );
        ids = listed.users ?? [];
      }
      if (group.user_count !== undefined && ids.length !== group.user_count) {
        throw new TruncatedAnswerError(
          SYSTEM,
          `user group @${handle} lists ${ids.length} of its ${group.user_count} members`,
        );
      }
      const emails: string[] = [];
      for (const id of ids) {
        const user = users.get(id);
        if (user) emails.push(user.email);
        else if (!byId.get(id)?.is_bot)
          notes.push(`@${handle}: member ${id} has no e-mail address dpbot can see`);
      }
      snapshotGroups.push({ id: handle, displayName: group.name, members: emails });
    }
    return {
      ...normaliseSnapshot({ users: [...users.values()], groups: snapshotGroups }),
      ...(notes.length ? { notes } : {}),
    };
  }

  async #listUsers(signal: AbortSignal): Promise<SlackMember[]> {
    const out: SlackMember[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      throwIfAborted(signal, SYSTEM);
      const result = await this.#call(() =>
        this.#client.users.list({ limit: PAGE, ...(cursor ? { cursor } : {}) }),
      );
      out.push(...((result.members ?? []) as SlackMember[]));
      cursor = result.response_metadata?.next_cursor || undefined;
      if (!cursor) return out;
      if (seen.has(cursor))
        throw new TruncatedAnswerError(SYSTEM, 'users.list handed out the same cursor twice');
      seen.add(cursor);
    }
    throw new TruncatedAnswerError(SYSTEM, `users.list did not end after ${MAX_PAGES} pages`);
  }

  async #call<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new UpstreamError(SYSTEM, slackError(error), undefined, { cause: error });
    }
  }
}
