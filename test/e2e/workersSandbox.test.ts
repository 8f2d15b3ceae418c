import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath, parseYaml } from '../../app/config/loadConfig.ts';
import { projectRoot } from '../../core/paths.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createFixture, type Fixture, standardPolicies } from '../support/fixture.ts';

let fixture: Fixture;
let database: TestDatabase;

beforeAll(async () => {
  // The example configuration's teams and Kubernetes settings, with the sandbox on: what
  // `npm start` gives a newcomer.
  const example = parseYaml(readFileSync(exampleConfigPath(), 'utf8'), 'example') as {
    teams: unknown;
    kubernetes: unknown;
  };
  fixture = createFixture({
    config: { sandbox: true, teams: example.teams, kubernetes: example.kubernetes },
    policies: {
      'platform.yaml': standardPolicies,
      'workers.yaml': readFileSync(join(projectRoot(), 'policies', 'workers.yaml'), 'utf8'),
    },
  });
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
  fixture.remove();
});

describe('the sandbox cluster in the console', () => {
  it("lets team-x's on-call scale team-x and see it, and refuses what the grant does not cover", async () => {
    const script = [
      'scale team-x 8 --reason "backfill lag"',
      'workers team-x',
      'scale team-x 17',
      'scale team-y 5',
    ].join('\n');
    const result = await runCli(['console', '--config', fixture.configPath, '--as', 'grace@example.com'], {
      // Times in the machine's time zone, said once: India is 5:30 ahead of UTC all year.
      env: { DATABASE_URL: database.url, TZ: 'Asia/Kolkata' },
      input: script,
    });
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out.match(/Times are shown in Asia\/Kolkata\./g)).toHaveLength(1);
    expect(out).toMatch(/Last change: 4 → 8 by .* at \d{4}-\d{2}-\d{2} \d{2}:\d{2} — "backfill lag"/);
    expect(out).not.toMatch(/\d{2}:\d{2} UTC/);
    expect(out).toContain('[to the channel] Grace Hopper scaled team-x/workers 4 → 8');
    expect(out).toContain('Why: backfill lag');
    expect(out).toMatch(/workers: 8 desired, \d\/8 ready — Deployment team-x\/ingest-workers on sandbox/);
    expect(out).toContain('Last change: 4 → 8 by Grace Hopper at');
    expect(out).toContain('limit exceeded: maxReplicas is 16 and this asks for 17');
    expect(out).toContain('no grant gives workers.scale on team:team-y');
    const rows = await database.query<{
      command: string;
      kind: string;
      outcome: string | null;
      decision: string | null;
    }>(
      "SELECT command, kind, outcome, decision FROM audit_log WHERE email = 'grace@example.com' AND command = 'scale' ORDER BY id",
    );
    expect(rows.rows).toEqual([
      { command: 'scale', kind: 'attempt', outcome: null, decision: 'allow' },
      { command: 'scale', kind: 'step', outcome: 'scaled', decision: null },
      { command: 'scale', kind: 'outcome', outcome: 'ok', decision: 'allow' },
      { command: 'scale', kind: 'attempt', outcome: null, decision: 'deny' },
      { command: 'scale', kind: 'attempt', outcome: null, decision: 'deny' },
    ]);
  });
});
