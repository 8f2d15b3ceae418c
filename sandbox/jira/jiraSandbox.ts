import type { SandboxPart } from '../index.ts';
import { JiraSimulator } from './jiraSimulator.ts';

export const SANDBOX_JIRA_EMAIL = 'dpbot@example.com';
export const SANDBOX_JIRA_TOKEN = 'sandbox-jira-token';

/** Jira for `npm start`: project DP (Data Platform) with a few open tickets, DP-1 to DP-3. */
export const jiraSandboxPart: SandboxPart = {
  name: 'Jira',
  async start() {
    const jira = new JiraSimulator({
      email: SANDBOX_JIRA_EMAIL,
      token: SANDBOX_JIRA_TOKEN,
      projects: [{ id: '10000', key: 'DP', name: 'Data Platform' }],
    });
    jira.addIssue({
      project: 'DP',
      summary: 'orders: backfill November after the source outage',
      labels: ['backfill'],
    });
    jira.addIssue({ project: 'DP', summary: 'payments: reprocess 2026-11-14 partition' });
    jira.addIssue({ project: 'DP', summary: 'team-x: compact the events table', status: 'In Progress' });
    await jira.start();
    return {
      configure(config) {
        config.jira.url = jira.url;
        config.jira.email = SANDBOX_JIRA_EMAIL;
      },
      env: { JIRA_API_TOKEN: SANDBOX_JIRA_TOKEN },
      stop: () => jira.stop(),
    };
  },
};
