import type { HomePanel } from '../../pipeline/homePanels.ts';
import { decide } from '../../policies/decide.ts';
import type { ReleaseDeps } from './deps.ts';
import { releasePanel } from './views/notices.ts';

/** The App Home's release line: the release in progress and where it stands, for anyone who may read it. */
export const releaseHomePanel: HomePanel<ReleaseDeps> = async ({ caller, deps }) => {
  if (deps.config.release.services.length === 0) return [];
  if (!decide(caller.grants, { action: 'release.read', resource: 'release:weekly' }).allowed) return [];
  const active = await deps.releases.active();
  let text: string;
  if (!active) {
    const [last] = await deps.releases.history(1);
    text = last
      ? `No release in progress; the last, #${last.id}, is ${last.status} (${last.services} service(s), ${last.prs} pull request(s)).`
      : 'No release yet.';
  } else {
    const snapshot = await deps.releases.snapshot(active.id);
    const decisions = snapshot?.confirmations ?? [];
    const count = (d: string) => decisions.filter((c) => c.decision === d).length;
    const deployed = (snapshot?.services ?? []).filter((s) => s.shipStatus === 'done').length;
    text = `Release #${active.id} is ${active.status}: ${count('include')} included, ${count('skip')} skipped, ${count('pending')} awaiting a decision${active.status === 'shipping' ? `; ${deployed} deployed` : ''}.`;
  }
  return releasePanel(text);
};
