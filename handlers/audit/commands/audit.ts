import { Blocks, Md } from 'slack-block-builder';
import { z } from 'zod';
import { parseDuration } from '../../../core/config/duration.ts';
import { InputError } from '../../../core/errors.ts';
import { formatTime, parseSince } from '../../../core/time.ts';
import { blocks } from '../../../pipeline/message.ts';
import { escapeMrkdwn, lineSections } from '../../../pipeline/views/common.ts';
import { ACTION_PATTERN } from '../../../policies/patterns.ts';
import { defineCommand } from '../deps.ts';

const filterWord = z.string().max(254);

export const audit = defineCommand({
  name: 'audit',
  summary: 'Show recent audit records, by user, action and time',
  usage: 'audit [user] [action] [since] [limit=20]',
  examples: [
    'audit',
    'audit ada@example.com',
    'audit workers.scale 7d',
    'audit user=ada@example.com since=2026-11-01',
  ],
  description:
    'Filters may be given in any order: an e-mail filters by user, a duration (7d) or date filters by time, anything else by action (workers.scale, workers.*).',
  params: { positionals: ['filters...'], keyValues: ['user', 'action', 'since', 'limit'] },
  args: z.object({
    filters: z.array(filterWord).max(3).optional(),
    user: z.email().optional(),
    action: filterWord
      .regex(ACTION_PATTERN, { error: 'expected an action such as workers.scale' })
      .optional(),
    since: filterWord.optional(),
    limit: z.coerce.number().int().min(1).max(50).default(20),
  }),
  action: 'audit.read',
  resourceKinds: ['audit'],
  resource: () => 'audit:log',
  run: async (args, ctx) => {
    let { user, action, since } = args;
    for (const word of args.filters ?? []) {
      if (word.includes('@') && !user) {
        if (!z.email().safeParse(word).success)
          throw new InputError(`"${word}" is not an e-mail address`, 'audit [user] [action] [since]');
        user = word;
      } else if ((parseDuration(word) !== undefined || /^\d{4}-\d{2}-\d{2}/.test(word)) && !since)
        since = word;
      else if (ACTION_PATTERN.test(word) && !action) action = word;
      else
        throw new InputError(
          `cannot tell what "${word}" filters by (a user e-mail, an action, or a time)`,
          'audit [user] [action] [since]',
        );
    }
    const rows = await ctx.services.audit.search({
      email: user,
      action,
      since: since ? parseSince(since, ctx.services.now()) : undefined,
      kinds: ['attempt', 'outcome'],
      limit: args.limit,
    });
    const filters = [user && `user ${user}`, action && `action ${action}`, since && `since ${since}`]
      .filter(Boolean)
      .join(', ');
    const lines = rows.map((r) => {
      const what = r.kind === 'attempt' ? (r.decision ?? '') : (r.outcome ?? '');
      return `${formatTime(r.at)} · ${r.email ?? r.slackUserId ?? '?'} · ${r.commandText ?? r.command ?? ''} · ${r.kind} ${what}${r.error ? ` (${r.error.slice(0, 120)})` : ''}`;
    });
    const title = `Audit log${filters ? ` (${filters})` : ''}: ${rows.length} most recent record(s)`;
    return {
      text: [title, ...lines].join('\n'),
      blocks: blocks(
        Blocks.Section({ text: Md.bold(escapeMrkdwn(title)) }),
        ...lineSections(lines.map((l) => escapeMrkdwn(l))),
        Blocks.Context().elements('Full history: dpbot audit export --since 7d'),
      ),
    };
  },
});
