import { z } from 'zod';
import { formatTime } from '../../../core/time.ts';
import { defineCommand } from '../deps.ts';
import { historyMessage } from '../views/notices.ts';

export const releaseHistory = defineCommand({
  name: 'release history',
  summary: 'List past releases',
  usage: 'release history [limit=10]',
  examples: ['release history', 'release history limit=3'],
  params: { keyValues: ['limit'] },
  args: z.object({ limit: z.coerce.number().int().min(1).max(50).default(10) }),
  action: 'release.read',
  resourceKinds: ['release'],
  resource: () => 'release:weekly',
  run: async (args, ctx) => {
    const rows = await ctx.deps.releases.history(args.limit);
    if (!rows.length) return { text: 'No release yet: "release start" begins one.' };
    const lines = rows.map(
      (r) =>
        `#${r.id} · ${r.status} · started ${formatTime(r.createdAt)} by ${r.startedBy} · ${r.services} service(s), ${r.prs} PR(s)${r.shippedAt ? ` · shipped ${formatTime(r.shippedAt)}` : ''}`,
    );
    return historyMessage(lines);
  },
});
