import { z } from 'zod';
import { errorMessage } from '../../../core/errors.ts';
import { stateText } from '../../../pipeline/people.ts';
import { appHistory, describeRevision, short } from '../deployments.ts';
import { defineCommand, type ReleaseDeps } from '../deps.ts';
import { releaseFreezes } from '../freezeCheck.ts';
import { releaseNames } from '../people.ts';
import { loadSnapshot } from '../publish.ts';
import type { ReleaseApp, ReleaseSnapshot } from '../stores/releaseStore.ts';
import { statusMessage } from '../views/notices.ts';
import { appLine, releaseMessage } from '../views/release.ts';
import { findReleaseOrLatest, releaseId } from './common.ts';

/**
 * The release's applications as they stand now: what dpbot recorded, corrected by what Argo CD
 * says runs (a rollback or a deployment made since, in dpbot or outside it), each with the story
 * of the revision it runs. Without Argo CD, or when it does not answer, dpbot's records stand.
 */
async function runningNow(
  services: ReleaseDeps,
  snapshot: ReleaseSnapshot,
): Promise<{ apps: ReleaseApp[]; lines: string[]; note?: string }> {
  const argocd = services.argocd;
  if (!argocd || snapshot.apps.length === 0) return { apps: snapshot.apps, lines: [] };
  const apps: ReleaseApp[] = [];
  const lines: string[] = [];
  try {
    for (const a of snapshot.apps) {
      const history = await appHistory(services, a.application, await argocd.get(a.application));
      const running = history.running;
      if (!running || a.status === 'waiting' || a.status === 'syncing') {
        apps.push(a);
        continue;
      }
      lines.push(`${a.application} runs ${describeRevision(history, running.revision)}`);
      const back = a.status === 'rolled_back' || a.status === 'rolling_back';
      if (running.revision === a.revision && a.status === 'rolled_back')
        apps.push({ ...a, status: 'healthy', message: `running ${short(a.revision)} again` });
      else if (running.revision !== a.revision && !back)
        apps.push({ ...a, status: 'rolled_back', message: `runs ${short(running.revision)} now` });
      else apps.push(a);
    }
  } catch (error) {
    return {
      apps: snapshot.apps,
      lines: [],
      note: `Argo CD did not say what runs (${errorMessage(error)}); dpbot's records are shown`,
    };
  }
  return { apps, lines };
}

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
    const release = await findReleaseOrLatest(ctx.deps, args.id);
    const stored = await loadSnapshot(ctx.deps, release.id);
    const now = await runningNow(ctx.deps, stored);
    const snapshot = { ...stored, apps: now.apps };
    const message = releaseMessage(
      snapshot,
      ctx.deps.config,
      await releaseNames(ctx.deps, stored),
      await releaseFreezes(ctx.deps, stored),
    );
    const deployments = snapshot.apps.map(appLine);
    const runs = [...now.lines, ...(now.note ? [now.note] : [])];
    const text = [
      message.text,
      ...snapshot.apps.map(
        (a) => `${a.application}: ${stateText(a.status)}${a.message ? ` — ${a.message}` : ''}`,
      ),
      ...runs,
    ].join('\n');
    return statusMessage(message, text, deployments, runs);
  },
});
