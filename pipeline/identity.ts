import { NotAllowedError } from '../core/errors.ts';
import type { AccessStore } from '../db/stores/accessStore.ts';
import type { Caller, Entry } from './defineCommand.ts';

export interface CallerRef {
  slackUserId?: string | undefined;
  email?: string | undefined;
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

export class IdentityError extends NotAllowedError {}

/** The person has a verified e-mail, but the directory does not know it. */
export class NotInDirectoryError extends IdentityError {
  readonly email: string;
  constructor(email: string, message: string) {
    super(message);
    this.email = email;
  }
}

/**
 * The command a caller is identified for. Identities resolved for anything else (App Home, option
 * lists, clicks on pending requests) are looked up only; a command may also make someone known
 * (the Slack sandbox's installer, bot/sandbox/installer.ts).
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

/**
 * Turns "who clicked" into a directory user with groups and grants. The Slack id → e-mail step is
 * cached; the directory is read on every request, so a deactivation or a removal by the last sync
 * is effective on the next command.
 */
export class DirectoryIdentity implements CallerIdentity {
  readonly #access: AccessStore;
  readonly #adminContact: string;
  readonly #slack: SlackProfileLookup | undefined;

  constructor(access: AccessStore, adminContact: string, slack?: SlackProfileLookup) {
    this.#access = access;
    this.#adminContact = adminContact;
    this.#slack = slack;
  }

  async resolve(ref: CallerRef): Promise<Caller> {
    let email = ref.email?.toLowerCase();
    if (!email && ref.slackUserId) {
      if (!this.#slack)
        throw new IdentityError('Slack identities cannot be resolved: dpbot has no Slack client');
      const profile = await this.#slack.lookup(ref.slackUserId);
      if (profile.deleted) {
        throw new IdentityError(
          `your Slack account (${ref.slackUserId}) is deactivated, so dpbot will not act for it. Ask ${this.#adminContact} if this is wrong.`,
        );
      }
      if (!profile.email) {
        throw new IdentityError(
          `dpbot cannot see the e-mail address of your Slack account (${ref.slackUserId}), which is how it finds you in the directory. ` +
            `Ask ${this.#adminContact} to check that the app has the users:read.email scope.`,
        );
      }
      email = profile.email.toLowerCase();
    }
    if (!email) throw new IdentityError('the request does not say who sent it');
    const record = await this.#access.loadCaller(email);
    if (!record) {
      throw new NotInDirectoryError(
        email,
        `${email} is not in dpbot's directory, so it cannot tell what you may do. Ask ${this.#adminContact} to add you to a group that has access.`,
      );
    }
    if (!record.user.active) {
      throw new IdentityError(
        `${email} is no longer active in the company directory, so dpbot will not act for it. Ask ${this.#adminContact} if this is wrong.`,
      );
    }
    return {
      id: record.user.id,
      email: record.user.email,
      name: record.user.name,
      slackUserId: ref.slackUserId ?? record.user.slackUserId,
      groups: record.groups,
      grants: record.grants,
    };
  }
}
