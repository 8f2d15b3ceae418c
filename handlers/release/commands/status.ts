import { Blocks, Md } from 'slack-block-builder';
import { z } from 'zod';
import { blocks } from '../../../pipeline/message.ts';
import { lineSections } from '../../../pipeline/views/common.ts';
import { defineCommand } from '../deps.ts';
import { loadSnapshot } from '../publish.ts';
import { appLine, releaseMessage } from '../views.ts';
import { findReleaseOrLatest, releaseId } from './common.ts';

export const releaseStatus = defineCommand({
  name: 'release status',
  summary: 'Show a release: services, who decided, deployments',
  usage: 'release status [id]',
  examples: ['release status', 'release status 1'],
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
