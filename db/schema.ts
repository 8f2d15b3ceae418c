// Whole: drizzle-kit generates the migrations from this one module; the tables reference each other.
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

/** A person known to dpbot. E-mail (lower-cased) is the identity every source agrees on. */
export const users = pgTable(
  'users',
  {
    id: serial('id').primaryKey(),
    email: text('email').notNull(),
    name: text('name'),
    slackUserId: text('slack_user_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('users_email_key').on(t.email), index('users_slack_user_id_idx').on(t.slackUserId)],
);

/**
 * Which directory sources list a user. A user is active while at least one source lists them as
 * active, so removing a person from the directory removes their access on the next command.
 */
export const userSources = pgTable(
  'user_sources',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    source: text('source').notNull(),
    externalId: text('external_id'),
    active: boolean('active').notNull().default(true),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.source] }), index('user_sources_source_idx').on(t.source)],
);

/** A group is named `<source>:<id or handle>`, which is how grants refer to it. */
export const groups = pgTable(
  'groups',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    source: text('source').notNull(),
    externalId: text('external_id'),
    displayName: text('display_name'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('groups_name_key').on(t.name), index('groups_source_idx').on(t.source)],
);

export const memberships = pgTable(
  'memberships',
  {
    groupId: integer('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    source: text('source').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index('memberships_user_id_idx').on(t.userId)],
);

/**
 * Grants refer to groups and users by name, not by key: policy files are applied before the
 * directory has synced, and a grant for a group that does not exist yet simply matches no one.
 */
const grantColumns = () => ({
  id: serial('id').primaryKey(),
  actions: text('actions').array().notNull(),
  resources: text('resources').array().notNull(),
  limits: jsonb('limits').$type<Record<string, number>>().notNull().default({}),
  approval: jsonb('approval').$type<{ group: string; count: number } | null>(),
  origin: text('origin').notNull(),
  createdAt: createdAt(),
});

export const groupGrants = pgTable(
  'group_grants',
  { ...grantColumns(), groupName: text('group_name').notNull() },
  (t) => [index('group_grants_group_name_idx').on(t.groupName)],
);

export const userGrants = pgTable(
  'user_grants',
  { ...grantColumns(), userEmail: text('user_email').notNull() },
  (t) => [index('user_grants_user_email_idx').on(t.userEmail)],
);

/**
 * One row whose `version` goes up, in the same transaction, with every change to who may do what
 * (users, their sources, groups, memberships, grants): statement triggers in
 * migrations/0002_access_version.sql. A process may decide with a caller's groups and grants kept
 * in memory only while their version is the one the database has when the request arrives, so a
 * removal is effective on the next request on every replica, without waiting for a message.
 */
export const accessVersion = pgTable(
  'access_version',
  {
    singleton: boolean('singleton').primaryKey().default(true),
    version: bigint('version', { mode: 'number' }).notNull().default(0),
  },
  (t) => [check('access_version_singleton', sql`${t.singleton}`)],
);

export const auditKinds = ['attempt', 'step', 'outcome', 'event'] as const;
export type AuditKind = (typeof auditKinds)[number];

/**
 * Append-only, hash-chained. `id`, `prev_hash` and `hash` are assigned by the `audit_log_chain`
 * trigger (migrations/0001_audit_chain.sql) under a lock on `audit_head`, so the chain has one
 * order even with many writers; UPDATE, DELETE and TRUNCATE are rejected by triggers.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().default(0),
    at: timestamp('at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
    requestId: text('request_id').notNull(),
    kind: text('kind', { enum: auditKinds }).notNull(),
    entry: text('entry').notNull(),
    slackUserId: text('slack_user_id'),
    /**
     * The name Slack gives the person (their profile's real name), kept for people outside the
     * directory: their attempts are found by it (`audit mallory`), as the directory names no one.
     */
    slackName: text('slack_name'),
    email: text('email'),
    channel: text('channel'),
    command: text('command'),
    commandText: text('command_text'),
    args: jsonb('args'),
    action: text('action'),
    resource: text('resource'),
    decision: text('decision'),
    reason: text('reason'),
    grantRef: jsonb('grant_ref'),
    outcome: text('outcome'),
    error: text('error'),
    durationMs: integer('duration_ms'),
    detail: jsonb('detail'),
    prevHash: text('prev_hash').notNull().default(''),
    hash: text('hash').notNull().default(''),
    /**
     * Chosen by the writer before its first try, so a retry after an answer lost in transit finds
     * the row it already wrote instead of writing it again. Not part of the hashed text: rows
     * written before it existed keep their hashes.
     */
    idempotencyKey: text('idempotency_key'),
    /**
     * The OpenTelemetry trace of the request or job that wrote the row (with tracing on), so an
     * audit entry leads to its trace. Not part of the hashed text either: it points at telemetry
     * kept elsewhere, and rows written before it existed keep their hashes.
     */
    traceId: text('trace_id'),
  },
  (t) => [
    uniqueIndex('audit_log_idempotency_key_key').on(t.idempotencyKey),
    index('audit_log_request_id_idx').on(t.requestId),
    index('audit_log_email_at_idx').on(t.email, t.at),
    index('audit_log_slack_user_id_at_idx').on(t.slackUserId, t.at),
    index('audit_log_action_at_idx').on(t.action, t.at),
    index('audit_log_at_idx').on(t.at),
  ],
);

/** The tip of the audit chain: one row, locked by every append. */
export const auditHead = pgTable(
  'audit_head',
  {
    singleton: boolean('singleton').primaryKey().default(true),
    lastId: bigint('last_id', { mode: 'number' }).notNull(),
    lastHash: text('last_hash').notNull(),
  },
  (t) => [check('audit_head_singleton', sql`${t.singleton}`)],
);

export const pendingStatuses = [
  'pending',
  'confirmed',
  'cancelled',
  'expired',
  'approved',
  'denied',
] as const;
export type PendingStatus = (typeof pendingStatuses)[number];

/**
 * A command waiting for its caller's confirmation (or, later, for approvers). The status moves
 * away from `pending` exactly once, by a conditional UPDATE, which is what makes a double click
 * or a second replica harmless.
 */
export const pendingActions = pgTable(
  'pending_actions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    requestId: text('request_id').notNull(),
    kind: text('kind', { enum: ['confirm', 'approval'] }).notNull(),
    command: text('command').notNull(),
    commandText: text('command_text').notNull(),
    args: jsonb('args').notNull(),
    requesterEmail: text('requester_email').notNull(),
    requesterSlackId: text('requester_slack_id'),
    channel: text('channel'),
    summary: text('summary').notNull(),
    /** For approvals: the directory group whose members may decide, and how many must approve. */
    approverGroup: text('approver_group'),
    approvalsNeeded: integer('approvals_needed'),
    /** Where the question was posted, to update it when answered or expired. */
    messageChannel: text('message_channel'),
    messageTs: text('message_ts'),
    /** The once-only key of the button that started this, freed if the action does not happen. */
    onceKey: text('once_key'),
    status: text('status', { enum: pendingStatuses }).notNull().default('pending'),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    decidedBy: text('decided_by'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('pending_actions_status_expires_idx').on(t.status, t.expiresAt)],
);

/** One approver's vote on a pending approval; one vote per person. */
export const approvals = pgTable(
  'approvals',
  {
    pendingId: uuid('pending_id')
      .notNull()
      .references(() => pendingActions.id, { onDelete: 'cascade' }),
    approverEmail: text('approver_email').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.pendingId, t.approverEmail] })],
);

/**
 * One row per action that must happen once (a button on a message, a rollback of a release):
 * the first to insert the key does it; later clicks, replicas or redeliveries find the row and
 * say who did it and when.
 */
export const actionKeys = pgTable('action_keys', {
  key: text('key').primaryKey(),
  requestId: text('request_id').notNull(),
  actorEmail: text('actor_email').notNull(),
  createdAt: createdAt(),
});

/**
 * Slack's rate budgets (posts per channel per second, chat.update per minute per workspace),
 * counted here so that every replica spends one budget: each replica counting its own would let
 * five of them send five times what Slack allows. Rows are rate-limiter-flexible's
 * (RateLimiterPostgres: key, points used in the window, when the window ends in epoch ms).
 */
export const slackBudget = pgTable('slack_budget', {
  key: varchar('key', { length: 255 }).primaryKey(),
  points: integer('points').notNull().default(0),
  expire: bigint('expire', { mode: 'number' }),
});

/**
 * What each message dpbot keeps up to date shows, as the last update of any replica left it: a
 * hash of its text and blocks (null while an update is on its way or failed, so nobody skips
 * one on its strength). A replica skips a chat.update whose content is already shown, instead of
 * spending the workspace's shared Tier-3 budget on it. Old rows are pruned (an update of a
 * message with no row simply goes out).
 */
export const slackMessagesShown = pgTable(
  'slack_messages_shown',
  {
    channel: text('channel').notNull(),
    ts: text('ts').notNull(),
    contentHash: text('content_hash'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.channel, t.ts] }),
    index('slack_messages_shown_updated_at_idx').on(t.updatedAt),
  ],
);

/**
 * Signatures of Slack requests accepted in the last minutes. A signed request is valid for five
 * minutes; recording its signature makes a replay of it within that window fail.
 */
export const slackRequests = pgTable(
  'slack_requests',
  {
    signature: text('signature').primaryKey(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('slack_requests_received_at_idx').on(t.receivedAt)],
);

export const syncStatuses = ['applied', 'unchanged', 'dry_run', 'refused', 'failed'] as const;
export type SyncStatus = (typeof syncStatuses)[number];

/**
 * One row per directory sync attempt (scheduled, by command or by CLI), for `access status`: when,
 * what it found and changed, and why it failed or was refused. Directory tables stay untouched by
 * a sync that changes nothing; this log is the only write such a sync makes.
 */
export const directorySyncRuns = pgTable(
  'directory_sync_runs',
  {
    id: serial('id').primaryKey(),
    source: text('source').notNull(),
    trigger: text('trigger', { enum: ['schedule', 'command', 'cli', 'start'] }).notNull(),
    requestedBy: text('requested_by'),
    status: text('status', { enum: syncStatuses }).notNull(),
    forced: boolean('forced').notNull().default(false),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }).notNull().defaultNow(),
    /** What the source returned (users, groups, memberships) and what changed (usersAdded, ...). */
    counts: jsonb('counts').$type<Record<string, number>>().notNull().default({}),
    error: text('error'),
  },
  (t) => [index('directory_sync_runs_source_started_idx').on(t.source, t.startedAt)],
);

export const accessHoldStatuses = ['pending', 'approved', 'denied', 'superseded'] as const;
export type AccessHoldStatus = (typeof accessHoldStatuses)[number];

/**
 * An access change held for an admin's approval: a directory sync or a policy reload that would
 * take away more than the guards allow. The digest names the exact change shown, so an approval
 * applies that change and nothing else; the same change held again (every schedule tick) finds
 * its row and is not asked about twice.
 */
export const accessHolds = pgTable(
  'access_holds',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** A directory source's name, or "policies" for a policy reload. */
    target: text('target').notNull(),
    digest: text('digest').notNull(),
    /** Who ran the sync or reload that was held; null for a scheduled sync or a start. */
    requestedBy: text('requested_by'),
    trigger: text('trigger').notNull(),
    /** What the approver was shown: counts, problems and the first lines of the difference. */
    summary: jsonb('summary').$type<Record<string, unknown>>().notNull().default({}),
    status: text('status', { enum: accessHoldStatuses }).notNull().default('pending'),
    messageChannel: text('message_channel'),
    messageTs: text('message_ts'),
    decidedBy: text('decided_by'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('access_holds_target_status_idx').on(t.target, t.status)],
);

export const scaleRevertStatuses = [
  'pending',
  'reverted',
  'reverted_early',
  'superseded',
  'skipped',
  'failed',
] as const;
export type ScaleRevertStatus = (typeof scaleRevertStatuses)[number];

/**
 * A temporary worker count (`scale team-x 8 --for 2h`) and the revert it owes. The revert runs as
 * a delayed job; the row is what makes it happen exactly once: it leaves `pending` exactly once,
 * under the team's lock, whichever replica or path (the job, the sweep, `--revert`, a later
 * manual scale) gets there first. At most one pending revert per team target.
 */
export const scaleReverts = pgTable(
  'scale_reverts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    team: text('team').notNull(),
    target: text('target').notNull(),
    /** What the temporary change set: the workload's replicas, or its HPA's minReplicas. */
    mode: text('mode', { enum: ['replicas', 'hpaMinReplicas'] }).notNull(),
    /** The count to restore. */
    fromReplicas: integer('from_replicas').notNull(),
    /** The temporary count. */
    toReplicas: integer('to_replicas').notNull(),
    requestedBy: text('requested_by').notNull(),
    requestedBySlackId: text('requested_by_slack_id'),
    reason: text('reason'),
    requestId: text('request_id').notNull(),
    /** The announcement, whose thread hears about the revert. */
    channel: text('channel'),
    threadTs: text('thread_ts'),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    jobId: text('job_id'),
    /**
     * Set, and committed on its own, just before the revert changes Kubernetes: a revert retried
     * after its process died finds the count at from_replicas and knows the change is its own.
     */
    revertStartedAt: timestamp('revert_started_at', { withTimezone: true }),
    status: text('status', { enum: scaleRevertStatuses }).notNull().default('pending'),
    settledAt: timestamp('settled_at', { withTimezone: true }),
    /** Who settled it: an e-mail, or `dpbot` for the timed revert. */
    settledBy: text('settled_by'),
    note: text('note'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('scale_reverts_pending_key').on(t.team, t.target).where(sql`${t.status} = 'pending'`),
    index('scale_reverts_status_due_idx').on(t.status, t.dueAt),
  ],
);

/**
 * One run of an ops task (handlers/tasks): what was asked, the Argo workflow it became, the
 * progress message announcing it, and how it ended. The row is dpbot's own record — `task runs`
 * reads it, and the watcher job keeps it in step with the workflow.
 */
export const taskRuns = pgTable(
  'task_runs',
  {
    id: serial('id').primaryKey(),
    task: text('task').notNull(),
    /** `[name, value]` pairs in the task's order (a jsonb object would not keep the order). */
    params: jsonb('params').$type<[string, string][]>().notNull(),
    templateKind: text('template_kind').notNull(),
    templateName: text('template_name').notNull(),
    namespace: text('namespace').notNull(),
    workflowName: text('workflow_name'),
    requestId: text('request_id').notNull(),
    requesterEmail: text('requester_email').notNull(),
    requesterSlackId: text('requester_slack_id'),
    /** Where it was asked for; the progress message lives at message_channel/message_ts. */
    channel: text('channel'),
    messageChannel: text('message_channel'),
    messageTs: text('message_ts'),
    /** Submitting, SubmitFailed, or the workflow's phase: Pending, Running, Succeeded, Failed, Error. */
    phase: text('phase').notNull().default('Submitting'),
    progress: text('progress'),
    message: text('message'),
    failedStep: text('failed_step'),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    jiraKey: text('jira_key'),
    jiraCommentedAt: timestamp('jira_commented_at', { withTimezone: true }),
    cancelledBy: text('cancelled_by'),
    cancelMode: text('cancel_mode', { enum: ['stop', 'terminate'] }),
    /** What the progress message last showed, so unchanged polls do not edit it again. */
    renderedKey: text('rendered_key'),
    /** Set once, by whoever first sees the run end (or the watch expire): the end is announced once. */
    closedAt: timestamp('closed_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('task_runs_task_created_idx').on(t.task, t.createdAt),
    index('task_runs_requester_created_idx').on(t.requesterEmail, t.createdAt),
    index('task_runs_workflow_idx').on(t.workflowName),
  ],
);

/**
 * A weekly release. At most one is active (open for confirmations, or shipping) at a time: the
 * partial unique index on `active` makes a second `release start` fail instead of racing.
 */
export const releases = pgTable(
  'releases',
  {
    id: serial('id').primaryKey(),
    status: text('status', { enum: ['open', 'shipping', 'shipped', 'failed', 'cancelled'] })
      .notNull()
      .default('open'),
    /** True while open or shipping; null otherwise (so the unique index ignores finished ones). */
    active: boolean('active').default(true),
    startedBy: text('started_by').notNull(),
    since: text('since'),
    channel: text('channel').notNull(),
    messageTs: text('message_ts'),
    shipStartedBy: text('ship_started_by'),
    shipStartedAt: timestamp('ship_started_at', { withTimezone: true }),
    shippedAt: timestamp('shipped_at', { withTimezone: true }),
    /** What happened to the issue-tracker steps (looked up, fix version, or why they were skipped). */
    trackerNote: text('tracker_note'),
    notesPostedAt: timestamp('notes_posted_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('releases_one_active_idx').on(t.active).where(sql`${t.active}`)],
);

/** A service in a release: the revision it would ship and the commit it was last shipped at. */
export const releaseServices = pgTable(
  'release_services',
  {
    releaseId: integer('release_id')
      .notNull()
      .references(() => releases.id, { onDelete: 'cascade' }),
    service: text('service').notNull(),
    repository: text('repository').notNull(),
    branch: text('branch').notNull(),
    /** The branch head when the release was started (or refreshed): what ships. */
    revision: text('revision').notNull(),
    revisionDate: timestamp('revision_date', { withTimezone: true }).notNull(),
    /** The revision shipped by the previous release of this service (null: the --since start). */
    sinceRevision: text('since_revision'),
    sinceDate: timestamp('since_date', { withTimezone: true }).notNull(),
    threadTs: text('thread_ts'),
    shipStatus: text('ship_status', {
      enum: ['pending', 'skipped', 'waiting', 'deploying', 'done', 'failed', 'rolled_back'],
    })
      .notNull()
      .default('pending'),
  },
  (t) => [
    primaryKey({ columns: [t.releaseId, t.service] }),
    index('release_services_service_idx').on(t.service, t.releaseId),
  ],
);

/** An owner's decision for a service: include it in the release or skip it this week. */
export const confirmations = pgTable(
  'confirmations',
  {
    releaseId: integer('release_id')
      .notNull()
      .references(() => releases.id, { onDelete: 'cascade' }),
    service: text('service').notNull(),
    decision: text('decision', { enum: ['pending', 'include', 'skip'] })
      .notNull()
      .default('pending'),
    decidedBy: text('decided_by'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    reason: text('reason'),
    remindedAt: timestamp('reminded_at', { withTimezone: true }),
    reminders: integer('reminders').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.releaseId, t.service] })],
);

/** A pull request merged into a release; `late` ones were merged after it started. */
export const releasePrs = pgTable(
  'release_prs',
  {
    releaseId: integer('release_id')
      .notNull()
      .references(() => releases.id, { onDelete: 'cascade' }),
    repository: text('repository').notNull(),
    number: integer('number').notNull(),
    title: text('title').notNull(),
    url: text('url').notNull(),
    author: text('author'),
    branch: text('branch'),
    body: text('body'),
    mergedAt: timestamp('merged_at', { withTimezone: true }).notNull(),
    mergeCommit: text('merge_commit'),
    labels: text('labels').array().notNull(),
    category: text('category').notNull(),
    jiraKeys: text('jira_keys').array().notNull(),
    services: text('services').array().notNull(),
    late: boolean('late').notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.releaseId, t.repository, t.number] })],
);

/** One Argo CD application's deployment in a release, as the ship watcher sees it. */
export const releaseApps = pgTable(
  'release_apps',
  {
    releaseId: integer('release_id')
      .notNull()
      .references(() => releases.id, { onDelete: 'cascade' }),
    application: text('application').notNull(),
    service: text('service').notNull(),
    wave: integer('wave').notNull(),
    revision: text('revision').notNull(),
    status: text('status', {
      enum: ['waiting', 'syncing', 'healthy', 'degraded', 'failed', 'rolling_back', 'rolled_back'],
    })
      .notNull()
      .default('waiting'),
    /** The history entry deployed before this release: where a rollback goes. */
    previousHistoryId: bigint('previous_history_id', { mode: 'number' }),
    previousRevision: text('previous_revision'),
    startedAt: timestamp('started_at', { withTimezone: true }),
    /**
     * Set, and committed, before the sync is asked: a watcher that died before recording the
     * answer finds it and asks Argo CD what became of the request instead of asking twice.
     */
    syncRequestedAt: timestamp('sync_requested_at', { withTimezone: true }),
    healthySince: timestamp('healthy_since', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    message: text('message'),
    /** Sync attempts refused because another operation was in progress. */
    blocked: integer('blocked').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.releaseId, t.application] })],
);

/**
 * A rollback, keyed so that it happens once: `release:<id>:<app>` in a release, or
 * `app:<app>:<history id>` outside one. A failed rollback may be claimed again.
 */
export const rollbacks = pgTable('rollbacks', {
  key: text('key').primaryKey(),
  releaseId: integer('release_id').references(() => releases.id, { onDelete: 'set null' }),
  service: text('service').notNull(),
  application: text('application').notNull(),
  historyId: bigint('history_id', { mode: 'number' }).notNull(),
  revision: text('revision'),
  requestedBy: text('requested_by').notNull(),
  status: text('status', { enum: ['started', 'done', 'failed'] }).notNull(),
  error: text('error'),
  /** The automated sync policy turned off for the rollback, to tell people what to restore. */
  autoSyncPolicy: jsonb('auto_sync_policy'),
  autoSyncRestoredAt: timestamp('auto_sync_restored_at', { withTimezone: true }),
  channel: text('channel'),
  threadTs: text('thread_ts'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * One "running in production" or "rolled back" notice of a release's service to one target (a pull
 * request, a Jira issue, a person): written, with the job that sends it, in the transaction that
 * records the service's new state, and unique so a second replica or a second look writes none.
 * The job claims a row (`sending`) before it sends, so a retry after a crash knows to look before
 * sending again.
 */
export const releaseNotices = pgTable(
  'release_notices',
  {
    id: serial('id').primaryKey(),
    releaseId: integer('release_id')
      .notNull()
      .references(() => releases.id, { onDelete: 'cascade' }),
    service: text('service').notNull(),
    kind: text('kind', { enum: ['running', 'rolled_back'] }).notNull(),
    /** `github:<owner/repo>#<number>`, `jira:<key>`, `author:<login>` or `subscriber:<e-mail>`. */
    target: text('target').notNull(),
    state: text('state', { enum: ['queued', 'sending', 'sent', 'skipped', 'failed'] })
      .notNull()
      .default('queued'),
    attempts: integer('attempts').notNull().default(0),
    /** When a worker last claimed it: a `sending` row claimed long ago was left by a worker that died. */
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    /** Where the notice went (a comment's URL or id, a person's e-mail), or why it did not. */
    detail: text('detail'),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('release_notices_key').on(t.releaseId, t.service, t.kind, t.target),
    index('release_notices_open_idx').on(t.releaseId, t.service, t.kind, t.state),
  ],
);

/** A person who gets a service's release notes by direct message when it ships (`subscribe`). */
export const releaseSubscriptions = pgTable(
  'release_subscriptions',
  {
    email: text('email').notNull(),
    service: text('service').notNull(),
    slackUserId: text('slack_user_id'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.email, t.service] }),
    index('release_subscriptions_service_idx').on(t.service),
  ],
);

/** A person who turned the direct messages about their shipped pull requests off (`notices off`). */
export const noticePreferences = pgTable('notice_preferences', {
  email: text('email').primaryKey(),
  directMessages: boolean('direct_messages').notNull(),
  updatedAt: updatedAt(),
});

/**
 * One alert per lateness of a dataset (handlers/datasets/lateAlerts.ts): a lateness is the
 * last-updated time that went past its SLA, so the same stale value never alerts twice, across
 * sweeps, replicas and restarts, and a new one after the data was fresh again alerts anew. The row
 * is claimed in the transaction that posts the alert; the message's channel ID and ts are kept to
 * update it in place when the data is fresh again.
 */
export const datasetLateAlerts = pgTable(
  'dataset_late_alerts',
  {
    id: serial('id').primaryKey(),
    dataset: text('dataset').notNull(),
    /** The last-updated time that went stale: what identifies this lateness. */
    lateSince: timestamp('late_since', { withTimezone: true }).notNull(),
    /** When the data became late (last updated + SLA). */
    dueAt: timestamp('due_at', { withTimezone: true }),
    team: text('team'),
    channel: text('channel'),
    messageTs: text('message_ts'),
    /** When the data was refreshed past lateSince (fresh again); null while the lateness lasts. */
    freshAt: timestamp('fresh_at', { withTimezone: true }),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('dataset_late_alerts_lateness_key').on(t.dataset, t.lateSince),
    index('dataset_late_alerts_open_idx').on(t.dataset).where(sql`${t.resolvedAt} is null`),
  ],
);

/**
 * An ad hoc deploy freeze (`/dp freeze`, handlers/freeze): until when, why and by whom, and who
 * lifted it early. Kept here, not in memory, so every replica refuses the same ships.
 */
export const freezes = pgTable(
  'freezes',
  {
    id: serial('id').primaryKey(),
    /** The services frozen; empty: all of them. */
    services: text('services').array().notNull(),
    reason: text('reason').notNull(),
    until: timestamp('until', { withTimezone: true }).notNull(),
    createdBy: text('created_by').notNull(),
    requestId: text('request_id').notNull(),
    createdAt: createdAt(),
    liftedBy: text('lifted_by'),
    liftedAt: timestamp('lifted_at', { withTimezone: true }),
  },
  (t) => [index('freezes_open_until_idx').on(t.until).where(sql`${t.liftedAt} IS NULL`)],
);
