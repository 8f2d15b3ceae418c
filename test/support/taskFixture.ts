import { ArgoSimulator } from '../../sandbox/argo/argoSimulator.ts';
import { DEMO_NAMESPACE, demoTemplates } from '../../sandbox/argo/demoTemplates.ts';
import { JiraSimulator } from '../../sandbox/jira/jiraSimulator.ts';
import { standardPolicies } from './fixture.ts';

export const ARGO_TOKEN = 'argo-test-token';
export const JIRA_EMAIL = 'dpbot@example.com';
export const JIRA_TOKEN = 'jira-test-token';
export const taskEnv = { ARGO_TOKEN, JIRA_API_TOKEN: JIRA_TOKEN };

/** The Argo and Jira simulators with the demo templates and an `echo` template, started. */
export async function startTaskSimulators(options: { autoAdvance: boolean; now?: () => Date }): Promise<{
  argo: ArgoSimulator;
  jira: JiraSimulator;
  stop(): Promise<void>;
}> {
  const argo = new ArgoSimulator({
    token: ARGO_TOKEN,
    forbiddenNamespaces: ['finance'],
    autoAdvance: options.autoAdvance,
    ...(options.now ? { now: options.now } : {}),
  });
  for (const t of demoTemplates) argo.addTemplate(t);
  argo.addTemplate({
    kind: 'WorkflowTemplate',
    name: 'echo',
    namespace: DEMO_NAMESPACE,
    parameters: [{ name: 'message' }],
    steps: (p) => [{ name: 'say', logs: [p.message ?? ''] }],
    // Removed an hour after it ends, by the simulator's clock, which only a test moves.
    ttlStrategy: { secondsAfterCompletion: 3600 },
  });
  argo.addTemplate({
    kind: 'WorkflowTemplate',
    name: 'slow',
    namespace: DEMO_NAMESPACE,
    parameters: [],
    steps: () => [{ name: 'wait', ticks: 10_000, logs: ['waiting'] }],
  });
  const jira = new JiraSimulator({ email: JIRA_EMAIL, token: JIRA_TOKEN });
  for (let i = 1; i <= 3; i++) jira.addIssue({ project: 'DP', summary: `existing ticket ${i}` });
  await argo.start();
  await jira.start();
  return {
    argo,
    jira,
    stop: async () => {
      await argo.stop();
      await jira.stop();
    },
  };
}

/** The tasks the integration tests run: the sandbox's three, plus a few that exercise failures. */
export function taskConfig(argoUrl: string, jiraUrl: string, over: { pollInterval?: string } = {}) {
  return {
    jobs: { pollInterval: '500ms' },
    argo: {
      url: argoUrl,
      uiUrl: 'https://argo.example.com',
      namespace: DEMO_NAMESPACE,
      timeout: '2s',
      pollInterval: over.pollInterval ?? '500ms',
      watchFor: '1h',
    },
    jira: { url: jiraUrl, email: JIRA_EMAIL, timeout: '2s' },
    tasks: [
      {
        name: 'backfill',
        description: "Re-run a dataset's pipeline for a range of days",
        workflowTemplate: 'backfill',
        parameters: [
          { name: 'dataset', type: 'dataset' },
          { name: 'from', type: 'date' },
          { name: 'to', type: 'date' },
          { name: 'mode', type: 'enum', values: ['append', 'overwrite'], default: 'append' },
        ],
        jira: { project: 'DP' },
      },
      {
        name: 'reprocess-partition',
        description: 'Rebuild one partition',
        workflowTemplate: 'reprocess-partition',
        confirm: true,
        parameters: [
          { name: 'dataset', type: 'dataset' },
          { name: 'partition', type: 'string', pattern: '\\d{4}-\\d{2}-\\d{2}' },
          { name: 'priority', type: 'int', min: 1, max: 10, default: 5 },
          { name: 'dry-run', type: 'bool', default: false },
        ],
      },
      {
        name: 'compact-table',
        description: "Compact a team's table",
        clusterWorkflowTemplate: 'compact-table',
        resource: 'team:{team}',
        parameters: [
          { name: 'team', type: 'team', values: ['team-x', 'team-y'] },
          { name: 'table', type: 'string', pattern: '[a-z][a-z0-9_]{0,62}' },
          { name: 'retention', type: 'duration', min: '1d', default: '30d' },
        ],
      },
      {
        name: 'echo',
        description: 'Print a message',
        workflowTemplate: 'echo',
        parameters: [{ name: 'message', type: 'string', maxLength: 300 }],
      },
      { name: 'slow', description: 'Takes its time', workflowTemplate: 'slow' },
      { name: 'ledger', description: 'Finance only', workflowTemplate: 'backfill', namespace: 'finance' },
      { name: 'ghost', description: 'Its template is gone', workflowTemplate: 'ghost' },
      {
        name: 'drop-partition',
        description: 'Needs two people',
        workflowTemplate: 'slow',
        approval: { group: 'file:team-x-oncall', count: 1 },
      },
    ],
  };
}

export const taskPolicies = {
  'platform.yaml': standardPolicies,
  'tasks.yaml': {
    grants: [
      { group: 'file:engineering', actions: ['tasks.run'], resources: ['task:backfill', 'task:echo'] },
      {
        group: 'file:team-x-oncall',
        actions: ['tasks.run'],
        resources: ['task:compact-table', 'team:team-x'],
      },
    ],
  },
};
