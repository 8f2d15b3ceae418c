import { z } from 'zod';
import { noticeMessage } from '../../../pipeline/views/common.ts';
import { defineCommand } from '../deps.ts';
import { serviceNamed } from '../names.ts';
import { loadSnapshot } from '../publish.ts';
import type { ReleaseSnapshot } from '../stores/releaseStore.ts';
import { engineeringNotes } from '../views/release.ts';
import { findReleaseOrLatest, releaseId } from './common.ts';

/** Why a service the configuration has is not in a release's notes, or undefined when it is. */
function notInNotes(snapshot: ReleaseSnapshot, service: string): string | undefined {
  const release = `release #${snapshot.release.id}`;
  const decided = snapshot.confirmations.find((c) => c.service === service);
  if (decided?.decision === 'include') return undefined;
  const why = !decided
    ? `it is not part of ${release} ("release status ${snapshot.release.id}" lists its services)`
    : decided.decision === 'skip'
      ? `skipped by ${decided.decidedBy ?? 'dpbot'}${decided.reason ? ` (${decided.reason})` : ''}`
      : 'its owners have not decided yet';
  return `${service} is not in the notes of ${release}: ${why}`;
}

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
  // Whoever may read releases may read every service's notes: suggestions come from all of them.
  names: (a, ctx) =>
    a.service ? [{ ...serviceNamed(ctx.deps.config, a.service), resource: () => 'release:weekly' }] : [],
  run: async (args, ctx) => {
    const release = await findReleaseOrLatest(ctx.deps, args.id);
    const snapshot = await loadSnapshot(ctx.deps, release.id);
    const missing = args.service ? notInNotes(snapshot, args.service) : undefined;
    if (missing) return noticeMessage(missing);
    return engineeringNotes(snapshot, ctx.deps.config, args.service ? [args.service] : undefined);
  },
});
