import type { Logger } from 'pino';
import type { z } from 'zod';
import type { AccessStore } from '../../db/stores/accessStore.ts';
import type { AuditStore } from '../../db/stores/auditStore.ts';
import type { ArgoCdClient } from '../../integrations/argocd/argoCdClient.ts';
import type { GitHubClient } from '../../integrations/github/githubClient.ts';
import type { JiraClient } from '../../integrations/jira/jiraClient.ts';
import type { ReleaseTracker } from '../../integrations/jira/releaseTracker.ts';
import { commandsWith } from '../../pipeline/defineCommand.ts';
import type { Jobs } from '../../pipeline/jobs.ts';
import type { Notifier } from '../../pipeline/notifier.ts';
import type { FreezeGate } from '../freeze/index.ts';
import type { releaseSchema } from './config.ts';
import type { NoticeStore } from './stores/noticeStore.ts';
import type { ReleaseStore } from './stores/releaseStore.ts';

/** The `release` section: services, waves, timings, notes, the Jira fix version. */
export type ReleaseConfig = z.output<typeof releaseSchema>;

/** What the release capability needs; app/wiring/release.ts picks it from what app/app.ts built. */
export interface ReleaseDeps {
  /** The slice of the configuration the release reads. */
  config: { release: ReleaseConfig };
  /** Releases, their services, pull requests, decisions, deployments and rollbacks. */
  releases: ReleaseStore;
  /** Deploy freezes (handlers/freeze): a ship in one is refused unless the caller holds the exception. */
  freezeGate?: FreezeGate | undefined;
  /** Production notices, subscriptions to a service's notes, and who turned their notices off. */
  notices: NoticeStore;
  /** Background steps (watchers, reminders, the tracker job) that belong to no request. */
  audit: Pick<AuditStore, 'append'>;
  /** Owners named through directory groups, and whether they are still active. */
  access: Pick<AccessStore, 'groupMembers' | 'findUser'>;
  /** Merged pull requests and commits; GitHub releases once shipped. */
  github: GitHubClient;
  /** Undefined when `argocd.url` is not set: shipping and rollbacks then say so. */
  argocd?: ArgoCdClient | undefined;
  /** The issue tracker; undefined when not configured: its release steps are skipped. */
  releaseTracker?: ReleaseTracker | undefined;
  /**
   * Read only to tell "Jira is not configured" from "release.jira.project is not set" in the
   * release's note; the tracker does the talking.
   */
  jira?: JiraClient | undefined;
  jobs: Jobs;
  notifier: Notifier;
  log: Logger;
  now: () => Date;
}

/** Commands of this capability, written against ReleaseDeps. */
export const defineCommand = commandsWith<ReleaseDeps>();
