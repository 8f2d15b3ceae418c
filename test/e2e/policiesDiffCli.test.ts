import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createFixture, type Fixture, standardPolicies } from '../support/fixture.ts';

let fixture: Fixture;
let database: TestDatabase;
let env: Record<string, string>;
let proposed: string;

/** A pull request's policies: engineering no longer reads access; team X's on-call scales team X. */
const changedPolicies = {
  grants: [
    { group: 'file:data-platform', actions: ['*'] },
    { group: 'file:team-x-oncall', actions: ['workers.scale'], resources: ['team:team-x'] },
  ],
};

beforeAll(async () => {
  fixture = createFixture({
    config: {
      access: { adminContact: '#data-platform', removalGuard: { maxRemovalShare: 0.2, removalAllowance: 0 } },
    },
  });
  database = await createTestDatabase();
  env = { DATABASE_URL: database.url };
  proposed = mkdtempSync(join(tmpdir(), 'dpbot-policies-'));
  writeFileSync(join(proposed, 'platform.yaml'), stringify(changedPolicies));
  // The running grants: the fixture's policies, applied (with the directory file synced) at start.
  const applied = await runCli(['policies', 'apply', '--config', fixture.configPath], { env });
  expect(applied.code).toBe(0);
});
afterAll(async () => {
  await database.drop();
  fixture.remove();
  rmSync(proposed, { recursive: true, force: true });
});

describe('dpbot policies diff', () => {
  it('says there is no change when the configured folder is what runs, and exits 0 with --exit-code', async () => {
    const r = await runCli(['policies', 'diff', '--exit-code', '--config', fixture.configPath], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No change: the running grants are what these files say.');
  });

  it('shows who gains and who loses which action, through which group, and exits 1 with --exit-code', async () => {
    const r = await runCli(['policies', 'diff', proposed, '--exit-code', '--config', fixture.configPath], {
      env,
    });
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        '1 policy file(s), 2 grant(s), against the running grants',
        'permissions: 1 person gains 1, 3 people lose 3 (of 4); 2 group-level change(s)',
        '- ada@example.com loses access.read on * (via file:engineering)',
        '+ grace@example.com gains workers.scale on team:team-x (via file:team-x-oncall)',
        '- grace@example.com loses access.read on * (via file:engineering)',
        '- linus@example.com loses access.read on * (via file:engineering)',
        '- group file:engineering loses access.read on *',
        '+ group file:team-x-oncall gains workers.scale on team:team-x',
      ]),
    );
    // Olive is inactive: a grant to her group gives her nothing.
    expect(r.stdout).not.toContain('olive@example.com');
    expect(r.stdout).toContain("Applying this would be held for an admin's approval");
    // Without --exit-code a change is not a failure.
    const plain = await runCli(['policies', 'diff', proposed, '--config', fixture.configPath], { env });
    expect(plain.code).toBe(0);
    // Nothing was applied by looking.
    const grants = await database.query('SELECT count(*)::int AS n FROM group_grants');
    expect(grants.rows[0]?.n).toBe(standardPolicies.grants.length);
  });

  it('refuses to compare files with errors, naming them, with exit code 2', async () => {
    const broken = join(proposed, 'broken.yaml');
    writeFileSync(
      broken,
      stringify({ grants: [{ group: 'file:engineering', actions: ['no.such-action'] }] }),
    );
    try {
      const r = await runCli(['policies', 'diff', broken, '--config', fixture.configPath], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('unknown action "no.such-action"');
    } finally {
      rmSync(broken);
    }
  });
});

describe('dpbot policies apply', () => {
  it('holds a reload that takes away too much, applies nothing, and applies it with --force', async () => {
    fixture.write('policies/platform.yaml', changedPolicies);
    const held = await runCli(['policies', 'apply', '--config', fixture.configPath], { env });
    expect(held.code).toBe(1);
    expect(held.stdout).toContain("Held for an admin's approval");
    expect(held.stdout).toContain('it would take away 3 of 4 permissions (75 %), more than the 20 % allowed');
    const before = await database.query(
      "SELECT count(*)::int AS n FROM group_grants WHERE group_name = 'file:engineering'",
    );
    expect(before.rows[0]?.n).toBe(1);
    const holds = await database.query("SELECT target, status FROM access_holds WHERE target = 'policies'");
    expect(holds.rows).toEqual([{ target: 'policies', status: 'pending' }]);

    const forced = await runCli(['policies', 'apply', '--force', '--config', fixture.configPath], { env });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('Applied 2 grant(s).');
    const after = await database.query('SELECT group_name FROM group_grants ORDER BY group_name');
    expect(after.rows).toEqual([{ group_name: 'file:data-platform' }, { group_name: 'file:team-x-oncall' }]);
    const closed = await database.query("SELECT status FROM access_holds WHERE target = 'policies'");
    expect(closed.rows).toEqual([{ status: 'superseded' }]);
    const audit = await database.query(
      "SELECT outcome, detail->>'forced' AS forced FROM audit_log WHERE command = 'policies.reload' ORDER BY id",
    );
    expect(audit.rows.at(-1)).toEqual({ outcome: 'ok', forced: 'true' });
    expect(audit.rows.map((r) => r.outcome)).toContain('held');
  });
});
