import type { HomePanel } from '../../pipeline/homePanels.ts';
import { decide } from '../../policies/decide.ts';
import type { FreezeDeps } from './deps.ts';
import { activeFreezes } from './gate.ts';
import { freezePanel } from './views.ts';

/** The App Home's freeze line, for anyone who may follow releases, while something is frozen. */
export const freezeHomePanel: HomePanel<FreezeDeps> = async ({ caller, deps }) => {
  if (!decide(caller.grants, { action: 'release.read', resource: 'release:weekly' }).allowed) return [];
  return freezePanel(await activeFreezes(deps));
};
