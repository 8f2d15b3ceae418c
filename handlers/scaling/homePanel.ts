import { workloadRef } from '../../integrations/kubernetes/kubernetes.ts';
import type { HomePanel } from '../../pipeline/homePanels.ts';
import { decide } from '../../policies/decide.ts';
import type { ScalingDeps } from './deps.ts';
import { workersPanel, workersPanelLine } from './views.ts';

const TEAMS_SHOWN = 6;
/** The App Home must open quickly; a cluster slower than this is shown as not answering. */
const READ_BUDGET_MS = 2_000;

/** The App Home's worker counts: desired and ready for the teams the viewer may read. */
export const workersHomePanel: HomePanel<ScalingDeps> = async ({ caller, deps }) => {
  const k8s = deps.kubernetes;
  if (!k8s) return [];
  const teams = deps.config.teams
    .filter((t) => decide(caller.grants, { action: 'workers.read', resource: `team:${t.name}` }).allowed)
    .slice(0, TEAMS_SHOWN);
  if (teams.length === 0) return [];
  const lines = await Promise.all(
    teams.flatMap((team) =>
      team.targets.map(async (target) => {
        const name = `${team.name}/${target.name}`;
        try {
          let timer: NodeJS.Timeout | undefined;
          const state = await Promise.race([
            k8s.read(workloadRef(target)),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error('timeout')), READ_BUDGET_MS);
            }),
          ]).finally(() => clearTimeout(timer));
          return workersPanelLine(name, state);
        } catch {
          return workersPanelLine(name, null);
        }
      }),
    ),
  );
  return workersPanel(lines);
};
