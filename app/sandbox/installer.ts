import type { Logger } from 'pino';
import { errorMessage, UpstreamError } from '../../core/errors.ts';
import type { OnceStore } from '../../db/stores/actionKeyStore.ts';
import type { AuditStore } from '../../db/stores/auditStore.ts';
import type { DirectorySnapshot, DirectorySource } from '../../handlers/directory/index.ts';
import { syncDirectorySources } from '../../handlers/directory/index.ts';
import type { Caller } from '../../pipeline/defineCommand.ts';
import {
  type CallerIdentity,
  type CallerRef,
  type CommandRequest,
  NotInDirectoryError,
} from '../../pipeline/identity.ts';
import type { Config } from '../config/schema.ts';
import type { Services } from '../services.ts';
import { directoryDeps } from '../wiring/directory.ts';

/** The sandbox directory's groups that hold the data-platform grants (policies/platform.yaml). */
export const ADMIN_GROUPS = ['data-platform', 'engineering'] as const;

/** The once-only key whose holder is the sandbox's installer: one across replicas and restarts. */
export const INSTALLER_KEY = 'sandbox:installer';

/** The sandbox directory: the first file source read from a path (sandbox/directory.yaml in the example). */
export function sandboxDirectoryName(config: Config): string | undefined {
  return config.directory.sources.find((s) => s.type === 'file' && s.path !== undefined)?.name;
}

/** The snapshot with `email` a user and a member of each admin group it has. */
export function withAdministrator(snapshot: DirectorySnapshot, email: string): DirectorySnapshot {
  const lower = email.toLowerCase();
  const known = snapshot.users.some((u) => u.email.toLowerCase() === lower);
  return {
    ...snapshot,
    users: known ? snapshot.users : [...snapshot.users, { email: lower, name: lower, active: true }],
    groups: snapshot.groups.map((g) =>
      (ADMIN_GROUPS as readonly string[]).includes(g.id) && !g.members.includes(lower)
        ? { ...g, members: [...g.members, lower].sort() }
        : g,
    ),
  };
}

/**
 * The sandbox directory's source, with its administrator added on every read: a sync on any
 * replica, at any start, keeps them where the file alone would remove them.
 */
export function withAdministratorSource(
  source: DirectorySource,
  administrator: () => Promise<string | undefined>,
): DirectorySource {
  return {
    name: source.name,
    type: source.type,
    describe: source.describe,
    async fetch(signal) {
      const snapshot = await source.fetch(signal);
      const email = await administrator();
      return email ? withAdministrator(snapshot, email) : snapshot;
    },
  };
}

interface InstallerDeps {
  identity: CallerIdentity;
  once: Pick<OnceStore, 'claim'>;
  audit: Pick<AuditStore, 'append'>;
  /** Syncs the sandbox directory now, so the installer's groups apply from this command on. */
  sync(request: CommandRequest, email: string): Promise<void>;
  source: string;
  log: Logger;
}

/**
 * A Slack workspace in front of a sandbox with no --admin: the first person to run a command who
 * is not in the sandbox directory becomes its installer — added to its admin groups, told so in
 * the reply, audited. Exactly one person ever wins (a once-only key in the database, so across
 * replicas and restarts); everyone after is told they are not in the directory, as always.
 */
export class SandboxInstaller implements CallerIdentity {
  readonly #deps: InstallerDeps;

  constructor(deps: InstallerDeps) {
    this.#deps = deps;
  }

  async resolve(ref: CallerRef, command?: CommandRequest): Promise<Caller> {
    try {
      return await this.#deps.identity.resolve(ref, command);
    } catch (error) {
      // Only a command from Slack (a verified e-mail behind a Slack id) may install.
      if (!(error instanceof NotInDirectoryError) || !command || !ref.slackUserId) throw error;
      const claim = await this.#deps.once.claim(INSTALLER_KEY, command.requestId, error.email);
      // The installer whose first command failed half way (the sync) tries again; nobody else may.
      if (!claim.won && claim.by !== error.email) throw error;
      return this.#install(ref, command, error.email);
    }
  }

  async #install(ref: CallerRef, command: CommandRequest, email: string): Promise<Caller> {
    const { source } = this.#deps;
    const groups = ADMIN_GROUPS.map((g) => `${source}:${g}`);
    try {
      await this.#deps.sync(command, email);
    } catch (error) {
      await this.#audit(ref, command, email, { outcome: 'error', error: errorMessage(error), groups });
      throw new UpstreamError(
        'directory',
        `could not add you to the sandbox directory: ${errorMessage(error)}`,
        undefined,
        {
          cause: error,
        },
      );
    }
    const caller = await this.#deps.identity.resolve(ref, command);
    const joined = caller.groups.filter((g) => groups.includes(g));
    await this.#audit(ref, command, email, { outcome: 'installed', groups: joined });
    this.#deps.log.warn(
      { installer: email, groups: joined },
      'sandbox: the first person to run a command became the installer',
    );
    return {
      ...caller,
      notice: `You are the first to use dpbot in this sandbox, so you are its installer: dpbot added ${email} to ${joined.join(' and ') || 'no group (the sandbox directory has none of its admin groups)'}, which hold the data-platform grants on the simulated systems. Everyone after you is told they are not in dpbot's directory.`,
    };
  }

  async #audit(
    ref: CallerRef,
    command: CommandRequest,
    email: string,
    result: { outcome: string; groups: string[]; error?: string },
  ): Promise<void> {
    await this.#deps.audit.append({
      requestId: command.requestId,
      kind: 'event',
      entry: command.entry,
      slackUserId: ref.slackUserId ?? null,
      email,
      channel: command.channel,
      command: 'sandbox installer',
      resource: `source:${this.#deps.source}`,
      outcome: result.outcome,
      error: result.error ?? null,
      detail: { groups: result.groups },
    });
  }
}

/**
 * How a Slack-served sandbox learns its administrator: `--admin <email>`, or else the first
 * person to run a command (`firstUser`). Wraps what createApp built; see AppOptions.extend.
 */
export function sandboxAdministration(options: { admin?: string | undefined; firstUser: boolean }) {
  return (services: Services): Partial<Pick<Services, 'identity' | 'directorySources'>> => {
    const name = sandboxDirectoryName(services.config);
    const source = name === undefined ? undefined : services.directorySources.get(name);
    if (name === undefined || !source) return {};
    const fixed = options.admin?.toLowerCase();
    const administrator =
      fixed !== undefined
        ? async () => fixed
        : options.firstUser
          ? async () => (await services.once.holder(INSTALLER_KEY))?.by
          : undefined;
    if (!administrator) return {};
    const directorySources = new Map(services.directorySources);
    directorySources.set(name, withAdministratorSource(source, administrator));
    if (fixed !== undefined || !options.firstUser) return { directorySources };
    const identity = new SandboxInstaller({
      identity: services.identity,
      once: services.once,
      audit: services.audit,
      source: name,
      log: services.log,
      sync: async (command, email) => {
        const [result] = await syncDirectorySources(directoryDeps({ ...services, directorySources }), {
          source: name,
          trigger: 'command',
          entry: command.entry,
          requestId: command.requestId,
          requestedBy: email,
        });
        if (result?.status !== 'applied' && result?.status !== 'unchanged')
          throw new Error(result?.error ?? result?.problems.join('; ') ?? `no directory source ${name}`);
      },
    });
    return { directorySources, identity };
  };
}
