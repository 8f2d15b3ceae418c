import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES } from '../../handlers/release/queues.ts';
import { RUN_ACTION } from '../../pipeline/views/common.ts';
import { eventually } from '../support/eventually.ts';
import { buttons, press, type ReleaseWorld, run, SINCE, startReleaseWorld } from '../support/release.ts';

let world: ReleaseWorld;

beforeAll(async () => {
  world = await startReleaseWorld({
    config: { reminderInterval: '1s', schedule: { cron: '0 10 * * 3', timezone: 'Europe/Berlin' } },
  });
});
afterAll(async () => {
  await world.close();
});

describe('release schedule and reminders', () => {
  it('registers the weekly schedule once, in its time zone, and posts a reminder with a Start button', async () => {
    const schedule = await world.database.query(
      'SELECT name, cron, timezone FROM pgboss.schedule WHERE name = $1',
      [QUEUES.weekly],
    );
    expect(schedule.rows).toEqual([
      { name: 'release.weekly', cron: '0 10 * * 3', timezone: 'Europe/Berlin' },
    ]);

    // What the schedule sends on Wednesday at 10:00, sent now.
    await world.app.services.jobs.send(QUEUES.weekly, {});
    const reminder = await eventually(() => {
      const post = world.notifier.posted.find(
        (p) => p.channel === '#releases' && p.message.text.startsWith('It is release time'),
      );
      expect(post).toBeDefined();
      return post;
    });
    const start = buttons(reminder?.message.blocks).find((b) => b.label === 'Start the release');
    expect(start).toEqual({ label: 'Start the release', actionId: RUN_ACTION, value: 'release start' });
    await eventually(async () => {
      const events = await world.database.query(
        "SELECT outcome, detail FROM audit_log WHERE outcome = 'weekly_reminder_posted'",
      );
      expect(events.rows).toEqual([
        { outcome: 'weekly_reminder_posted', detail: { channel: '#releases', activeRelease: null } },
      ]);
    });

    // The button runs "release start" through the pipeline as the person who clicks it.
    const denied = await press(world, RUN_ACTION, start?.value ?? '', 'linus@example.com');
    expect(denied.outcome).toBe('denied');
    const pressed = await press(world, RUN_ACTION, start?.value ?? '', 'ada@example.com');
    expect(pressed.outcome).toBe('rejected');
    expect(pressed.texts[0]).toContain('pass --since');
  });

  it('a GitHub failure fails the start cleanly: told, audited, nothing half-created', async () => {
    world.github.inject({
      path: /^\/graphql$/,
      status: 403,
      body: { message: 'Resource not accessible by integration' },
      times: 2,
    });
    const r = await run(world, `release start --since ${SINCE}`, 'ada@example.com');
    expect(r.outcome).toBe('error');
    expect(r.texts[0]).toMatch(
      /^Failed: GitHub: reading pull requests merged into acme\/\w+@main: HTTP 403, Resource not accessible by integration/,
    );
    expect(r.rows.at(-1)).toMatchObject({ kind: 'outcome', outcome: 'error', action: 'release.start' });
    expect((await world.database.query('SELECT count(*)::int AS n FROM releases')).rows).toEqual([{ n: 0 }]);
    world.github.clearFaults();
  });

  it('reminds the owners who have not decided, in their thread and directly, until they do', async () => {
    expect((await run(world, `release start --since ${SINCE}`, 'ada@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release include orders-api', 'grace@example.com')).outcome).toBe('ok');
    await eventually(
      async () => {
        const r = await world.database.query<{ service: string; reminders: number }>(
          'SELECT service, reminders FROM confirmations WHERE release_id = 1 ORDER BY service',
        );
        expect(r.rows.find((x) => x.service === 'catalog')?.reminders).toBeGreaterThan(0);
        expect(r.rows.find((x) => x.service === 'ingest')?.reminders).toBeGreaterThan(0);
        expect(r.rows.find((x) => x.service === 'orders-api')?.reminders).toBe(0);
      },
      15_000,
      200,
    );
    const to = new Set(world.notifier.directs.map((d) => d.email));
    // catalog's owner is a Slack id (linus); ingest's a directory group (grace).
    expect([...to].sort()).toEqual(['grace@example.com', 'linus@example.com']);
    expect(world.notifier.directs.find((d) => d.email === 'linus@example.com')?.message.text).toContain(
      'release #1 waits for your decision on catalog',
    );
    const threadReminder = world.notifier.posted.find(
      (p) => p.threadTs && p.message.text === 'Still waiting for a decision on catalog.',
    );
    expect(buttons(threadReminder?.message.blocks).map((b) => b.value)).toEqual([
      'release include catalog --release 1',
      'release skip catalog --release 1',
    ]);
    const audited = await world.database.query(
      "SELECT resource FROM audit_log WHERE outcome = 'owners_reminded'",
    );
    expect(audited.rows.map((r) => r.resource)).toEqual(
      expect.arrayContaining(['service:catalog', 'service:ingest']),
    );
  });
});
