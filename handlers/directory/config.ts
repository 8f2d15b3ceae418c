import { z } from 'zod';
import { duration } from '../../core/config/duration.ts';
import { integer } from '../../core/config/fields.ts';

/** A directory source's name prefixes its groups: source `file` has groups `file:<id>`. */
export const sourceName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, { error: 'expected a lower-case name such as "file" or "slack"' });

const envName = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]*$/, { error: 'expected an environment variable name such as GITHUB_TOKEN' });

/** Settings every directory source has: when it syncs, how long it may take, how much it may remove. */
const sourceCommon = {
  name: sourceName,
  /** Cron (UTC) for the scheduled sync, or "off"; every replica agrees, each tick runs once. */
  schedule: z
    .string()
    .regex(/^(off|(\S+\s+){4,5}\S+)$/, {
      error: 'expected a cron expression such as "*/15 * * * *", or "off"',
    })
    .default('*/15 * * * *'),
  /** The whole fetch (every page) must finish within this, or the sync fails and nothing changes. */
  timeout: duration().prefault('2m'),
  /** A sync that would remove more than this share of the source's memberships is refused without --force. */
  maxRemovalShare: z.number().min(0).max(1).default(0.1),
  /** Removals up to this many memberships are never refused by the share rule (small directories). */
  removalAllowance: integer({ min: 0 }).default(5),
};

const fileSource = z
  .strictObject({
    ...sourceCommon,
    type: z.literal('file'),
    /** A YAML, JSON or CSV file of users and groups, relative to the config file. */
    path: z.string().min(1).optional(),
    /** Or an http(s) URL to fetch it from. */
    url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
    /** yaml, json or csv; by default from the file name's extension (else YAML). */
    format: z.enum(['yaml', 'json', 'csv']).optional(),
    /** Largest answer accepted from `url`, in bytes. */
    maxBytes: integer({ min: 1 }).default(20 * 1024 * 1024),
  })
  .refine((s) => (s.path === undefined) !== (s.url === undefined), {
    error: 'a file source has exactly one of "path" or "url"',
  });

const googleSource = z.strictObject({
  ...sourceCommon,
  type: z.literal('google'),
  /** The Workspace customer whose groups are read; "my_customer" is the admin's own. */
  customer: z.string().min(1).default('my_customer'),
  /** Only the groups of this domain (optional). */
  domain: z.string().min(1).optional(),
  /** The Workspace admin the service account acts as (domain-wide delegation). */
  subject: z.email(),
  /** Admin SDK base URL; tests and the sandbox point it at loopback. */
  apiUrl: z.url().default('https://admin.googleapis.com'),
  /** OAuth 2.0 token endpoint (JWT bearer grant). */
  tokenUrl: z.url().default('https://oauth2.googleapis.com/token'),
  /** Retries of a rate-limited (429, 403 rateLimitExceeded) or failed (5xx) request. */
  maxRetries: integer({ min: 0, max: 10 }).default(5),
  /** The environment variable (or NAME_FILE) holding the service account's JSON key. */
  credentialsEnv: envName.default('GOOGLE_SERVICE_ACCOUNT_JSON'),
});

const githubSource = z
  .strictObject({
    ...sourceCommon,
    type: z.literal('github'),
    /** The organization whose teams become groups (`<source>:<team slug>`). */
    org: z.string().regex(/^[A-Za-z0-9-]+$/, { error: 'expected a GitHub organization login' }),
    /** REST base URL (GitHub Enterprise: https://host/api/v3); GraphQL is `<apiUrl>/graphql`. */
    apiUrl: z.url().default('https://api.github.com'),
    /**
     * How members get their e-mail: the organization's verified-domain e-mails (GraphQL), a mapping
     * file (login → e-mail), or both (the file wins).
     */
    emails: z.enum(['verified', 'mapping', 'both']).default('verified'),
    /** YAML/JSON `{ login: email }` or CSV `login,email`, relative to the config file. */
    mapping: z.string().min(1).optional(),
    /** Retries of a failed (5xx) request; rate limits are waited out separately. */
    maxRetries: integer({ min: 0, max: 10 }).default(3),
    /** The environment variable (or NAME_FILE) holding the token (read:org; a GitHub App's works too). */
    tokenEnv: envName.default('GITHUB_TOKEN'),
  })
  .refine((s) => s.emails === 'verified' || s.mapping !== undefined, {
    error: 'set "mapping" (a login → e-mail file) when emails is "mapping" or "both"',
    path: ['mapping'],
  });

const slackSource = z.strictObject({
  ...sourceCommon,
  type: z.literal('slack'),
  /** Web API base URL; by default slack.apiUrl, else Slack's. */
  apiUrl: z.url().optional(),
  /** Only the user groups with these handles (all enabled groups when omitted). */
  handles: z.array(z.string().regex(/^[a-z0-9._-]+$/i, { error: 'expected a user group handle' })).optional(),
  /** The environment variable (or NAME_FILE) holding the bot token (usergroups:read, users:read, users:read.email). */
  tokenEnv: envName.default('SLACK_BOT_TOKEN'),
});

export const directorySourceSchema = z.discriminatedUnion('type', [
  fileSource,
  googleSource,
  githubSource,
  slackSource,
]);
export type DirectorySourceConfig = z.output<typeof directorySourceSchema>;
export type FileSourceConfig = z.output<typeof fileSource>;
export type GoogleSourceConfig = z.output<typeof googleSource>;
export type GithubSourceConfig = z.output<typeof githubSource>;
export type SlackSourceConfig = z.output<typeof slackSource>;

/**
 * `access.removalGuard`: a policy reload that would take away more than this share of the
 * person-level permissions is held for an admin's approval (directory syncs have their own
 * per-source settings above, and are held the same way); `twoPerson` keeps whoever ran the held
 * sync or reload from approving it.
 */
export const removalGuardSchema = z.preprocess(
  (value) => (value === null || value === undefined ? {} : value),
  z.strictObject({
    maxRemovalShare: z.number().min(0).max(1).default(0.2),
    removalAllowance: integer({ min: 0 }).default(5),
    twoPerson: z.boolean().default(true),
  }),
);
export type RemovalGuardConfig = z.output<typeof removalGuardSchema>;
