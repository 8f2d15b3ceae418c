import type { BlockBuilder } from 'slack-block-builder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseDeps } from '../../app/wiring/release.ts';
import { slackPayload } from '../../bot/slack/broadcasts.ts';
import { releaseHomePanel } from '../../handlers/release/homePanel.ts';
import { stakeholderNotes } from '../../handlers/release/views/release.ts';
import { blocks, type Message } from '../../pipeline/message.ts';
import {
  buildRepository,
  generatePullRequests,
  type SimPullRequest,
} from '../../sandbox/github/githubData.ts';
import { checkMessage, checkView } from '../../sandbox/slack/blockKitLimits.ts';
import { buttons, type ReleaseWorld, run, SINCE, startReleaseWorld } from '../support/release.ts';

// A big, realistic release through every view of it (issue 15, item 2): 30 services in 10
// repositories (3 of them monorepos), 60 pull requests for one service, 200-character titles and
// 40 Jira keys. Each view must stay within Slack's limits by design and say how to see the rest.

const ADA = 'ada@example.com';
const recent = new Date('2026-11-03T09:00:00Z');
const limitsOf = (m: Message) => checkMessage(slackPayload(m));
const blocksText = (m: Message) => JSON.stringify(m.blocks);

/** A title of exactly 200 characters, naming a Jira key for the first 40 pull requests. */
function longTitle(n: number, key: number | undefined): string {
  const head = `feat: ${key === undefined ? '' : `[REL-${key}] `}change number ${n} `;
  return head.padEnd(200, 'and a long explanation of it ').slice(0, 200);
}

interface Planned {
  name: string;
  repository: string;
  paths?: string[];
}

let world: ReleaseWorld;
const monorepos = [8, 8, 7].map((size, m) => Array.from({ length: size }, (_, i) => `mono-${m}-svc-${i}`));
const planned: Planned[] = [
  ...Array.from({ length: 7 }, (_, r) => ({ name: `single-${r}`, repository: `acme/single-${r}` })),
  ...monorepos.flatMap((names, m) =>
    names.map((name) => ({ name, repository: `acme/mono-${m}`, paths: [`services/${name}/`] })),
  ),
];

beforeAll(async () => {
  world = await startReleaseWorld({
    config: {
      services: planned.map((p) => ({
        name: p.name,
        repository: p.repository,
        ...(p.paths ? { paths: p.paths } : {}),
        applications: [p.name],
        owners: ['grace@example.com'],
        stakeholders: ['#sales-ops'],
      })),
      waves: [planned.map((p) => p.name)],
    },
  });
  let keyCount = 0;
  const add = (fullName: string, prs: SimPullRequest[], names: string[]) => {
    for (const pr of prs) {
      pr.title = longTitle(pr.number, keyCount < 40 ? 1000 + keyCount : undefined);
      keyCount++;
    }
    const repo = buildRepository(fullName, prs);
    world.github.addRepository(repo);
    const root = repo.commits[0]?.oid ?? 'root';
    for (const name of names)
      world.argocd.addApplication({ name, repoURL: `https://github.com/${fullName}`, revision: root });
  };
  // Seven repositories of one service each; the first has the 60 pull requests.
  for (let r = 0; r < 7; r++) {
    const fullName = `acme/single-${r}`;
    const prs = generatePullRequests(fullName, {
      count: r === 0 ? 60 : 20,
      start: recent,
      spacingMs: 60_000,
      firstNumber: 100,
    });
    add(fullName, prs, [`single-${r}`]);
  }
  for (const [m, names] of monorepos.entries()) {
    const fullName = `acme/mono-${m}`;
    const prs = generatePullRequests(fullName, {
      count: names.length * 2,
      start: recent,
      spacingMs: 60_000,
      firstNumber: 100,
      folders: names.map((n) => `services/${n}`),
    });
    add(fullName, prs, names);
  }
});
afterAll(() => world.close());

const threadOf = (service: string) =>
  world.notifier.posted.find((p) => !p.threadTs && p.message.text.startsWith(`${service}:`));

const sentBy = (ran: { responder: { sent: { message: Message }[] } }) => {
  const message = ran.responder.sent.at(-1)?.message;
  if (!message) throw new Error('nothing was sent');
  return message;
};

describe('a release of 30 services, one with 60 pull requests of 200-character titles', () => {
  let id = 0;

  it('starts, counting the pull requests without a key and saying where each is listed', async () => {
    const started = await run(world, `release start --since ${SINCE}`, ADA);
    expect(started.outcome).toBe('ok');
    const reply = sentBy(started);
    expect(limitsOf(reply)).toEqual([]);
    id = Number(/Release #(\d+) started/.exec(reply.text)?.[1]);
    expect(reply.text).toMatch(
      /started: \d+ pull request\(s\) in 30 service\(s\), read with 10 GitHub request/,
    );
    const noKey = await world.database.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM release_prs WHERE release_id = $1 AND jira_keys = '{}'",
      [id],
    );
    const rest = (noKey.rows[0]?.n ?? 0) - 30;
    expect(rest).toBeGreaterThan(0);
    expect(reply.text).toContain(`and ${rest} more (each service's thread lists its own)`);
    // The release message and one message per service, each within the limits.
    const top = world.notifier.posted.filter((p) => !p.threadTs);
    expect(top).toHaveLength(31);
    for (const p of world.notifier.posted) expect(limitsOf(p.message)).toEqual([]);
  });

  it('shows all 60 pull requests of one service, whole titles, with Include / Skip', async () => {
    const m = threadOf('single-0')?.message;
    if (!m) throw new Error('no thread message for single-0');
    expect(limitsOf(m)).toEqual([]);
    expect(m.text).toContain('single-0: 60 pull request(s)');
    expect(blocksText(m)).toContain('|#101>');
    expect(blocksText(m)).toContain('|#160>');
    expect(blocksText(m)).toContain(longTitle(101, 1000));
    expect(blocksText(m)).not.toContain('list cut short');
    expect(buttons(m.blocks).map((b) => b.label)).toEqual(['Include', 'Skip']);
  });

  it('shows the status of all 30 services in one message', async () => {
    const status = sentBy(await run(world, 'release status', ADA));
    expect(limitsOf(status)).toEqual([]);
    for (const p of planned) expect(status.text).toContain(`${p.name}: `);
    // Three monorepo services had nothing merged, and dpbot skipped them itself.
    expect(blocksText(status)).toContain('27 service(s) still to decide');
  });

  it('fits whole services into the notes and names the rest with the command that shows each', async () => {
    for (const p of planned)
      expect((await run(world, `release include ${p.name}`, 'grace@example.com')).outcome).toBe('ok');
    for (const u of world.notifier.updates) expect(limitsOf(u.message)).toEqual([]);
    const notes = sentBy(await run(world, 'release notes', ADA));
    expect(limitsOf(notes)).toEqual([]);
    expect(blocksText(notes)).not.toContain('list cut short');
    const more = new RegExp(
      `(\\d+) more service\\(s\\), each with release notes ${id} service=<name>: ([^\\n]+)`,
    ).exec(notes.text);
    if (!more) throw new Error(`no pointer to the rest in:\n${notes.text.slice(-500)}`);
    const left = planned.filter((p) => !notes.text.split('\n').includes(p.name));
    expect(Number(more[1])).toBe(left.length);
    expect(more[2]).toContain(left[0]?.name);
    expect(blocksText(notes)).toContain(`\`release notes ${id} service=&lt;name&gt;\``);

    const one = sentBy(await run(world, `release notes ${id} service=${left[0]?.name}`, ADA));
    expect(limitsOf(one)).toEqual([]);
    expect(one.text.split('\n')).toContain(left[0]?.name);
    expect(one.text).not.toContain('more service(s)');
  });

  it('lists the release in history and on App Home, within the limits', async () => {
    const history = sentBy(await run(world, 'release history limit=50', ADA));
    expect(limitsOf(history)).toEqual([]);
    expect(history.text).toContain(`#${id} · open`);
    const caller = await world.app.services.identity.resolve({ email: ADA });
    const panel: BlockBuilder[] = await releaseHomePanel({ caller, deps: releaseDeps(world.app.services) });
    const view = { type: 'home', blocks: blocks(...panel) };
    expect(checkView(view)).toEqual([]);
    expect(JSON.stringify(view)).toContain(
      `Release #${id} is open: 30 included, 0 skipped, 0 awaiting a decision.`,
    );
  });

  it('names the applications past the rollback buttons, with the command that rolls each back', async () => {
    // As if the release had shipped: every application deployed and healthy, running (as Argo CD
    // says, which release status follows) what the release shipped.
    for (const [wave, p] of planned.entries())
      await world.database.query(
        `INSERT INTO release_apps (release_id, application, service, wave, revision, status)
         VALUES ($1, $2, $2, $3, $4, 'healthy')
         ON CONFLICT (release_id, application) DO UPDATE SET status = 'healthy', revision = $4`,
        [id, p.name, wave, world.argocd.app(p.name).syncedRevision],
      );
    const status = sentBy(await run(world, `release status ${id}`, ADA));
    expect(limitsOf(status)).toEqual([]);
    const rollbacks = buttons(status.blocks).filter((b) => b.label.startsWith('Rollback '));
    expect(rollbacks).toHaveLength(25);
    const shown = new Set(rollbacks.map((b) => b.label.slice('Rollback '.length)));
    const rest = planned.filter((p) => !shown.has(p.name)).map((p) => p.name);
    expect(rest).toHaveLength(5);
    expect(blocksText(status)).toContain(
      `Rollback for ${rest.join(', ')}: \`release rollback &lt;application&gt; --release ${id}\``,
    );
  });

  it("fits the stakeholders' notes of 30 shipped services in one message and names the rest", async () => {
    await world.database.query("UPDATE release_services SET ship_status = 'done' WHERE release_id = $1", [
      id,
    ]);
    const snapshot = await world.app.services.releases.snapshot(id);
    if (!snapshot) throw new Error('no snapshot');
    const notes = stakeholderNotes(snapshot, releaseDeps(world.app.services).config, '#sales-ops', new Map());
    if (!notes) throw new Error('no stakeholder notes');
    expect(limitsOf(notes)).toEqual([]);
    expect(blocksText(notes)).not.toContain('list cut short');
    expect(notes.text).toMatch(
      new RegExp(
        `Also changed: .+\\. The release channel has the full notes \\(release notes ${id} service=<name>\\)\\.`,
      ),
    );
  });
});
