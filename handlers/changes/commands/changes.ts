import { z } from 'zod';
import { quoteArg } from '../../../pipeline/views/modal.ts';
import { type ChangesDeps, defineCommand } from '../deps.ts';
import { type SourceResult, serviceSources, teamSources } from '../sources.ts';
import {
  DEFAULT_SINCE,
  mergeTimeline,
  pageOf,
  type SourceFailure,
  sinceOf,
  withoutEchoes,
} from '../timeline.ts';
import { changesPageMessage } from '../views.ts';

const DEFAULT_LIMIT = 20;
const USAGE = 'changes <team|service> [since=24h] [limit=20] [page=N]';

/** The command text of another page of the same timeline (the Next / Previous buttons). */
function pageCommand(name: string, since: string | undefined, limit: number, page: number): string {
  const parts = ['changes', name];
  if (since !== undefined) parts.push(`since=${quoteArg(since)}`);
  if (limit !== DEFAULT_LIMIT) parts.push(`limit=${limit}`);
  parts.push(`page=${page}`);
  return parts.join(' ');
}

/** `team:<name>` or `service:<name>`; a name that is both is the team's (as `workers` reads it). */
function resourceOf(deps: ChangesDeps | undefined, name: string): string {
  return deps?.config.services.some((s) => s.name === name) && !deps.config.teams.some((t) => t.name === name)
    ? `service:${name}`
    : `team:${name}`;
}

export const changes = defineCommand({
  name: 'changes',
  summary: 'What changed on a team or service: dpbot, Argo CD, Kubernetes, tasks, schedules',
  usage: USAGE,
  examples: [
    'changes team-x',
    'changes team-x 6h',
    'changes orders-api 3d',
    'changes team-x since=2026-11-01 page=2',
  ],
  description: `One timeline, newest first, of what changed on a team (its workers) or a service (its Argo CD applications) since a time (default the last ${DEFAULT_SINCE}; a duration such as 6h or 3d, or a date): dpbot's own audited actions, Argo CD syncs and rollbacks by anyone, worker counts changed outside dpbot (Kubernetes managed fields and scaling events, which the API server keeps an hour by default), task runs and workflows started by a CronWorkflow. A source that cannot be read is named, and the rest still shows.`,
  params: { positionals: ['subject', 'since'], keyValues: ['since', 'limit', 'page'] },
  args: z.object({
    subject: z.string().min(1).max(100),
    since: z.string().min(1).max(40).optional(),
    limit: z.coerce.number().int().min(1).max(50).default(DEFAULT_LIMIT),
    page: z.coerce.number().int().min(1).max(100_000).default(1),
  }),
  action: 'changes.read',
  resourceKinds: ['team', 'service'],
  resource: (a, deps) => resourceOf(deps, a.subject),
  names: (a, { deps }) => [
    {
      kind: 'team or service',
      name: a.subject,
      known: [...deps.config.teams.map((t) => t.name), ...deps.config.services.map((s) => s.name)],
      resource: (n) => resourceOf(deps, n),
      hint: '"workers" lists the teams, "release status" the services',
    },
  ],
  run: async (args, ctx) => {
    const { deps } = ctx;
    const since = sinceOf(args.since, deps.now(), USAGE);
    const team = deps.config.teams.find((t) => t.name === args.subject);
    const service = team ? undefined : deps.config.services.find((s) => s.name === args.subject);
    const results: SourceResult[] = team
      ? await teamSources(deps, team, since)
      : service
        ? await serviceSources(deps, service, since)
        : [];
    const failures: SourceFailure[] = [];
    const lists = results.map((r) => {
      if ('failure' in r) failures.push(r.failure);
      return 'entries' in r ? r.entries : [];
    });
    const page = pageOf(withoutEchoes(mergeTimeline(lists)), args.page, args.limit);
    return changesPageMessage({
      subject: `${team ? 'team' : 'service'} ${args.subject}`,
      since,
      page,
      failures,
      previousCommand:
        page.page > 1 ? pageCommand(args.subject, args.since, args.limit, page.page - 1) : undefined,
      nextCommand:
        page.page < page.pages ? pageCommand(args.subject, args.since, args.limit, page.page + 1) : undefined,
    });
  },
});
