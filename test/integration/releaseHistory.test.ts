import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseDeps } from '../../app/wiring/release.ts';
import { releaseJobs } from '../../handlers/release/jobs.ts';
import { CANCEL_ACTION, CONFIRM_ACTION } from '../../pipeline/views/common.ts';
import { startTestApp } from '../support/app.ts';
import { eventually } from '../support/eventually.ts';
import {
  buttons,
  press,
  RELEASE_ENV,
  type ReleaseWorld,
  run,
  SINCE,
  startReleaseWorld,
} from '../support/release.ts';

// Issue 29, item 1: one release history. What runs is what Argo CD's history says; every
// rollback question names each revision's story and warns before deploying a rolled-back build
// again; `release status` and the next `release start` agree with what runs — through a release
// rollback, a rollback outside the release that deploys the build again, a second release
// rollback, and a sync made directly in Argo CD, with dpbot restarted between every two steps
// (its state from PostgreSQL and Argo CD, none from memory). The README's "One release history"
// table states these rows.

let world: ReleaseWorld;
/** What release #1 ships to orders-api, and what ran before it. */
let shipped = '';
let before = '';
const short = (sha: string) => sha.slice(0, 7);

beforeAll(async () => {
  world = await startReleaseWorld();
  before = world.argocd.app('orders-api').syncedRevision;
  shipped = world.github.repository('acme/orders').commits.at(-1)?.oid ?? '';
});
afterAll(async () => {
  await world.close();
});

/** dpbot stops and starts again on the same database, in front of the same Argo CD. */
async function restart(): Promise<void> {
  await world.app.close();
  world.app = await startTestApp(world.fixture, world.database, {
    env: RELEASE_ENV,
    notifier: world.notifier,
  });
  await releaseJobs(releaseDeps(world.app.services), world.app.pipeline);
}

/** Asks, then answers the question: Confirm or Cancel. */
async function ask(text: string, email: string, answer: 'Confirm' | 'Cancel') {
  const asked = await run(world, text, email);
  expect(asked.outcome, asked.texts.join('\n')).toBe('awaiting_confirmation');
  const question = [asked.texts[0], JSON.stringify(asked.responder.sent[0]?.message.blocks)].join('\n');
  const id = buttons(asked.responder.sent[0]?.message.blocks as never)[0]?.value ?? '';
  const done = await press(world, answer === 'Confirm' ? CONFIRM_ACTION : CANCEL_ACTION, id, email);
  return { question, done };
}

async function appStatusIs(status: string): Promise<void> {
  await eventually(
    async () => {
      const r = await world.database.query(
        "SELECT status FROM release_apps WHERE release_id = 1 AND application = 'orders-api'",
      );
      expect(r.rows[0]).toEqual({ status });
    },
    15_000,
    200,
  );
}

const runs = () => world.argocd.app('orders-api').history.at(-1)?.revision ?? '';

/** Reads the application (as Argo CD's UI would) until no operation runs: an outside sync ends. */
async function settle(): Promise<void> {
  await eventually(
    async () => {
      const answer = await fetch(`${world.argocd.url}/api/v1/applications/orders-api`, {
        headers: { authorization: `Bearer ${RELEASE_ENV.ARGOCD_TOKEN}` },
      });
      const app = (await answer.json()) as { status: { health: { status: string } }; operation?: unknown };
      expect(app.operation).toBeUndefined();
      expect(world.argocd.app('orders-api').operation).toBeNull();
      expect(app.status.health.status).toBe('Healthy');
    },
    10_000,
    50,
  );
}

/** What `release status 1`, `rollback orders-api` (asked, then cancelled) and the next `release start` say. */
async function observe() {
  const status = await run(world, 'release status 1', 'linus@example.com');
  expect(status.outcome).toBe('ok');
  const rollback = await ask('rollback orders-api', 'grace@example.com', 'Cancel');
  const started = await run(world, `release start --since ${SINCE}`, 'ada@example.com');
  expect(started.outcome, started.texts.join('\n')).toBe('ok');
  const start = started.texts[0]?.split('\n').find((l) => l.startsWith('• orders-api:')) ?? '';
  expect((await ask('release cancel', 'ada@example.com', 'Confirm')).done.outcome).toBe('ok');
  return { status: status.texts[0] ?? '', rollback: rollback.question, start };
}

describe('one release history, across rollbacks, a deployment outside dpbot and restarts', () => {
  it('ship: orders-api runs what release #1 shipped', async () => {
    expect((await run(world, `release start --since ${SINCE}`, 'ada@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release include orders-api', 'grace@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release skip catalog', 'ada@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release skip ingest', 'ada@example.com')).outcome).toBe('ok');
    expect((await ask('release ship', 'ada@example.com', 'Confirm')).done.outcome).toBe('ok');
    await eventually(
      async () => {
        const r = await world.database.query('SELECT status FROM releases WHERE id = 1');
        expect(r.rows[0]).toEqual({ status: 'shipped' });
      },
      25_000,
      200,
    );
    await restart();
    expect(runs()).toBe(shipped);
    const seen = await observe();
    expect(seen.status).toContain(`orders-api runs ${short(shipped)} (shipped by release #1 at`);
    expect(seen.rollback).toContain(`Roll back orders-api: orders-api ${short(shipped)} → ${short(before)}`);
    expect(seen.rollback).not.toContain('⚠️');
    expect(seen.start).toBe(
      `• orders-api: 0 pull request(s) since release #1 (${short(shipped)}) → ${short(shipped)}`,
    );
  });

  it('release rollback: back on what ran before; the rolled-back build is named and warned of; its pull requests come back', async () => {
    await restart();
    const { question, done } = await ask('release rollback orders-api', 'ada@example.com', 'Confirm');
    expect(question).toContain(`orders-api runs ${short(shipped)} (shipped by release #1 at`);
    expect(done.outcome).toBe('ok');
    await restart();
    await appStatusIs('rolled_back');
    expect(runs()).toBe(before);
    const seen = await observe();
    expect(seen.status).toMatch(/orders-api: rolled back/);
    expect(seen.status).toContain(`orders-api runs ${short(before)} (`);
    expect(seen.status).toContain("deployed again by Ada Lovelace's rollback at");
    // Offered back, with its story and a warning.
    expect(seen.rollback).toContain(`orders-api ${short(before)} → ${short(shipped)}`);
    expect(seen.rollback).toContain(`It goes back to ${short(shipped)} (shipped by release #1 at`);
    expect(seen.rollback).toContain(`rolled back by Ada Lovelace at`);
    expect(seen.rollback).toContain(`⚠️ ${short(shipped)} (release #1) was rolled back by Ada Lovelace at`);
    expect(seen.start).toContain(
      `• orders-api: 6 pull request(s) since ${short(before)}, which orders-api runs (`,
    );
    // The next release, with nothing merged since, would ship the very build rolled back: its
    // question says so before anything is deployed.
    expect((await run(world, `release start --since ${SINCE}`, 'ada@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release include orders-api', 'grace@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release skip catalog', 'ada@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release skip ingest', 'ada@example.com')).outcome).toBe('ok');
    const ship = await ask('release ship', 'ada@example.com', 'Cancel');
    expect(ship.question).toContain(
      `orders-api: ⚠️ ${short(shipped)} (release #1) was rolled back by Ada Lovelace at`,
    );
    expect((await ask('release cancel', 'ada@example.com', 'Confirm')).done.outcome).toBe('ok');
    // Once: a second release rollback is told who did it.
    const again = await run(world, 'release rollback orders-api', 'ada@example.com');
    expect(again.outcome).toBe('conflict');
    expect(again.texts[0]).toContain('orders-api was already rolled back by ada@example.com at');
  });

  it('rollback outside the release deploys the build again: status, questions and the next start say so', async () => {
    await restart();
    const { done } = await ask('rollback orders-api', 'grace@example.com', 'Confirm');
    expect(done.outcome).toBe('ok');
    await restart();
    await appStatusIs('healthy');
    expect(runs()).toBe(shipped);
    const seen = await observe();
    expect(seen.status).toMatch(/orders-api: healthy — running \w{7} again/);
    expect(seen.status).toContain(`orders-api runs ${short(shipped)} (shipped by release #1 at`);
    expect(seen.status).toContain("deployed again by Grace Hopper's rollback at");
    // Back to what ran before: no warning, that build was not rolled back.
    expect(seen.rollback).toContain(`orders-api ${short(shipped)} → ${short(before)}`);
    expect(seen.rollback).not.toContain('⚠️');
    expect(seen.start).toMatch(
      new RegExp(
        `^• orders-api: 0 pull request\\(s\\) since release #1 \\(${short(shipped)}\\), which orders-api runs \\(shipped by release #1 at .*rolled back by Ada Lovelace at .*deployed again by Grace Hopper's rollback at`,
      ),
    );
  });

  it('release rollback again: the release deployed again is rolled back again, once', async () => {
    await restart();
    const { question, done } = await ask('release rollback orders-api', 'ada@example.com', 'Confirm');
    expect(question).toContain(`from ${short(shipped)} to ${short(before)}`);
    expect(done.outcome).toBe('ok');
    await restart();
    await appStatusIs('rolled_back');
    expect(runs()).toBe(before);
    const keys = await world.database.query(
      "SELECT key, status FROM rollbacks WHERE key LIKE 'release:1:orders-api%' ORDER BY created_at",
    );
    expect(keys.rows.map((r) => r.status)).toEqual(['done', 'done']);
    const seen = await observe();
    expect(seen.status).toContain(`orders-api runs ${short(before)} (`);
    expect(seen.rollback).toContain(`⚠️ ${short(shipped)} (release #1) was rolled back by Ada Lovelace at`);
    expect(seen.start).toContain(
      `• orders-api: 6 pull request(s) since ${short(before)}, which orders-api runs (`,
    );
  });

  it('a sync made directly in Argo CD deploys the build again: dpbot reads it from Argo CD', async () => {
    await restart();
    world.argocd.startForeignSync('orders-api', shipped, 'alice');
    await settle();
    await restart();
    expect(runs()).toBe(shipped);
    const seen = await observe();
    // The stored row says rolled back; what runs says otherwise, and status follows what runs.
    expect(seen.status).toMatch(/orders-api: healthy — running \w{7} again/);
    expect(seen.status).toMatch(
      new RegExp(
        `orders-api runs ${short(shipped)} \\(.*deployed again by alice in Argo CD \\(history \\d+\\) at`,
      ),
    );
    expect(seen.rollback).toContain(`orders-api ${short(shipped)} → ${short(before)}`);
    expect(seen.start).toMatch(
      new RegExp(
        `^• orders-api: 0 pull request\\(s\\) since release #1 \\(${short(shipped)}\\), which orders-api runs \\(.*deployed again by alice in Argo CD`,
      ),
    );
  });
});
