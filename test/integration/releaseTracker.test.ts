import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIRM_ACTION } from '../../bot/views/common.ts';
import type {
  ReleaseTracker,
  TrackedIssue,
  TrackerVersion,
} from '../../integrations/tracker/releaseTracker.ts';
import { eventually } from '../support/eventually.ts';
import { buttons, press, type ReleaseWorld, run, SINCE, startReleaseWorld } from '../support/release.ts';

/**
 * An in-memory issue tracker that keeps issues and versions as a tracker would, and the order of
 * the calls: it checks how a release uses the ReleaseTracker interface (bulk look-ups, the fix
 * version only for what ships, released only once healthy), not Jira, whose client and simulator
 * are built separately.
 */
class MemoryTracker implements ReleaseTracker {
  readonly name = 'Tracker';
  readonly calls: string[] = [];
  readonly issues = new Map<string, TrackedIssue & { fixVersions: string[] }>();
  readonly versions = new Map<string, TrackerVersion & { released: boolean }>();

  async lookup(keys: readonly string[]): Promise<Map<string, TrackedIssue>> {
    this.calls.push(`lookup ${keys.length}`);
    return new Map(
      keys.flatMap((k) => {
        const issue = this.issues.get(k);
        return issue ? [[k, issue] as const] : [];
      }),
    );
  }

  async ensureVersion(input: { name: string }): Promise<TrackerVersion> {
    this.calls.push(`ensureVersion ${input.name}`);
    const existing = this.versions.get(input.name);
    if (existing) return existing;
    const version = { id: String(this.versions.size + 1), name: input.name, released: false };
    this.versions.set(input.name, version);
    return version;
  }

  async assignVersion(version: TrackerVersion, keys: readonly string[]): Promise<void> {
    this.calls.push(`assignVersion ${keys.length}`);
    for (const k of keys) this.issues.get(k)?.fixVersions.push(version.name);
  }

  async markReleased(version: TrackerVersion): Promise<void> {
    this.calls.push('markReleased');
    const v = this.versions.get(version.name);
    if (v) v.released = true;
  }
}

const tracker = new MemoryTracker();
let world: ReleaseWorld;

beforeAll(async () => {
  world = await startReleaseWorld({ releaseTracker: tracker });
  // The tracker knows the key of the late pull request below, with a summary for stakeholders.
  tracker.issues.set('DATA-900', {
    key: 'DATA-900',
    summary: 'Totals are rounded the way finance expects',
    fixVersions: [],
  });
});
afterAll(async () => {
  await world.close();
});

describe('the issue-tracker steps of a release', () => {
  it('looks keys up in bulk at start, sets the fix version at ship, releases it once healthy, and uses summaries', async () => {
    world.github.merge('acme/orders', {
      number: 600,
      title: 'fix: DATA-900 round totals half up',
      body: '',
      branch: 'fix/rounding',
      author: 'grace-h',
      labels: [],
      files: ['src/totals.ts'],
      mergedAt: new Date(world.github.repository('acme/orders').commits.at(-1)?.date.getTime() ?? 0),
    });
    const started = await run(world, `release start --since ${SINCE}`, 'ada@example.com');
    expect(started.outcome).toBe('ok');
    const keys = await world.database.query<{ n: number }>(
      'SELECT count(DISTINCT k)::int AS n FROM release_prs, unnest(jira_keys) k',
    );
    expect(tracker.calls).toEqual([`lookup ${keys.rows[0]?.n}`]);
    expect(started.texts[0]).toMatch(
      new RegExp(`Tracker: 1 of ${keys.rows[0]?.n} key\\(s\\) found; unknown: `),
    );

    expect((await run(world, 'release include orders-api', 'grace@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release skip catalog', 'linus@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release skip ingest', 'grace@example.com')).outcome).toBe('ok');
    const asked = await run(world, 'release ship', 'ada@example.com');
    const id = buttons(asked.responder.sent[0]?.message.blocks)[0]?.value ?? '';
    expect((await press(world, CONFIRM_ACTION, id, 'ada@example.com')).outcome).toBe('ok');
    const version = `release-${new Date().toISOString().slice(0, 10)}-1`;
    // The fix version goes on the issues of what ships (orders-api), not the skipped services'.
    const ordersKeys = await world.database.query<{ n: number }>(
      "SELECT count(DISTINCT k)::int AS n FROM release_prs, unnest(jira_keys) k WHERE 'orders-api' = ANY(services)",
    );
    expect(tracker.calls.slice(1, 3)).toEqual([
      `ensureVersion ${version}`,
      `assignVersion ${ordersKeys.rows[0]?.n}`,
    ]);
    expect(tracker.issues.get('DATA-900')?.fixVersions).toEqual([version]);
    expect(tracker.versions.get(version)?.released).toBe(false);

    await eventually(
      async () => {
        const r = await world.database.query(
          'SELECT notes_posted_at IS NOT NULL AS told FROM releases WHERE id = 1',
        );
        expect(r.rows[0]).toEqual({ told: true });
      },
      25_000,
      200,
    );
    expect(tracker.versions.get(version)?.released).toBe(true);
    expect(tracker.calls.indexOf('markReleased')).toBeGreaterThan(2);
    const notes = world.notifier.posted.find((p) => p.channel === '#sales-ops')?.message.text ?? '';
    expect(notes).toContain('orders-api: Totals are rounded the way finance expects');
    expect(notes).not.toContain('Round totals half up');
  });
});
