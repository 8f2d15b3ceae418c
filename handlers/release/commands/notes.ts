import { z } from 'zod';
import { defineCommand } from '../deps.ts';
import { loadSnapshot } from '../publish.ts';
import { engineeringNotes } from '../views.ts';
import { findReleaseOrLatest, releaseId } from './common.ts';

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
