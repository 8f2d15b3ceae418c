import { z } from 'zod';
import { formatTime } from '../../../core/time.ts';
import { defineCommand } from '../deps.ts';
import { holdTitle } from '../holds.ts';
import type { SyncRunRecord } from '../stores/syncRunStore.ts';
import { accessStatusMessage } from '../views.ts';

function counts(run: SyncRunRecord): string {
  const c = run.counts;
  const n = (k: string) => c[k] ?? 0;
  const fetched =
    c.users === undefined
      ? ''
      : `${n('users')} users, ${n('groups')} groups, ${n('memberships')} memberships`;
  const changed =
    c.membershipsAdded === undefined
      ? ''
      : `; changes: users +${n('usersAdded')} -${n('usersRemoved')}, groups +${n('groupsAdded')} -${n('groupsRemoved')}, memberships +${n('membershipsAdded')} -${n('membershipsRemoved')}`;
  return `${fetched}${changed}`;
}

const describeRun = (run: SyncRunRecord) =>
  `${formatTime(run.startedAt)} (${run.trigger}${run.requestedBy ? ` by ${run.requestedBy}` : ''}${run.forced ? ', forced' : ''})`;

export const accessStatus = defineCommand({
  name: 'access status',
  summary: 'Show the last directory sync of every source: when, counts, last error',
  usage: 'access status',
  examples: ['access status'],
  args: z.object({}),
  action: 'access.read',
  resourceKinds: ['access'],
  resource: () => 'access:directory',
  run: async (_args, ctx) => {
    const configured = ctx.deps.config.directory.sources;
    const byName = new Map((await ctx.deps.syncRuns.status()).map((s) => [s.source, s]));
    const lines = configured.map((source) => {
      const s = byName.get(source.name);
      const schedule = source.schedule === 'off' ? 'not scheduled' : `cron \`${source.schedule}\` UTC`;
      if (!s) return `${source.name} (${source.type}, ${schedule}): never synced`;
      const parts = [
        `${source.name} (${source.type}, ${schedule}): last run ${describeRun(s.last)} ${s.last.status.replace('_', ' ')}`,
        `  ${counts(s.last)}`,
        s.lastSuccess &&
        s.lastSuccess !== s.last &&
        s.last.status !== 'applied' &&
        s.last.status !== 'unchanged'
          ? `  last successful sync: ${describeRun(s.lastSuccess)}`
          : '',
        s.lastProblem
          ? `  last problem: ${describeRun(s.lastProblem)} ${s.lastProblem.status}: ${s.lastProblem.error ?? ''}`
          : '',
      ];
      return parts.filter((p) => p.trim() !== '').join('\n');
    });
    // Whatever waits for an admin's answer, so it is found without scrolling the admin channel.
    for (const hold of await ctx.deps.holds.pending()) {
      const headline = typeof hold.summary.headline === 'string' ? `: ${hold.summary.headline}` : '';
      lines.push(
        `${holdTitle(hold.target)} waits for approval since ${formatTime(hold.createdAt)}${headline}; \`access approve ${hold.target} ${hold.id}\` or \`access deny ${hold.target} ${hold.id}\``,
      );
    }
    return accessStatusMessage(configured.length, lines);
  },
});
