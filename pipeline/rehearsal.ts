import { rehearseAppend } from '../db/stores/auditStore.ts';
import type { Notifier } from './notifier.ts';
import type { PipelineDeps } from './pipelineDeps.ts';

/**
 * The command the start rehearses (bot/slack/warmUp.ts): the one people type most after a deploy,
 * and one that only reads and formats: it asks no question, changes nothing and notifies no one.
 */
export const REHEARSED_COMMAND = 'whoami';

/**
 * What the pipeline uses for a rehearsal: everything a person's request uses, except that the
 * audit rows are built as an append builds them and not written, nothing is counted or logged,
 * and anything that would notify someone fails. A rehearsal is no one's work: it must leave no
 * trace a person could read.
 */
export function rehearsalDeps(deps: PipelineDeps): PipelineDeps {
  return {
    ...deps,
    audit: {
      append: async (entry) => {
        rehearseAppend(entry);
        return { id: 0, at: deps.now() };
      },
      appendOrHold: async (entry) => {
        rehearseAppend(entry);
        return { written: { id: 0, at: deps.now() } };
      },
    },
    notifier: notifiesNoOne,
    metrics: { commandFinished() {}, decision() {} },
    log: deps.log.child({}, { level: 'silent' }),
  };
}

const notifyNoOne = async (): Promise<never> => {
  throw new Error('a rehearsal notifies no one');
};

/** A rehearsal's notifier: anything it would post fails instead of reaching Slack. */
export const notifiesNoOne: Notifier = { post: notifyNoOne, update: notifyNoOne, direct: notifyNoOne };
