import { Blocks, Md } from 'slack-block-builder';
import { z } from 'zod';
import { formatTime } from '../../../core/time.ts';
import { blocks } from '../../../pipeline/message.ts';
import { escapeMrkdwn, lineSections } from '../../../pipeline/views/common.ts';
import { defineCommand } from '../deps.ts';
import { loadSnapshot } from '../publish.ts';
import { appLine } from '../ship.ts';
import { engineeringNotes, releaseMessage } from '../views.ts';
import { findReleaseOrLatest, releaseId } from './common.ts';

export const releaseStatus = defineCommand({
  name: 'release status',
  summary: 'Show a release: services, who decided, deployments',
  usage: 'release status [id]',
  examples: ['release status', 'release status 12'],
  params: { positionals: ['id'] },
  args: z.object({ id: releaseId.optional() }),
  action: 'release.read',
  resourceKinds: ['release'],
  resource: () => 'release:weekly',
  run: async (args, ctx) => {
    const release = await findReleaseOrLatest(ctx.services, args.id);
    const snapshot = await loadSnapshot(ctx.services, release.id);
    const message = releaseMessage(snapshot, ctx.services.config);
    const deployments = snapshot.apps.map(appLine);
    return {
      text: [
        message.text,
        ...snapshot.apps.map((a) => `${a.application}: ${a.status}${a.message ? ` — ${a.message}` : ''}`),
      ].join('\n'),
      blocks: [
        ...(message.blocks ?? []),
        ...blocks(
          ...(deployments.length
            ? [Blocks.Section({ text: Md.bold('Deployments') }), ...lineSections(deployments)]
            : []),
        ),
      ],
    };
  },
});

export const releaseNotes = defineCommand({
  name: 'release notes',
  summary: 'Show the release notes of a release (the current or latest one by default)',
  usage: 'release notes [id]',
  examples: ['release notes', 'release notes 12'],
  params: { positionals: ['id'] },
  args: z.object({ id: releaseId.optional() }),
  action: 'release.read',
  resourceKinds: ['release'],
  resource: () => 'release:weekly',
  run: async (args, ctx) => {
    const release = await findReleaseOrLatest(ctx.services, args.id);
    return engineeringNotes(await loadSnapshot(ctx.services, release.id), ctx.services.config);
  },
});

export const releaseHistory = defineCommand({
  name: 'release history',
  summary: 'List past releases',
  usage: 'release history [limit=10]',
  params: { keyValues: ['limit'] },
  args: z.object({ limit: z.coerce.number().int().min(1).max(50).default(10) }),
  action: 'release.read',
  resourceKinds: ['release'],
  resource: () => 'release:weekly',
  run: async (args, ctx) => {
    const rows = await ctx.services.releases.history(args.limit);
    if (!rows.length) return { text: 'No release yet: "release start" begins one.' };
    const lines = rows.map(
      (r) =>
        `#${r.id} · ${r.status} · started ${formatTime(r.createdAt)} by ${r.startedBy} · ${r.services} service(s), ${r.prs} PR(s)${r.shippedAt ? ` · shipped ${formatTime(r.shippedAt)}` : ''}`,
    );
    return {
      text: ['Releases:', ...lines].join('\n'),
      blocks: blocks(Blocks.Section({ text: Md.bold('Releases') }), ...lineSections(lines.map(escapeMrkdwn))),
    };
  },
});
