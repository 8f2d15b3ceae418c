import { describe, expect, it } from 'vitest';
import { runningTargets } from '../../handlers/release/notices/queue.ts';
import {
  githubComment,
  jiraComment,
  messageUrl,
  noticeMarker,
} from '../../handlers/release/notices/texts.ts';
import type { ReleasePr, ReleaseSnapshot } from '../../handlers/release/stores/releaseStore.ts';
import type { JiraClient } from '../../integrations/jira/jiraClient.ts';
import type { ReleaseTracker } from '../../integrations/jira/releaseTracker.ts';

const facts = {
  kind: 'running' as const,
  releaseId: 7,
  service: 'orders-api',
  at: '2026-11-04 10:02 UTC',
  releaseUrl: 'https://acme.slack.com/archives/C0RELEASES/p1700000000000100',
};

const pr = (number: number, author: string | null, services: string[], jiraKeys: string[]): ReleasePr => ({
  releaseId: 7,
  repository: 'acme/orders',
  number,
  title: `change ${number}`,
  url: `https://github.com/acme/orders/pull/${number}`,
  author,
  branch: null,
  body: null,
  mergedAt: new Date('2026-11-03T09:00:00Z'),
  mergeCommit: null,
  labels: [],
  category: 'feature',
  jiraKeys,
  services,
  late: false,
});

describe('production notices: what they say and to whom', () => {
  it('a pull request comment is one sentence, the release link and the hidden marker', () => {
    expect(githubComment(facts)).toBe(
      'Running in production since 2026-11-04 10:02 UTC, release #7, service orders-api ([release message](https://acme.slack.com/archives/C0RELEASES/p1700000000000100)).\n\n<!-- dpbot-notice release=7 service=orders-api kind=running -->',
    );
    expect(githubComment({ ...facts, kind: 'rolled_back', releaseUrl: undefined })).toMatch(
      /^Rolled back at 2026-11-04 10:02 UTC: release #7 of service orders-api no longer runs in production\.\n\n<!-- dpbot-notice release=7 service=orders-api kind=rolled_back -->$/,
    );
    // The rolled-back comment has its own marker: finding the running one must not stop it.
    expect(noticeMarker({ ...facts, kind: 'rolled_back' })).not.toBe(noticeMarker(facts));
  });

  it('the Jira comment is ADF text, naming the fix version, with the link as a link mark', () => {
    const body = jiraComment(facts, 'release-2026-11-04-7');
    expect(body.content[0]?.type).toBe('paragraph');
    const nodes = body.content[0]?.type === 'paragraph' ? body.content[0].content : [];
    expect(nodes.map((n) => n.text).join('')).toBe(
      'Running in production since 2026-11-04 10:02 UTC, release #7, service orders-api. Fix version release-2026-11-04-7. Release message',
    );
    expect(nodes.at(-1)?.marks).toEqual([{ type: 'link', attrs: { href: facts.releaseUrl } }]);
  });

  it("links a release message only with the workspace's address and a channel ID", () => {
    expect(messageUrl('https://acme.slack.com/', 'C0RELEASES', '1700000000.000100')).toBe(facts.releaseUrl);
    expect(messageUrl(undefined, 'C0RELEASES', '1700000000.000100')).toBeUndefined();
    expect(messageUrl('https://acme.slack.com', '#releases', '1700000000.000100')).toBeUndefined();
    expect(messageUrl('https://acme.slack.com', 'C0RELEASES', null)).toBeUndefined();
  });

  it("targets the service's pull requests, their issues (with Jira), each author and each subscriber once", () => {
    const snapshot = {
      prs: [
        pr(1, 'ada-l', ['orders-api'], ['DATA-1']),
        pr(2, 'ada-l', ['orders-api', 'ingest'], ['DATA-1', 'DATA-2']),
        pr(3, null, ['orders-api'], []),
        pr(4, 'grace-h', ['ingest'], ['DATA-3']),
      ],
    } as unknown as ReleaseSnapshot;
    const jira = { jira: {} as JiraClient, releaseTracker: {} as ReleaseTracker };
    expect(runningTargets(jira, snapshot, 'orders-api', ['linus@example.com'])).toEqual([
      'github:acme/orders#1',
      'github:acme/orders#2',
      'github:acme/orders#3',
      'jira:DATA-1',
      'jira:DATA-2',
      'author:ada-l',
      'subscriber:linus@example.com',
    ]);
    expect(runningTargets({}, snapshot, 'ingest', [])).toEqual([
      'github:acme/orders#2',
      'github:acme/orders#4',
      'author:ada-l',
      'author:grace-h',
    ]);
  });
});
