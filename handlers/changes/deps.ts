import type { AccessStore } from '../../db/stores/accessStore.ts';
import type { AuditStore } from '../../db/stores/auditStore.ts';
import type { ArgoClient } from '../../integrations/argo/argoClient.ts';
import type { ArgoCdClient } from '../../integrations/argocd/argoCdClient.ts';
import type { KubernetesClusters } from '../../integrations/kubernetes/kubernetes.ts';
import { commandsWith } from '../../pipeline/defineCommand.ts';
import type { TargetConfig } from '../scaling/config.ts';
import type { TeamTaskRun } from '../tasks/index.ts';

/** A team as the timeline needs it: its name and where its workers live. */
export interface ChangesTeam {
  name: string;
  targets: readonly TargetConfig[];
}

/** A service of the release as the timeline needs it: its name and the Argo CD applications that deploy it. */
export interface ChangesService {
  name: string;
  applications: readonly string[];
}

/** What `changes` needs; app/wiring/changes.ts picks it from what app/app.ts built. */
export interface ChangesDeps {
  config: {
    teams: readonly ChangesTeam[];
    services: readonly ChangesService[];
    /** Argo CD's base URL, for links to an application's page; unset when Argo CD is not configured. */
    argocdUrl?: string | undefined;
  };
  /** dpbot's own record of what it did. */
  audit: Pick<AuditStore, 'search'>;
  /** Names of the people the rows name. */
  people: Pick<AccessStore, 'findUser'>;
  /** Absent when no team is configured. */
  kubernetes?: Pick<KubernetesClusters, 'read' | 'replicaHistory'> | undefined;
  /** Absent when `argocd.url` is not set. */
  argocd?: Pick<ArgoCdClient, 'get'> | undefined;
  /** Absent when `argo.url` is not set. */
  argo?: Pick<ArgoClient, 'listSummaries' | 'workflowUrl'> | undefined;
  /** The tasks capability's runs that touched a team (its face's taskRunsOfTeam, bound). */
  taskRunsOfTeam: (team: string, since: Date, limit: number) => Promise<TeamTaskRun[]>;
  now: () => Date;
}

/** Commands of this capability, written against ChangesDeps. */
export const defineCommand = commandsWith<ChangesDeps>();
