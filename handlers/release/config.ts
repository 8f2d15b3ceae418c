import { z } from 'zod';
import { duration } from '../../core/config/duration.ts';
import { integer } from '../../core/config/fields.ts';

/** A directory group (`file:release-managers`), as grants name them. */
const groupName = z.string().regex(/^[a-z][a-z0-9-]{0,31}:[^\s:][^\s]*$/, {
  error: 'expected a directory group such as file:release-managers',
});

/** A Slack user id (U…/W…), an e-mail address, or a directory group `<source>:<id>`. */
export const ownerRef = z.union([z.string().regex(/^[UW][A-Z0-9]{2,}$/), z.email(), groupName], {
  error: 'expected a Slack user id (U…), an e-mail address or a directory group such as file:team-x',
});

const serviceName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, { error: 'expected a lower-case name such as orders-api' });

const repository = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: 'expected owner/name, such as acme/orders' });

const serviceSchema = z.strictObject({
  name: serviceName,
  /** `owner/name` on GitHub. */
  repository,
  /** The branch releases are cut from. */
  branch: z.string().min(1).default('main'),
  /** For a monorepo: the paths (folder prefixes or picomatch globs, `!` to leave out) of this service. */
  paths: z
    .array(
      z
        .string()
        .regex(/^!?[^!]/, { error: 'expected a folder or a glob, such as services/orders/ or !**/*.md' }),
    )
    .default([]),
  /** Argo CD applications that deploy this service, synced in this order. */
  applications: z.array(z.string().regex(/^[a-z0-9][a-z0-9.-]{0,252}$/)).min(1),
  owners: z.array(ownerRef).min(1),
  /** Channels that get this service's release notes. */
  stakeholders: z.array(z.string().min(1)).default([]),
  /** Notes for readers outside the company: no links to pull requests, no authors. */
  external: z.boolean().default(false),
});
export type ReleaseServiceConfig = z.output<typeof serviceSchema>;

const categorySchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/),
  /** The heading in engineering notes. */
  title: z.string().min(1),
  /** The heading stakeholders read; leave out to keep the category out of stakeholder notes. */
  stakeholderTitle: z.string().min(1).optional(),
  labels: z.array(z.string().min(1)).default([]),
  /** Conventional-commit types (`feat`, `fix`) whose titles fall in this category. */
  types: z.array(z.string().regex(/^[a-z]+$/)).default([]),
});
export type ReleaseCategory = z.output<typeof categorySchema>;

export const defaultCategories: ReleaseCategory[] = [
  {
    name: 'breaking',
    title: 'Breaking changes',
    stakeholderTitle: 'Changes that need your attention',
    labels: ['breaking', 'breaking-change'],
    types: [],
  },
  {
    name: 'security',
    title: 'Security',
    stakeholderTitle: 'Security',
    labels: ['security'],
    types: [],
  },
  {
    name: 'feature',
    title: 'Features',
    stakeholderTitle: 'New',
    labels: ['feature', 'enhancement'],
    types: ['feat'],
  },
  {
    name: 'fix',
    title: 'Fixes',
    stakeholderTitle: 'Fixed',
    labels: ['bug', 'fix', 'bugfix'],
    types: ['fix'],
  },
  {
    name: 'performance',
    title: 'Performance',
    stakeholderTitle: 'Faster',
    labels: ['performance'],
    types: ['perf'],
  },
  { name: 'docs', title: 'Documentation', labels: ['documentation', 'docs'], types: ['docs'] },
  {
    name: 'maintenance',
    title: 'Maintenance',
    labels: ['chore', 'dependencies', 'ci', 'refactor', 'tests'],
    types: ['chore', 'ci', 'build', 'refactor', 'test', 'style', 'revert'],
  },
];

function section<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null || value === undefined ? {} : value), schema);
}

/** The Jira side of a release: where its fix version lives and how hard dpbot tries. */
const releaseJiraSchema = section(
  z.strictObject({
    /** The project whose fix version a release creates; unset: no Jira steps (jira.url is needed too). */
    project: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]{1,9}$/, { error: 'expected a Jira project key such as DATA' })
      .optional(),
    /** The fix version's name; {date} (the release's start day) and {id} are replaced. */
    versionName: z.string().min(1).max(200).default('release-{date}-{id}'),
    /** Issues that belong to the release besides those in its fix version (listed when no pull request names them). */
    scopeJql: z.string().min(1).max(2000).optional(),
    /** Issues updated at once when the fix version is set. */
    concurrency: integer({ min: 1, max: 10 }).default(4),
    /** Retries of one Jira request after a 429, a 5xx or no answer; then the failure is reported. */
    retries: integer({ min: 0, max: 10 }).default(3),
    /** First wait before retrying a 5xx or no answer (doubling each time); a 429 waits its Retry-After. */
    retryDelay: duration().prefault('1s'),
    /** A Retry-After longer than this is not waited out: the request is reported as failed. */
    maxRetryWait: duration().prefault('1m'),
  }),
);

/** "Running in production" and "rolled back" notices once a service of a release turns healthy. */
const releaseNoticesSchema = section(
  z.strictObject({
    /** Off: no comments on pull requests or Jira issues and no direct messages to authors or subscribers. */
    enabled: z.boolean().default(true),
    /** The workspace's address (https://acme.slack.com): with it, notices link to the release message. */
    slackUrl: z.url().optional(),
    /**
     * GitHub login → e-mail, for authors no directory source lists under their login (a `github`
     * source does, with its members' logins).
     */
    authors: z
      .record(z.string().regex(/^[A-Za-z0-9-]+$/, { error: 'expected a GitHub login' }), z.email())
      .default({}),
  }),
);

export const releaseSchema = section(
  z
    .strictObject({
      /** Where the release message and its threads are posted. */
      channel: z.string().min(1).default('#releases'),
      /** A directory group whose members may decide for any service and ship. */
      managers: groupName.optional(),
      services: z.array(serviceSchema).default([]),
      /** Categories, in the order notes list them; the first whose label or type matches wins. */
      categories: z.array(categorySchema).min(1).default(defaultCategories),
      /** Pull requests with one of these labels are left out of every note. */
      excludeLabels: z.array(z.string().min(1)).default(['skip-release-notes']),
      /** Jira project keys; when set, only these count as keys (and lower-case branch names match). */
      jiraProjects: z.array(z.string().regex(/^[A-Z][A-Z0-9_]{1,9}$/)).default([]),
      /** The weekly reminder with a Start button; leave out for none. */
      schedule: z
        .strictObject({
          cron: z
            .string()
            .regex(/^\S+( \S+){4}$/, { error: 'expected a five-field cron such as "0 10 * * 3"' }),
          timezone: z.string().min(1).default('UTC'),
        })
        .optional(),
      /** Services synced together, wave after wave; services not listed follow one at a time. */
      waves: z.array(z.array(serviceName).min(1)).default([]),
      /** How long an application must stay Healthy after its sync before it counts as done. */
      settleTime: duration().prefault('2m'),
      /** How often the ship watcher looks at Argo CD. */
      pollInterval: duration().prefault('10s'),
      /** An application not done by then counts as failed. */
      syncTimeout: duration().prefault('30m'),
      /** Reminders to owners who have not decided. */
      reminderInterval: duration().prefault('4h'),
      /** Reminders that auto-sync is still off after a rollback. */
      autoSyncReminderInterval: duration().prefault('1h'),
      /** Create a GitHub release (and its tag) per repository once shipped. */
      githubReleases: z.boolean().default(false),
      /** Tag name of those releases; {date} and {id} are replaced. */
      tagPattern: z.string().min(1).default('release-{date}-{id}'),
      /** The release's Jira fix version (with `jira.url`). */
      jira: releaseJiraSchema,
      /** Notices on pull requests, Jira issues and by direct message once a service runs in production. */
      notices: releaseNoticesSchema,
    })
    .superRefine((value, ctx) => {
      const names = new Set<string>();
      value.services.forEach((s, i) => {
        if (names.has(s.name))
          ctx.addIssue({
            code: 'custom',
            path: ['services', i, 'name'],
            message: `"${s.name}" is used twice`,
          });
        names.add(s.name);
      });
      value.waves.forEach((wave, i) => {
        wave.forEach((name, j) => {
          if (!names.has(name))
            ctx.addIssue({ code: 'custom', path: ['waves', i, j], message: `no service is named "${name}"` });
        });
      });
    }),
);

export { githubSchema } from '../../integrations/github/config.ts';
