import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseDeps } from '../../app/wiring/release.ts';
import type { ReleaseDeps } from '../../handlers/release/index.ts';
import { queueRunningNotices, sweepNotices } from '../../handlers/release/notices/queue.ts';
import { sendNotices } from '../../handlers/release/notices/send.ts';
import { QUEUES } from '../../handlers/release/queues.ts';
import { rollbackTick } from '../../handlers/release/rollback.ts';
import { shipTick } from '../../handlers/release/shipTick.ts';
import { trackerAtShip } from '../../handlers/release/tracker.ts';
import type { TestDatabase } from '../support/db.ts';
import {
  type ReleaseDayByHand,
  releaseDayByHand,
  shipConfirmed,
  startAndIncludeAll,
} from '../support/releaseDay.ts';

// Issue 32 item 2: once a service of a release is healthy, each of its pull requests gets one
// GitHub comment, each Jira issue one comment, each author one direct message (not one who typed
// "notices off") and each subscriber the notes — once, however often the job runs, on however many
// replicas, and after a crash mid-send; a rollback then says "rolled back" to the same, once. The
// real clients (Octokit, jira.js, @slack/web-api) talk to the simulators over HTTP; the watcher's
// looks and the notice jobs are run here one by one, as the workers would, so counts are exact.

const SERVICE = 'single-0';
const REPO = 'acme/single-0';
const ADA = 'ada@example.com';
const GRACE = 'grace@example.com';
const LINUS = 'linus@example.com';
const DM = { ada: 'DU0ADA00001', grace: 'DU0GRACE001', linus: 'DU0LINUS001' };
const AUTHORS = ['ada-l', 'ada-l', 'grace-h', 'linus-t', 'ken-t', 'ada-l'];

let database: TestDatabase;
let world: ReleaseDayByHand;
let services: ReleaseDeps;
let id = 0;
let prNumbers: number[] = [];

const running = { releaseId: 0, service: SERVICE, kind: 'running' as const };
const rolledBack = { releaseId: 0, service: SERVICE, kind: 'rolled_back' as const };

const commentsOn = (number: number, text: string) =>
  (world.github.repository(REPO).issueComments ?? []).filter(
    (c) => c.issue === number && c.body.includes(text),
  );
const jiraComments = (key: string, text: string) =>
  (world.jira.issue(key)?.comments ?? []).filter((c) => JSON.stringify(c.body).includes(text));
const dms = (channel: string, text: string) =>
  world.slack.messagesIn(channel).filter((m) => m.text.includes(text));
const rows = async (kind: string) =>
  (
    await database.query<{ target: string; state: string; detail: string | null }>(
      'SELECT target, state, detail FROM release_notices WHERE kind = $1 ORDER BY target',
      [kind],
    )
  ).rows;

beforeAll(async () => {
  world = await releaseDayByHand({
    scale: { repositories: 1, prs: 6, jiraKeys: 2 },
    postIntervalMs: 50,
    releaseConfig: {
      waves: [[SERVICE]],
      notices: {
        slackUrl: 'https://acme.slack.com',
        authors: { 'ada-l': ADA, 'grace-h': GRACE, 'linus-t': LINUS },
      },
    },
  });
  database = world.database;
  const prs = world.github.repository(REPO).pullRequests;
  prs.forEach((p, i) => {
    p.author = AUTHORS[i] ?? 'ada-l';
  });
  prNumbers = prs.map((p) => p.number);
  services = releaseDeps(world.app.services);
}, 120_000);
afterAll(async () => {
  await world?.close();
});

describe('notices and subscriptions, by command', () => {
  it('"subscribe" takes a configured service and suggests one for a typo; "notices off" is kept', async () => {
    const typo = await world.run('subscribe single-O', LINUS);
    expect(typo.outcome).not.toBe('ok');
    expect(typo.texts.join('\n')).toContain('there is no service "single-O"; did you mean "single-0"?');
    expect((await world.run(`subscribe ${SERVICE}`, LINUS)).outcome).toBe('ok');
    expect((await world.run(`subscribe ${SERVICE}`, LINUS)).texts.join('\n')).toContain('already subscribe');
    expect((await world.run('notices off', GRACE)).outcome).toBe('ok');
    const status = await world.run('notices', GRACE);
    expect(status.texts.join('\n')).toContain('"notices on" brings them back');
    const audited = await database.query<{ outcome: string; email: string }>(
      "SELECT outcome, email FROM audit_log WHERE action = 'release.subscribe' AND kind = 'step' ORDER BY id",
    );
    expect(audited.rows.map((r) => r.outcome)).toEqual(['subscribed', 'notices_off']);
  });
});

describe('a service turned healthy', () => {
  beforeAll(async () => {
    id = await startAndIncludeAll(world);
    running.releaseId = id;
    rolledBack.releaseId = id;
    await shipConfirmed(world);
    await trackerAtShip(services, id);
    for (let look = 0; look < 100 && (await shipTick(services, id)); look++);
    expect((await world.app.services.releases.get(id))?.status).toBe('shipped');
  }, 120_000);

  it('queued its notices with one job, in the transaction that recorded it done', async () => {
    expect(await world.app.services.jobs.live(QUEUES.notices, running)).toBe(1);
    expect((await rows('running')).every((r) => r.state === 'queued')).toBe(true);
    // A second replica's look at the same moment finds the rows and queues nothing more.
    const snapshot = await world.app.services.releases.snapshot(id);
    if (!snapshot) throw new Error('no release');
    const again = await world.app.services.releases.inTransaction((_store, tx) =>
      queueRunningNotices(services, tx, snapshot, SERVICE),
    );
    expect(again).toBe(0);
    expect(await world.app.services.jobs.live(QUEUES.notices, running)).toBe(1);
  });

  it('sends each once, however many replicas run the job at once', async () => {
    // Whichever finds a row the other is sending leaves it and fails, to be retried (as pg-boss would).
    const both = await Promise.allSettled([sendNotices(services, running), sendNotices(services, running)]);
    const retried = both.some((r) => r.status === 'rejected')
      ? await sendNotices(services, running)
      : undefined;
    expect((await rows('running')).filter((r) => r.state === 'sent')).toHaveLength(
      prNumbers.length + 2 + 2 + 1,
    );
    if (retried) expect(retried.failed).toBe(0);
    for (const n of prNumbers) {
      const [comment, ...more] = commentsOn(n, 'Running in production since');
      expect(more).toEqual([]);
      expect(comment?.body).toContain(`release #${id}, service ${SERVICE}`);
      expect(comment?.body).toContain('(https://acme.slack.com/archives/C0RELEASES/p');
      expect(comment?.body).toContain(`<!-- dpbot-notice release=${id} service=${SERVICE} kind=running -->`);
    }
    for (const key of ['DATA-1000', 'DATA-1001'])
      expect(jiraComments(key, 'Running in production')).toHaveLength(1);
    expect(dms(DM.ada, 'running in production since')).toHaveLength(1);
    expect(dms(DM.linus, 'running in production since')).toHaveLength(1);
    expect(dms(DM.grace, 'running in production')).toHaveLength(0);
    // The subscriber gets the service's notes.
    expect(dms(DM.linus, 'release notes')).toHaveLength(1);
    const settled = await rows('running');
    expect(settled.filter((r) => r.state !== 'sent')).toEqual([
      { target: 'author:grace-h', state: 'skipped', detail: `${GRACE} turned notices off` },
      {
        target: 'author:ken-t',
        state: 'skipped',
        detail: expect.stringContaining('no active directory user'),
      },
    ]);
  });

  it('a run after everything was sent sends nothing', async () => {
    expect(await sendNotices(services, running)).toEqual({ sent: 0, skipped: 0, failed: 0, retrying: 0 });
    for (const n of prNumbers) expect(commentsOn(n, 'Running in production')).toHaveLength(1);
    expect(dms(DM.ada, 'running in production')).toHaveLength(1);
  });

  it('a run after a crash mid-send finds the comment posted, and posts the one that was not', async () => {
    const [posted, lost] = prNumbers;
    const targets = [`github:${REPO}#${posted}`, `github:${REPO}#${lost}`];
    // Claimed a moment ago: another worker's, left alone (the job fails, to be retried later).
    await database.query(
      "UPDATE release_notices SET state = 'sending', claimed_at = now() WHERE kind = 'running' AND target = ANY($1)",
      [targets],
    );
    await expect(sendNotices(services, running)).rejects.toThrow(/2 being sent by another worker/);
    // Claimed long ago: left by a worker that died. The second one's comment never reached GitHub.
    await database.query(
      "UPDATE release_notices SET claimed_at = now() - interval '10 minutes' WHERE kind = 'running' AND target = ANY($1)",
      [targets],
    );
    const repo = world.github.repository(REPO);
    repo.issueComments = (repo.issueComments ?? []).filter((c) => c.issue !== lost);
    const counts = await sendNotices(services, running);
    expect(counts).toEqual({ sent: 2, skipped: 0, failed: 0, retrying: 0 });
    expect(commentsOn(posted ?? 0, 'Running in production')).toHaveLength(1);
    expect(commentsOn(lost ?? 0, 'Running in production')).toHaveLength(1);
  });
});

describe('a notice whose job gave up', () => {
  it('is given a new job by the sweep, once, and sent by it', async () => {
    // As if its job had spent its retries long ago: queued, with no job waiting or running.
    await database.query(
      "INSERT INTO release_notices (release_id, service, kind, target, created_at) VALUES ($1, $2, 'running', 'subscriber:ada@example.com', now() - interval '1 hour')",
      [id, SERVICE],
    );
    expect(await world.app.services.jobs.live(QUEUES.notices, running)).toBe(1);
    await database.query('DELETE FROM pgboss.job WHERE name = $1', [QUEUES.notices]);
    expect(await sweepNotices(services)).toEqual([running]);
    expect(await sweepNotices(services)).toEqual([]);
    expect(await world.app.services.jobs.live(QUEUES.notices, running)).toBe(1);
    expect(await sendNotices(services, running)).toMatchObject({ sent: 1 });
    expect(dms(DM.ada, 'release notes')).toHaveLength(1);
    expect(await sweepNotices(services)).toEqual([]);
  });
});

describe('the service rolled back', () => {
  beforeAll(async () => {
    const asked = await world.run(`release rollback ${SERVICE} --release ${id}`);
    expect(asked.confirm).toBeDefined();
    expect(await world.confirm(asked.confirm ?? '')).toBe('ok');
    const key = `release:${id}:${SERVICE}`;
    for (let look = 0; look < 100 && (await rollbackTick(services, key)); look++);
  }, 60_000);

  it('says so once on the same pull requests, issues and people', async () => {
    expect(await world.app.services.jobs.live(QUEUES.notices, rolledBack)).toBe(1);
    // Two at once (one may find the other's rows in flight and fail, to be retried), then again.
    await Promise.allSettled([sendNotices(services, rolledBack), sendNotices(services, rolledBack)]);
    await sendNotices(services, rolledBack);
    for (const n of prNumbers) {
      expect(commentsOn(n, 'Rolled back at')).toHaveLength(1);
      expect(commentsOn(n, 'Running in production')).toHaveLength(1);
    }
    for (const key of ['DATA-1000', 'DATA-1001']) expect(jiraComments(key, 'Rolled back at')).toHaveLength(1);
    expect(dms(DM.ada, 'were rolled back')).toHaveLength(1);
    expect(dms(DM.linus, 'were rolled back')).toHaveLength(1);
    expect(dms(DM.linus, `unsubscribe ${SERVICE}`)).toHaveLength(1);
    expect(world.slack.messagesIn(DM.grace)).toEqual([]);
    // Only the targets told it runs are told it is rolled back.
    expect((await rows('rolled_back')).map((r) => r.target)).not.toContain('author:grace-h');
    expect(world.slack.refused).toEqual([]);
  });
});
