import type { ContractChecker } from '../support/checker.ts';
import { argoCdChecker } from './argoCd.ts';
import { argoWorkflowsChecker } from './argoWorkflows.ts';
import { githubRestChecker } from './githubRest.ts';
import { jiraChecker } from './jira.ts';
import { kubernetesChecker } from './kubernetes.ts';
import { slackWebApiChecker } from './slackWebApi.ts';

/**
 * Every system's checker. The test set-up (test/support/contractExchanges.ts) hands each of them
 * every exchange any simulator recorded while the suite runs; a new system's checker is listed here.
 */
export const contractCheckers: readonly ContractChecker[] = [
  slackWebApiChecker,
  kubernetesChecker,
  jiraChecker,
  argoCdChecker,
  argoWorkflowsChecker,
  githubRestChecker,
];
