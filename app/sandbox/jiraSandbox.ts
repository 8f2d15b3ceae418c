import type { SimPullRequest } from '../../sandbox/github/githubData.ts';
import { JiraSimulator } from '../../sandbox/jira/jiraSimulator.ts';
import { keepState } from './keptState.ts';
import { demoRepositories } from './release.ts';
import type { SandboxPart } from './sandboxPart.ts';

export const SANDBOX_JIRA_EMAIL = 'dpbot@example.com';
export const SANDBOX_JIRA_TOKEN = 'sandbox-jira-token';

/** What the demo pull requests change, as their Jira issues say it to people outside engineering. */
const SUMMARIES: Record<string, string> = {
  'add CSV export to the orders report': 'Export the orders report as a CSV file',
  'stop double-counting refunds in daily totals': 'Daily totals no longer count refunds twice',
  'show the freshness of each dataset on its page': 'Each dataset page shows how fresh its data is',
  'speed up the nightly aggregation by caching lookups': 'Nightly figures are ready earlier in the morning',
  'bump pg from 8.11 to 8.12': 'Keep the database driver up to date',
  'handle empty partitions when backfilling': 'Backfills no longer stop at days without data',
  'explain the retention settings': 'Document how long data is kept',
  'let teams choose their alert channel': 'Teams choose the Slack channel their alerts go to',
  'split the ingestion worker into smaller steps': 'Make ingestion easier to operate',
  'keep time zones when exporting timestamps': 'Exported times keep their time zone',
  'run the integration tests on every pull request': 'Test every change before it is merged',
  'add a retry button to failed imports': 'Retry a failed import with one click',
};

/**
 * The keys of `project` a demo pull request names, where the GitHub simulator's generator writes
 * them: its title (`[DATA-123] …`), its branch (`feat/data-123-…`) or its body (`Closes DATA-123.`).
 * Found here rather than with dpbot's key extraction: the release code reads these pull requests,
 * so the Jira issues they point to must not depend on that code being right.
 */
function demoKeys(pr: SimPullRequest, project: string): string[] {
  const key = new RegExp(`(?<![A-Za-z0-9])${project}-([1-9][0-9]*)(?![0-9])`, 'gi');
  const keys: string[] = [];
  for (const text of [pr.title, pr.branch, pr.body])
    for (const match of text.matchAll(key)) {
      const found = `${project}-${match[1] ?? ''}`;
      if (!keys.includes(found)) keys.push(found);
    }
  return keys;
}

/** The change a demo pull request's title describes, without its type and key. */
const changeOf = (title: string) => title.replace(/^\w+!?:\s*(\[[^\]]+\]\s*)?/, '');

/**
 * Jira for `npm start`: project DP (Data Platform) with a few open tickets for the ops tasks,
 * DP-1 to DP-3; and project DATA with an issue for every key the GitHub simulator's demo pull
 * requests name, so a sandbox release looks them up, sets its fix version on them and gives
 * stakeholders their summaries. DATA-101 is planned for the release in Jira (label
 * `release-candidate`, the sandbox's release.jira.scopeJql) but no pull request names it.
 */
export const jiraSandboxPart: SandboxPart = {
  name: 'Jira',
  system: 'jira',
  async start({ now, simulated, stateDir }) {
    const jira = new JiraSimulator({
      email: SANDBOX_JIRA_EMAIL,
      token: SANDBOX_JIRA_TOKEN,
      projects: [
        { id: '10000', key: 'DP', name: 'Data Platform' },
        { id: '10001', key: 'DATA', name: 'Data Products' },
      ],
    });
    jira.addIssue({
      project: 'DP',
      summary: 'orders: backfill November after the source outage',
      labels: ['backfill'],
    });
    jira.addIssue({ project: 'DP', summary: 'payments: reprocess 2026-11-14 partition' });
    jira.addIssue({ project: 'DP', summary: 'team-x: compact the events table', status: 'In Progress' });
    const { orders, platform } = demoRepositories(now);
    const seen = new Set<string>();
    for (const pr of [...orders, ...platform])
      for (const key of demoKeys(pr, 'DATA')) {
        if (seen.has(key)) continue;
        seen.add(key);
        const change = changeOf(pr.title);
        jira.addIssue({
          project: 'DATA',
          number: Number(key.slice('DATA-'.length)),
          summary: SUMMARIES[change] ?? change,
          status: 'Done',
        });
      }
    jira.addIssue({
      project: 'DATA',
      number: 101,
      summary: 'Retire the legacy orders export endpoint',
      labels: ['release-candidate'],
    });
    const saveNow = keepState(stateDir, 'jira', jira, () => jira.sim.requests.length);
    await jira.start();
    return {
      configure(config) {
        config.jira.url = jira.url;
        config.jira.email = SANDBOX_JIRA_EMAIL;
        // The DATA issues are those the simulated GitHub's pull requests name; a real GitHub's
        // pull requests name none of them, so the release then gets no Jira project from here.
        if (simulated.github) {
          config.release.jira.project ??= 'DATA';
          config.release.jira.scopeJql ??= 'project = DATA AND labels = release-candidate';
        }
      },
      env: { JIRA_API_TOKEN: SANDBOX_JIRA_TOKEN },
      stop: async () => {
        await jira.stop();
        saveNow();
      },
    };
  },
};
