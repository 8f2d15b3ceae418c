import { z } from 'zod';
import { parseDuration } from '../../../core/config/duration.ts';
import { InputError } from '../../../core/errors.ts';
import { clipText } from '../../../core/text.ts';
import { formatTime, parseSince } from '../../../core/time.ts';
import { type AuditKind, auditKinds } from '../../../db/schema.ts';
import type { AuditPerson } from '../../../db/stores/auditStore.ts';
import type { CommandContext } from '../../../pipeline/defineCommand.ts';
import { actorOfRow, stateText } from '../../../pipeline/people.ts';
import { quoteArg } from '../../../pipeline/views/modal.ts';
import { ACTION_PATTERN } from '../../../policies/patterns.ts';
import { type AuditDeps, defineCommand } from '../deps.ts';
import { auditPageMessage } from '../views.ts';

const filterWord = z.string().max(254);

const DEFAULT_LIMIT = 20;
const USAGE = 'audit [user] [action] [since] [limit=20] [page=N]';
/**
 * A row's command text can be 4,000 characters; cut in the listing so a page of 50 stays within
 * one message (Slack's 40,000-character text, 3,000 per section). The export has it whole.
 */
const COMMAND_SHOWN = 150;

const cut = clipText;

/** The command text for the same filters on another page (Next / Previous buttons). */
function auditCommandText(
  filters: { user?: string | undefined; action?: string | undefined; since?: string | undefined },
  limit: number,
  page: number,
): string {
  const parts = ['audit'];
  if (filters.user) parts.push(`user=${quoteArg(filters.user)}`);
  if (filters.action) parts.push(`action=${quoteArg(filters.action)}`);
  if (filters.since) parts.push(`since=${quoteArg(filters.since)}`);
  if (limit !== DEFAULT_LIMIT) parts.push(`limit=${limit}`);
  parts.push(`page=${page}`);
  return parts.join(' ');
}

type AuditArgs = {
  filters?: string[] | undefined;
  user?: string | undefined;
  action?: string | undefined;
  since?: string | undefined;
};
/** Whose rows: what the filter word said (for the title and the page buttons) and how to find them. */
interface PersonFilter {
  word: string;
  person: AuditPerson;
}
type Filters = { user?: PersonFilter | undefined; action?: string | undefined; since?: string | undefined };

const looksLikeTime = (word: string) => parseDuration(word) !== undefined || /^\d{4}-\d{2}-\d{2}/.test(word);

/**
 * Reads the positional filter words in any order: an e-mail, "me", a Slack mention or a person's
 * name (the directory says who: `grace`) filters by user; a duration or a date by time; an action
 * dpbot has (or a pattern of them) by action. A word that is neither is refused with what it
 * could have been, rather than taken for an action nobody has.
 */
async function readFilters(args: AuditArgs, ctx: CommandContext<AuditDeps>): Promise<Filters> {
  let { action, since } = args;
  let user = args.user === undefined ? undefined : await personOf(args.user, ctx);
  if (args.user !== undefined && user === undefined)
    throw new InputError(`no one in the directory is called "${args.user}"`, USAGE);
  for (const word of args.filters ?? []) {
    // A filter said twice (`audit tasks.run action=tasks.run`) is one filter, not a puzzle.
    if (word === action || word === since || word.toLowerCase() === user?.word.toLowerCase()) continue;
    if (!since && looksLikeTime(word)) {
      since = word;
      continue;
    }
    if (!action && ctx.deps.knownAction(word)) {
      action = word;
      continue;
    }
    const person = user === undefined ? await personOf(word, ctx) : undefined;
    if (person !== undefined) user = person;
    // An action dpbot no longer has still finds its old rows.
    else if (!action && ACTION_PATTERN.test(word) && word.includes('.')) action = word;
    else
      throw new InputError(
        `cannot tell what "${word}" filters by: it is no person in the directory, no action and no time (give an e-mail or a name, an action such as workers.scale, or a time such as 7d)`,
        USAGE,
      );
  }
  return { user, action, since };
}

const SLACK_USER_ID = /^[UW][A-Z0-9]{8,}$/;

/**
 * The person a word names, if it names one: `me`, an e-mail, `<@U123>` as Slack sends mentions,
 * a Slack user id (U123…), or a name (`grace`, `@grace`) the directory knows. Someone outside the
 * directory is found by what Slack told when they tried: their user id or their Slack name.
 * Several people by that name is a question back, naming them.
 */
async function personOf(word: string, ctx: CommandContext<AuditDeps>): Promise<PersonFilter | undefined> {
  if (word === 'me') return { word: ctx.caller.email, person: { email: ctx.caller.email } };
  const mention = /^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$/.exec(word);
  const id = mention?.[1] ?? (SLACK_USER_ID.test(word) ? word : undefined);
  if (id) {
    const known = await ctx.deps.people.findUser({ slackUserId: id });
    return { word: known?.email ?? id, person: { slackUserId: id, email: known?.email } };
  }
  const bare = word.replace(/^@/, '');
  if (bare.includes('@')) {
    if (!z.email().safeParse(bare).success) throw new InputError(`"${word}" is not an e-mail address`, USAGE);
    return { word: bare.toLowerCase(), person: { email: bare.toLowerCase() } };
  }
  const people = await ctx.deps.people.usersNamed(bare);
  if (people.length > 1)
    throw new InputError(
      `"${word}" could be ${people.map((p) => p.email).join(', ')}: give the e-mail address`,
      USAGE,
    );
  const [one] = people;
  if (one)
    return { word: one.email, person: { email: one.email, slackUserId: one.slackUserId ?? undefined } };
  // Not in the directory: someone whose attempts were recorded with Slack's name for them.
  const outsider = { slackName: bare };
  if ((await ctx.deps.audit.count({ person: outsider })) > 0) return { word: bare, person: outsider };
  return undefined;
}

export const audit = defineCommand({
  name: 'audit',
  summary: 'Show recent audit records, by user, action and time',
  usage: USAGE,
  examples: [
    'audit',
    'audit ada@example.com',
    'audit grace 1h',
    'audit workers.scale 7d',
    'audit user=ada@example.com since=2026-11-01',
    'audit workers.* limit=5 page=2',
  ],
  description:
    'Filters may be given in any order: an e-mail, "me", a name the directory knows (grace), a mention or a Slack user id filters by user (people outside the directory too, by what Slack told of them); a duration (7d) or a date by time; an action (workers.scale, workers.*) by action, with every row of it: attempts, steps, outcomes and background events such as a workflow\'s result. Newest first, limit records a page.',
  params: { positionals: ['filters...'], keyValues: ['user', 'action', 'since', 'limit', 'page'] },
  args: z.object({
    filters: z.array(filterWord).max(3).optional(),
    user: filterWord.optional(),
    action: filterWord
      .regex(ACTION_PATTERN, { error: 'expected an action such as workers.scale' })
      .optional(),
    since: filterWord.optional(),
    limit: z.coerce.number().int().min(1).max(50).default(DEFAULT_LIMIT),
    page: z.coerce.number().int().min(1).max(100_000).default(1),
  }),
  action: 'audit.read',
  resourceKinds: ['audit'],
  resource: () => 'audit:log',
  run: async (args, ctx) => {
    const { user, action, since } = await readFilters(args, ctx);
    // Every row of an action, when one is named: its background events (a workflow's result, a
    // timed revert) and steps are its outcomes too. Without one, steps would swamp the listing.
    const kinds: AuditKind[] = action ? [...auditKinds] : ['attempt', 'outcome', 'event'];
    const search = {
      person: user?.person,
      action,
      since: since ? parseSince(since, ctx.deps.now()) : undefined,
      kinds,
    };
    const total = await ctx.deps.audit.count(search);
    const pages = Math.max(1, Math.ceil(total / args.limit));
    // Past the end (a typo, or a Next button on a log filtered since) shows the last page, and says so.
    const page = Math.min(args.page, pages);
    const past = args.page > pages ? ` (there is no page ${args.page}; this is the last)` : '';
    const rows = await ctx.deps.audit.search({
      ...search,
      limit: args.limit,
      offset: (page - 1) * args.limit,
    });
    const filters = [user && `user ${user.word}`, action && `action ${action}`, since && `since ${since}`]
      .filter(Boolean)
      .join(', ');
    // People by their names in the directory: a page names a few people, each looked up once.
    const names = new Map<string, string | null>();
    for (const email of new Set(rows.map((r) => r.email).filter((e): e is string => !!e)))
      names.set(email, (await ctx.deps.people.findUser({ email }))?.name ?? null);
    const lines = rows.map((r) => {
      const what = r.kind === 'attempt' ? (r.decision ?? '') : (r.outcome ?? '');
      const command = cut(r.commandText ?? r.command ?? '', COMMAND_SHOWN);
      const who = actorOfRow({ ...r, name: r.email ? names.get(r.email) : null });
      return `${formatTime(r.at)} · ${who} · ${command} · ${r.kind} ${stateText(what)}${r.error ? ` (${clipText(r.error, 120)})` : ''}`;
    });
    const first = (page - 1) * args.limit + 1;
    const range =
      total > rows.length
        ? ` · newest first, ${first}–${first + rows.length - 1} · page ${page} of ${pages}`
        : '';
    const details = `${filters ? ` (${filters})` : ''}: ${total} record(s)${range}${past}`;
    const named = { user: user?.word, action, since };
    const rest = total - (first - 1) - rows.length;
    return auditPageMessage({
      details,
      lines,
      older: rest > 0 ? { count: rest, command: auditCommandText(named, args.limit, page + 1) } : undefined,
      previousCommand: page > 1 ? auditCommandText(named, args.limit, page - 1) : undefined,
      nextCommand: page < pages ? auditCommandText(named, args.limit, page + 1) : undefined,
    });
  },
});
