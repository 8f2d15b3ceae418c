import { defineCapability } from '../../pipeline/capability.ts';
import { releaseCancel } from './commands/cancel.ts';
import { releaseHistory } from './commands/history.ts';
import { releaseInclude } from './commands/include.ts';
import { releaseNotes } from './commands/notes.ts';
import { releaseNotices } from './commands/notices.ts';
import { releaseRefresh } from './commands/refresh.ts';
import { releaseRollback } from './commands/rollback.ts';
import { rollbackService } from './commands/rollbackService.ts';
import { releaseShip } from './commands/ship.ts';
import { releaseSkip } from './commands/skip.ts';
import { releaseStart } from './commands/start.ts';
import { releaseStatus } from './commands/status.ts';
import { releaseSubscribe, releaseUnsubscribe } from './commands/subscribe.ts';
import type { ReleaseDeps } from './deps.ts';
import { releaseHomePanel } from './homePanel.ts';
import { releaseJobs } from './jobs.ts';

/** The weekly release; commands in the order help lists them. */
export const releaseCapability = defineCapability<ReleaseDeps>({
  name: 'release',
  commands: [
    releaseStart,
    releaseStatus,
    releaseRefresh,
    releaseInclude,
    releaseSkip,
    releaseShip,
    releaseRollback,
    rollbackService,
    releaseNotes,
    releaseHistory,
    releaseCancel,
    releaseSubscribe,
    releaseUnsubscribe,
    releaseNotices,
  ],
  jobs: [releaseJobs],
  homePanels: [releaseHomePanel],
});

export type { ReleaseDeps } from './deps.ts';
// What the composition root (app/) needs beside the capability: the face is all it may import.
export { showFreezes } from './publish.ts';
// The composition root builds the store (it owns the database); it gets the class here, not from the file.
export { type NoticeStore, PgNoticeStore } from './stores/noticeStore.ts';
export { PgReleaseStore, type ReleaseStore } from './stores/releaseStore.ts';
