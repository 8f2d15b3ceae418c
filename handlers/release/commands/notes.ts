import { z } from 'zod';
import { defineCommand } from '../deps.ts';
import { loadSnapshot } from '../publish.ts';
import { engineeringNotes } from '../views.ts';
import { findReleaseOrLatest, releaseId } from './common.ts';

export const releaseNotes = defineCommand({
  name: 'release notes',
  summary: 'Show the release notes of a release (the current or latest one by default)',
  usage: 'release notes [id] [service=<name>]',
  examples: ['release notes', 'release notes 1', 'release notes 1 service=orders-api'],
  params: { positionals: ['id'], keyValues: ['service'] },
  args: z.object({ id: releaseId.optional(), service: z.string().min(1).optional() }),
  action: 'release.read',
  resourceKinds: ['release'],
  resource: () => 'release:weekly',
  run: async (args, ctx) => {
    const release = await findReleaseOrLatest(ctx.services, args.id);
    return engineeringNotes(
      await loadSnapshot(ctx.services, release.id),
      ctx.services.config,
      args.service ? [args.service] : undefined,
    );
  },
});
