import { LRUCache } from 'lru-cache';
import { NotAllowedError } from '../core/errors.ts';
import type { AccessStore, CallerRecord } from '../db/stores/accessStore.ts';
import type { Caller, Entry } from './defineCommand.ts';

export interface CallerRef {
  slackUserId?: string | undefined;
  email?: string | undefined;
  /**
   * The access version the database had when the request arrived (read with its replay check).
   * Groups and grants kept in memory are used only when read at this version or a later one;
   * without it they are read from the database.
   */
  accessVersion?: number | undefined;
}

/** What Slack says about a user (users.info), reduced to what identity needs. */
export interface SlackProfile {
  email: string | undefined;
  deleted: boolean;
  name: string | undefined;
}

export interface SlackProfileLookup {
  lookup(slackUserId: string): Promise<SlackProfile>;
  /** Forgets a cached profile (on user_change events and when an account is deactivated). */
  forget(slackUserId: string): void;
  /** Forgets every cached profile (`access sync slack`); returns how many there were. */
  clear(): number;
}

/** What Slack told about someone dpbot would not act for: their attempt is recorded with it. */
export interface Outsider {
  email?: string | undefined;
  slackName?: string | undefined;
}

export class IdentityError extends NotAllowedError {
  readonly outsider: Outsider;
  constructor(message: string, outsider: Outsider = {}) {
    super(message);
    this.outsider = outsider;
  }
}

/** The person has a verified e-mail, but the directory does not know it. */
export class NotInDirectoryError extends IdentityError {
  readonly email: string;
  constructor(email: string, message: string, slackName?: string) {
    super(message, { email, slackName });
    this.email = email;
  }
}

/**
 * The command a caller is identified for. Identities resolved for anything else (App Home, option
 * lists, clicks on pending requests) are looked up only; a command may also make someone known
 * (the Slack sandbox's installer, app/sandbox/installer.ts).
 */
export interface CommandRequest {
  requestId: string;
  entry: Entry;
  channel: string | null;
}

/** Turns "who asked" into a caller with groups and grants. */
export interface CallerIdentity {
  resolve(ref: CallerRef, command?: CommandRequest): Promise<Caller>;
}

/** Callers whose groups and grants are kept in memory (a few KB each). */
const CACHED_CALLERS = 10_000;

/**
 * Turns "who clicked" into a directory user with groups and grants. The Slack id → e-mail step is
 * cached. So are the groups and grants, each with the access version they were read at: every
 * change to users, groups, memberships or grants moves that version on in the same transaction,
 * and a request uses a kept record only when it is at least as new as the version the database
 * had when the request arrived. A deactivation, a removal by the last sync or a withdrawn grant
 * is therefore effective on the next command, on every replica, with no message to wait for.
 */
export class DirectoryIdentity implements CallerIdentity {
  readonly #access: AccessStore;
  readonly #adminContact: string;
  readonly #slack: SlackProfileLookup | undefined;
  readonly #records = new LRUCache<string, CallerRecord>({ max: CACHED_CALLERS });

  constructor(access: AccessStore, adminContact: string, slack?: SlackProfileLookup) {
    this.#access = access;
    this.#adminContact = adminContact;
    this.#slack = slack;
  }

  async resolve(ref: CallerRef): Promise<Caller> {
    let email = ref.email?.toLowerCase();
    let slackName: string | undefined;
    if (!email && ref.slackUserId) {
      if (!this.#slack)
        throw new IdentityError('Slack identities cannot be resolved: dpbot has no Slack client');
      const profile = await this.#slack.lookup(ref.slackUserId);
      slackName = profile.name;
      const told = { email: profile.email?.toLowerCase(), slackName };
      if (profile.deleted) {
        throw new IdentityError(
          `your Slack account (${ref.slackUserId}) is deactivated, so dpbot will not act for it. Ask ${this.#adminContact} if this is wrong.`,
          told,
        );
      }
      if (!profile.email) {
        throw new IdentityError(
          `dpbot cannot see the e-mail address of your Slack account (${ref.slackUserId}), which is how it finds you in the directory. ` +
            `Ask ${this.#adminContact} to check that the app has the users:read.email scope.`,
          told,
        );
      }
      email = profile.email.toLowerCase();
    }
    if (!email) throw new IdentityError('the request does not say who sent it');
    const record = await this.#record(email, ref.accessVersion);
    if (!record) {
      throw new NotInDirectoryError(
        email,
        `${email} is not in dpbot's directory, so it cannot tell what you may do. Ask ${this.#adminContact} to add you to a group that has access.`,
        slackName,
      );
    }
    if (!record.user.active) {
      throw new IdentityError(
        `${email} is no longer active in the company directory, so dpbot will not act for it. Ask ${this.#adminContact} if this is wrong.`,
        { email, slackName },
      );
    }
    return {
      id: record.user.id,
      email: record.user.email,
      // Slack's name stands in where the directory has none (or only the e-mail again).
      name:
        record.user.name && record.user.name.toLowerCase() !== record.user.email.toLowerCase()
          ? record.user.name
          : (slackName ?? record.user.name),
      slackUserId: ref.slackUserId ?? record.user.slackUserId,
      groups: record.groups,
      grants: record.grants,
    };
  }

  async #record(email: string, atLeast: number | undefined): Promise<CallerRecord | undefined> {
    const kept = this.#records.get(email);
    if (atLeast !== undefined && kept?.version !== undefined && kept.version >= atLeast) return kept;
    const record = await this.#access.loadCaller(email);
    // Requests finish out of order: never replace a record with an older one.
    if (record?.version !== undefined && !(kept?.version !== undefined && kept.version > record.version))
      this.#records.set(email, record);
    else if (!record) this.#records.delete(email);
    return record;
  }
}
