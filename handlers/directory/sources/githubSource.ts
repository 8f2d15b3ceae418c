import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { describeIssues } from '../../../core/config/describeIssues.ts';
import { resolveConfigRelative } from '../../../core/config/relativePath.ts';
import { readSecret } from '../../../core/config/secrets.ts';
import { parseYaml } from '../../../core/config/yaml.ts';
import { ConfigError, errorMessage, UpstreamError } from '../../../core/errors.ts';
import { GithubTeamsClient } from '../../../integrations/github/githubTeamsClient.ts';
import type { GithubSourceConfig } from '../config.ts';
import { type DirectorySnapshot, normaliseSnapshot } from '../snapshot.ts';
import { type DirectorySource, type SourceDeps, TruncatedAnswerError } from './source.ts';

const SYSTEM = 'GitHub';
const CONCURRENCY = 4;

const mappingSchema = z.record(
  z.string().regex(/^[A-Za-z0-9-]+$/, { error: 'expected a GitHub login' }),
  z.email(),
);

/** A login → e-mail file: YAML/JSON `{ login: email }`, or CSV with columns login,email. */
export async function readLoginMapping(path: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UpstreamError('GitHub login mapping', `cannot read ${path}: ${errorMessage(error)}`);
  }
  let raw: unknown;
  if (extname(path).toLowerCase() === '.csv') {
    const rows = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<
      string,
      string
    >[];
    raw = Object.fromEntries(rows.map((r) => [r.login ?? '', r.email ?? '']));
  } else raw = parseYaml(text, path) ?? {};
  const parsed = mappingSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(path, describeIssues(parsed.error));
  return new Map(
    Object.entries(parsed.data).map(([login, email]) => [login.toLowerCase(), email.toLowerCase()]),
  );
}

/**
 * GitHub organization teams as groups named `<source>:<team slug>`. A member becomes a directory
 * user through an e-mail on the organization's verified domains, or through the mapping file;
 * members with neither are left out (and counted in the sync's notes). Every listing is checked
 * against GraphQL's totalCount, so a page that went missing fails the sync instead of removing
 * people.
 */
export class GithubTeamsSource implements DirectorySource {
  readonly name: string;
  readonly type = 'github';
  readonly describe: string;
  readonly #config: GithubSourceConfig;
  readonly #client: GithubTeamsClient;
  readonly #mappingPath: string | undefined;

  constructor(config: GithubSourceConfig, client: GithubTeamsClient, configDir: string) {
    this.name = config.name;
    this.#config = config;
    this.#client = client;
    this.#mappingPath =
      config.mapping === undefined
        ? undefined
        : resolveConfigRelative({ baseDir: configDir }, config.mapping);
    this.describe = `${config.apiUrl} (organization ${config.org})`;
  }

  static fromConfig(config: GithubSourceConfig, deps: SourceDeps): GithubTeamsSource {
    const token = readSecret(deps.env, config.tokenEnv);
    if (!token)
      throw new ConfigError('environment', [
        `${config.tokenEnv}: directory source "${config.name}" needs a GitHub token with read:org (or ${config.tokenEnv}_FILE)`,
      ]);
    const log = deps.log.child({ integration: 'github-teams', source: config.name });
    const client = new GithubTeamsClient({
      apiUrl: config.apiUrl,
      token,
      maxRetries: config.maxRetries,
      log,
    });
    return new GithubTeamsSource(config, client, deps.configDir);
  }

  async fetch(signal: AbortSignal): Promise<DirectorySnapshot> {
    const { org, emails } = this.#config;
    const mapping = this.#mappingPath ? await readLoginMapping(this.#mappingPath) : new Map<string, string>();
    const org_ = await this.#client.listMembersWithEmails(org, signal);
    if (org_.members.length !== org_.total)
      throw new TruncatedAnswerError(
        SYSTEM,
        `the organization has ${org_.total} members but ${org_.members.length} were listed`,
      );
    const teams = await this.#client.listTeams(org, signal);
    const counts = await this.#client.teamMemberCounts(org, signal);
    if (teams.length !== counts.total)
      throw new TruncatedAnswerError(
        SYSTEM,
        `the organization has ${counts.total} teams but ${teams.length} were listed`,
      );

    const members = new Map<string, string[]>();
    const queue = [...teams];
    const worker = async () => {
      for (let t = queue.shift(); t; t = queue.shift()) {
        const logins = await this.#client.listTeamMembers(org, t.slug, signal);
        const expected = counts.members.get(t.slug);
        if (expected !== undefined && new Set(logins).size !== expected)
          throw new TruncatedAnswerError(
            SYSTEM,
            `team ${t.slug} has ${expected} members but ${logins.length} were listed`,
          );
        members.set(t.slug, logins);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    const emailOf = new Map<string, string>();
    const names = new Map<string, string | null>();
    for (const m of org_.members) {
      const login = m.login.toLowerCase();
      names.set(login, m.name);
      const verified =
        emails === 'mapping' ? undefined : [...m.verifiedEmails].map((e) => e.toLowerCase()).sort()[0];
      const mapped = emails === 'verified' ? undefined : mapping.get(login);
      const email = mapped ?? verified;
      if (email) emailOf.set(login, email);
    }
    const unmatched = new Set<string>();
    const groups = teams.map((t) => ({
      id: t.slug,
      displayName: t.name,
      members: (members.get(t.slug) ?? []).flatMap((login) => {
        const email = emailOf.get(login.toLowerCase());
        if (!email) unmatched.add(login);
        return email ? [email] : [];
      }),
    }));
    const users = [...emailOf].map(([login, email]) => ({
      email,
      name: names.get(login) ?? undefined,
      externalId: login,
      active: true,
    }));
    const snapshot = normaliseSnapshot({ users, groups });
    if (unmatched.size > 0)
      snapshot.notes = [
        `${unmatched.size} team member(s) have no e-mail on the organization's verified domains${this.#mappingPath ? ' or in the mapping file' : ''} and were left out: ${[...unmatched].sort().slice(0, 10).join(', ')}${unmatched.size > 10 ? ', …' : ''}`,
      ];
    return snapshot;
  }
}
