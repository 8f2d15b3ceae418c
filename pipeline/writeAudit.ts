import type { AuditEntry } from '../db/stores/auditStore.ts';
import type { Acker } from './acker.ts';
import type { PipelineDeps } from './pipelineDeps.ts';
import { auditUnavailableMessage } from './views/common.ts';

/** Writes an audit row; when that fails the caller is told and false is returned so nothing runs. */
export async function writeAudit(
  deps: Pick<PipelineDeps, 'audit' | 'log'>,
  ack: Acker,
  entry: AuditEntry,
): Promise<boolean> {
  try {
    await deps.audit.append(entry);
    return true;
  } catch (error) {
    deps.log.error({ err: error, requestId: entry.requestId }, 'audit write failed');
    await ack.say(auditUnavailableMessage());
    return false;
  }
}
