import { z } from 'zod';
import { ConflictError, InputError, UpstreamError } from '../../../core/errors.ts';
import type { Message } from '../../../pipeline/message.ts';
import { sourceName } from '../config.ts';
import { defineCommand } from '../deps.ts';
import { type SourceSyncResult, syncDirectorySources, syncHeadline, syncResultLines } from '../syncRunner.ts';
import { plainMessage, syncResultMessage } from '../views.ts';

const USAGE = 'access sync [source|slack] [--dry-run] [--force]';
/** Lines of difference shown per source in Slack; `dpbot sync` prints all of them. */
const DETAIL_LINES = 15;

function resultMessage(results: SourceSyncResult[], dryRun: boolean): Message {
  return syncResultMessage(
    results.flatMap((r) => syncResultLines(r, DETAIL_LINES)),
    dryRun,
  );
}

/**
 * `access sync slack`: Slack is not a directory source, but its profiles (Slack id → e-mail, and
 * whether the account is deactivated) are cached between user_change events; this drops them.
 */
function forgetSlackProfiles(profiles: { clear(): number } | undefined): Message {
  const text = profiles
    ? `Forgot ${profiles.clear()} cached Slack profile(s): each person's next command asks Slack again, so a deactivated account is refused at once.`
    : 'dpbot is not serving Slack in this process, so no Slack profiles are cached here.';
  return plainMessage(text);
}

export const accessSync = defineCommand({
  name: 'access sync',
  summary: 'Sync groups and memberships from the directory sources now',
  usage: USAGE,
  examples: [
    'access sync',
    'access sync google --dry-run',
    'access sync github --force',
    'access sync slack',
  ],
  description:
    'Fetches each source in full and applies the difference in one transaction per source, and shows who gains and who loses which permission. A source that fails, times out or answers empty changes nothing. A sync that would remove more than the allowed share of memberships, or empty a group that holds grants, is held: an admin approves or denies it in the admin channel (or --force applies it at once, after a confirmation).',
  params: { positionals: ['source'], flags: { 'dry-run': 'boolean', force: 'boolean' } },
  args: z.object({
    source: sourceName.optional(),
    dryRun: z.boolean().default(false),
    force: z.boolean().default(false),
  }),
  action: 'access.sync',
  resourceKinds: ['directory'],
  resource: (args) => `directory:${args.source ?? '*'}`,
  names: (args, ctx) =>
    args.source === undefined
      ? []
      : [
          {
            kind: 'directory source',
            name: args.source,
            // `slack` clears the cache of Slack profiles even where Slack is no source.
            known: [...ctx.deps.config.directory.sources.map((s) => s.name), 'slack'],
            resource: (n) => `directory:${n}`,
            hint: '"access status" lists the sources',
          },
        ],
  confirm: (args) =>
    args.force && !args.dryRun
      ? {
          summary: `Force the directory sync of ${args.source ?? 'every source'}`,
          details: [
            'memberships are removed even beyond the mass-removal guard, and groups that hold grants may be left empty',
            `run \`access sync${args.source ? ` ${args.source}` : ''} --dry-run\` first to see the difference`,
          ],
        }
      : null,
  run: async (args, ctx) => {
    const configured = ctx.deps.config.directory.sources.map((s) => s.name);
    if (args.source === 'slack') {
      const forgotten = forgetSlackProfiles(ctx.deps.slackProfiles);
      if (!configured.includes('slack')) return forgotten;
    }
    if (args.source && !configured.includes(args.source))
      throw new InputError(
        `there is no directory source "${args.source}"; configured: ${configured.join(', ') || 'none'}`,
        USAGE,
      );
    if (configured.length === 0)
      throw new InputError('no directory sources are configured (directory.sources)');
    const progress = await ctx.reply({ text: `Syncing ${args.source ?? configured.join(', ')}…` });
    const done: SourceSyncResult[] = [];
    const results = await syncDirectorySources(ctx.deps, {
      ...(args.source ? { source: args.source } : {}),
      trigger: 'command',
      entry: ctx.entry,
      requestId: ctx.requestId,
      requestedBy: ctx.caller.email,
      dryRun: args.dryRun,
      force: args.force,
      onSource: async (name) => {
        await progress.update({ text: [...done.map(syncHeadline), `${name}: syncing…`].join('\n') });
      },
    });
    done.push(...results);
    const message = resultMessage(results, args.dryRun);
    await progress.update(message);
    const refused = results.filter((r) => r.status === 'refused');
    const failed = results.filter((r) => r.status === 'failed');
    // The outcome row says what went wrong; the message above already shows the details.
    if (failed.length > 0)
      throw new UpstreamError(
        `directory source ${failed.map((r) => r.source).join(', ')}`,
        failed.map((r) => r.error ?? 'failed').join('; '),
      );
    if (refused.length > 0)
      throw new ConflictError(
        `${refused.map((r) => `the sync of ${r.source} was held for an admin's approval: ${r.problems.join('; ')}${r.hold ? ` (another admin answers the request in the admin channel, or types \`access approve ${r.source} ${r.hold.id}\`)` : ''}`).join('; ')}. Nothing was changed`,
      );
    return undefined;
  },
});
