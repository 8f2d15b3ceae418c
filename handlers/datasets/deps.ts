import type { Logger } from 'pino';
import type { AuditStore } from '../../db/stores/auditStore.ts';
import { commandsWith } from '../../pipeline/defineCommand.ts';
import type { Jobs } from '../../pipeline/jobs.ts';
import type { Notifier } from '../../pipeline/notifier.ts';
import type { TaskConfig } from '../tasks/config.ts';
import type { DatasetsConfig } from './config.ts';
import type { DatasetService } from './datasetService.ts';
import type { LateAlertStore } from './stores/lateAlertStore.ts';

/** The parts of the configuration the datasets commands read; the whole configuration has this shape too. */
export interface DatasetsSettings {
  datasets: Pick<DatasetsConfig, 'pageSize' | 'quickActions' | 'lateAlerts'>;
  access: { adminContact: string };
  /** The ops tasks, for the backfill form a late dataset's alert opens. */
  tasks?: readonly TaskConfig[] | undefined;
  /** The teams a task's team parameter offers. */
  teams?: readonly { name: string }[] | undefined;
  /** Whether Jira is configured: the backfill form then asks for a ticket, as `task run`'s does. */
  jira?: { url?: string | undefined } | undefined;
}

/** What the late-dataset alerts need beside the commands' dependencies; absent in one-shot commands. */
export interface LateAlertDeps {
  store: LateAlertStore;
  /** An alert posted and its end, as `event` rows of the audit log. */
  audit: Pick<AuditStore, 'append'>;
  jobs: Jobs;
  notifier: Notifier;
  log: Logger;
}

/** What the datasets capability needs; app/wiring/datasets.ts builds it and app/app.ts binds it. */
export interface DatasetsDeps {
  config: DatasetsSettings;
  /** The catalog and the producers' runs; absent when `datasets` configures neither. */
  datasets?: DatasetService | undefined;
  now: () => Date;
  lateAlerts?: LateAlertDeps | undefined;
}

/** Commands of this capability, written against DatasetsDeps. */
export const defineCommand = commandsWith<DatasetsDeps>();
