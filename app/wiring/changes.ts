import type { ChangesDeps } from '../../handlers/changes/index.ts';
import { taskRunsOfTeam } from '../../handlers/tasks/index.ts';
import type { Services } from '../services.ts';

/** What `changes` gets of everything createApp built: read access to each system it merges. */
export function changesDeps(services: Services): ChangesDeps {
  const { config } = services;
  return {
    config: {
      teams: config.teams,
      services: config.release.services,
      argocdUrl: services.argocd ? config.argocd.url : undefined,
    },
    audit: services.audit,
    people: services.access,
    kubernetes: services.kubernetes,
    argocd: services.argocd,
    argo: services.argo,
    taskRunsOfTeam: (team, since, limit) =>
      taskRunsOfTeam({ taskRuns: services.taskRuns, config }, team, since, limit),
    now: services.now,
  };
}
