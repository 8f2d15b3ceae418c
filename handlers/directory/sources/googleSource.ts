import { readSecret } from '../../../core/config/secrets.ts';
import { ConfigError } from '../../../core/errors.ts';
import {
  DIRECTORY_SCOPES,
  GoogleDirectoryClient,
  type GoogleGroup,
  type GoogleMember,
} from '../../../integrations/google/directoryClient.ts';
import {
  parseServiceAccountKey,
  ServiceAccountTokens,
} from '../../../integrations/google/serviceAccountToken.ts';
import type { GoogleSourceConfig } from '../config.ts';
import { type DirectorySnapshot, normaliseSnapshot, type SnapshotUser } from '../snapshot.ts';
import { type DirectorySource, type SourceDeps, TruncatedAnswerError } from './source.ts';

const SYSTEM = 'Google Directory';
/** Member listings fetched at once: enough to hide latency, few enough to stay under per-user quotas. */
const CONCURRENCY = 4;

/**
 * Google Workspace groups (Admin SDK Directory API), named `<source>:<group e-mail>`. Nested groups
 * are flattened here rather than with includeDerivedMembership, so each group's direct member
 * count can be checked against what its pages held: a page lost on the way is a failure, not a
 * mass removal.
 */
export class GoogleDirectorySource implements DirectorySource {
  readonly name: string;
  readonly type = 'google';
  readonly describe: string;
  readonly #config: GoogleSourceConfig;
  readonly #client: GoogleDirectoryClient;

  constructor(config: GoogleSourceConfig, client: GoogleDirectoryClient) {
    this.name = config.name;
    this.#config = config;
    this.#client = client;
    this.describe = `${config.apiUrl} (customer ${config.customer}${config.domain ? `, domain ${config.domain}` : ''}, as ${config.subject})`;
  }

  static fromConfig(config: GoogleSourceConfig, deps: SourceDeps): GoogleDirectorySource {
    const json = readSecret(deps.env, config.credentialsEnv);
    if (!json)
      throw new ConfigError('environment', [
        `${config.credentialsEnv}: directory source "${config.name}" needs the Google service account's JSON key (or ${config.credentialsEnv}_FILE naming a file holding it)`,
      ]);
    const key = parseServiceAccountKey(json, config.credentialsEnv);
    const tokens = new ServiceAccountTokens({
      key,
      subject: config.subject,
      scopes: DIRECTORY_SCOPES,
      tokenUrl: config.tokenUrl,
    });
    const log = deps.log.child({ integration: 'google-directory', source: config.name });
    return new GoogleDirectorySource(
      config,
      new GoogleDirectoryClient({ apiUrl: config.apiUrl, tokens, maxRetries: config.maxRetries, log }),
    );
  }

  async fetch(signal: AbortSignal): Promise<DirectorySnapshot> {
    const scope = { customer: this.#config.customer, domain: this.#config.domain };
    const users = await this.#client.listUsers(scope, signal);
    const groups = await this.#client.listGroups(scope, signal);

    const direct = new Map<string, GoogleMember[]>();
    const byEmail = new Map(groups.map((g) => [g.email.toLowerCase(), g]));
    const queue = [...groups];
    const worker = async () => {
      for (let g = queue.shift(); g; g = queue.shift())
        direct.set(g.email.toLowerCase(), await this.#members(g, signal));
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    const allUsers = users.filter((u) => !u.archived).map((u) => u.primaryEmail.toLowerCase());
    // Groups nested from outside the listing (another domain of the customer) are fetched on demand.
    const membersOf = async (email: string): Promise<GoogleMember[]> => {
      const known = direct.get(email);
      if (known) return known;
      const group = byEmail.get(email) ?? (await this.#client.getGroup(email, signal));
      const members = await this.#members(group, signal);
      direct.set(email, members);
      return members;
    };
    // A group's flattened members are computed once, unless a cycle cut the walk short (then the
    // answer depends on where the walk entered the cycle).
    const flattened = new Map<string, Set<string>>();
    const flatten = async (
      email: string,
      path: Set<string>,
    ): Promise<{ members: Set<string>; cut: boolean }> => {
      const known = flattened.get(email);
      if (known) return { members: known, cut: false };
      const out = new Set<string>();
      let cut = false;
      for (const m of await membersOf(email)) {
        const memberEmail = m.email?.toLowerCase();
        if (m.type === 'CUSTOMER') for (const u of allUsers) out.add(u);
        else if (!memberEmail) continue;
        else if (m.type === 'GROUP') {
          // A cycle (a ∈ b ∈ a) adds nothing new; stop there instead of recursing forever.
          if (path.has(memberEmail)) {
            cut = true;
            continue;
          }
          const nested = await flatten(memberEmail, new Set([...path, memberEmail]));
          cut ||= nested.cut;
          for (const u of nested.members) out.add(u);
        } else out.add(memberEmail);
      }
      if (!cut) flattened.set(email, out);
      return { members: out, cut };
    };

    const snapshotGroups = [];
    for (const g of groups) {
      const email = g.email.toLowerCase();
      snapshotGroups.push({
        id: email,
        displayName: g.name,
        members: [...(await flatten(email, new Set([email]))).members],
      });
    }
    const snapshotUsers: SnapshotUser[] = users.map((u) => ({
      email: u.primaryEmail.toLowerCase(),
      name: u.name?.fullName,
      externalId: u.id,
      active: !u.suspended && !u.archived,
    }));
    return normaliseSnapshot({ users: snapshotUsers, groups: snapshotGroups });
  }

  /**
   * Direct members of a group, checked against its directMembersCount. A mismatch may be a change
   * made between the two calls, so the group is read again once before calling the answer short.
   */
  async #members(group: GoogleGroup, signal: AbortSignal): Promise<GoogleMember[]> {
    const members = await this.#client.listMembers(group.id, signal);
    if (group.directMembersCount === undefined || members.length === group.directMembersCount) return members;
    const fresh = await this.#client.getGroup(group.id, signal);
    const again = await this.#client.listMembers(group.id, signal);
    if (fresh.directMembersCount !== undefined && again.length !== fresh.directMembersCount)
      throw new TruncatedAnswerError(
        SYSTEM,
        `group ${group.email} has ${fresh.directMembersCount} direct members but its pages listed ${again.length}`,
      );
    return again;
  }
}
