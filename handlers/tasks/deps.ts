import type { Logger } from 'pino';
import type { AuditStore } from '../../db/stores/auditStore.ts';
import type { ArgoClient } from '../../integrations/argo/argoClient.ts';
import type { ArgoConfig } from '../../integrations/argo/config.ts';
import type { JiraClient } from '../../integrations/jira/jiraClient.ts';
import { commandsWith } from '../../pipeline/defineCommand.ts';
import type { Jobs } from '../../pipeline/jobs.ts';
import type { Notifier } from '../../pipeline/notifier.ts';
import type { TaskConfig } from './config.ts';
import type { TaskRunStore } from './stores/taskRunStore.ts';

/** The parts of the configuration tasks read; the whole configuration has this shape too. */
export interface TasksSettings {
  tasks: readonly TaskConfig[];
  argo: ArgoConfig;
  /** Offered by team parameters that list no teams of their own. */
  teams: readonly { name: string }[];
  access: { adminContact: string };
  slack: { channels: { announce?: string | undefined } };
}

/** What the dataset catalog holds: none configured, not answering, or its names. */
export type DatasetCatalogNames =
  | { kind: 'none' }
  | { kind: 'unreachable'; error: string }
  | { kind: 'ok'; names: readonly string[] };

/** What the tasks capability needs; app/wiring/tasks.ts builds it and app/app.ts binds it. */
export interface TasksDeps {
  config: TasksSettings;
  taskRuns: TaskRunStore;
  /** Background audit rows about runs (their end, a found submission, Jira comments). */
  audit: AuditStore;
  jobs: Jobs;
  notifier: Notifier;
  log: Logger;
  now: () => Date;
  /** Absent when `argo.url` is not set: tasks then say so. */
  argo?: ArgoClient | undefined;
  /** Absent when `jira.url` is not set: no tickets or comments. */
  jira?: JiraClient | undefined;
  /**
   * The dataset catalog (the datasets capability's, cached), which dataset parameters are checked
   * against before a run is submitted; absent when no catalog or Argo is configured for datasets.
   */
  datasetCatalog?: { catalogNames(): Promise<DatasetCatalogNames> } | undefined;
}

/** Commands of this capability, written against TasksDeps. */
export const defineCommand = commandsWith<TasksDeps>();
