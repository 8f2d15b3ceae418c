import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliHere } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';

let fixture: Fixture;
let database: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  fixture = createFixture();
  database = await createTestDatabase();
  env = { DATABASE_URL: database.url };
});
afterAll(async () => {
  await database.drop();
  fixture.remove();
});

describe('dpbot console, scripted through standard input', () => {
  it('runs help, whoami, a denied and an allowed command, answering each and auditing each', async () => {
    const script = [
      'help',
      'whoami',
      '.as',
      '.as linux',
      '.as nobody@example.com',
      '.as linus@example.com',
      'audit',
      'who-can audit.read',
      'exit',
      'help',
    ].join('\n');
    const result = await runCli(['console', '--config', fixture.configPath, '--as', 'ada@example.com'], {
      env,
      input: script,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toContain('== dpbot commands you may run ==');
    expect(out).toContain('You are Ada Lovelace (ada@example.com).');
    expect(out).toContain(
      'Usage: .as <email>, for example .as ada@example.com. Still acting as ada@example.com.',
    );
    // A word is a name the directory may know (issue 28: `.as grace` resolves like `audit grace`).
    expect(out).toContain(
      'No one in the directory is called "linux": give their e-mail, as in .as ada@example.com. Still acting as ada@example.com.',
    );
    expect(out).toContain(
      'No one in the directory has the e-mail nobody@example.com: check the address, or run "access status" to see the directory sources. Still acting as ada@example.com.',
    );
    expect(out).toContain('Acting as linus@example.com.');
    expect(out).toContain(
      'Not allowed: audit needs the audit.read action on audit:log, and no grant gives audit.read on audit:log. Ask #data-platform for access.',
    );
    expect(out).toContain('Who may audit.read');
    expect(out).toContain('group file:data-platform (1 member: ada@example.com)');
    // "exit" ends the session: the help after it never runs.
    expect(out.match(/== dpbot commands you may run ==/g)).toHaveLength(1);

    const rows = await database.query<{
      email: string;
      command: string;
      kind: string;
      decision: string | null;
      outcome: string | null;
    }>("SELECT email, command, kind, decision, outcome FROM audit_log WHERE entry = 'console' ORDER BY id");
    expect(rows.rows).toEqual([
      { email: 'ada@example.com', command: 'help', kind: 'attempt', decision: 'allow', outcome: null },
      { email: 'ada@example.com', command: 'help', kind: 'outcome', decision: 'allow', outcome: 'ok' },
      { email: 'ada@example.com', command: 'whoami', kind: 'attempt', decision: 'allow', outcome: null },
      { email: 'ada@example.com', command: 'whoami', kind: 'outcome', decision: 'allow', outcome: 'ok' },
      { email: 'linus@example.com', command: 'audit', kind: 'attempt', decision: 'deny', outcome: null },
      { email: 'linus@example.com', command: 'who-can', kind: 'attempt', decision: 'allow', outcome: null },
      { email: 'linus@example.com', command: 'who-can', kind: 'outcome', decision: 'allow', outcome: 'ok' },
    ]);
  });

  it('.as takes a name the directory knows, as audit does', async () => {
    const script = ['.as grace', 'whoami', '.as LINUS', 'whoami', '.as torvalds'].join('\n');
    const result = await runCli(['console', '--config', fixture.configPath, '--as', 'ada@example.com'], {
      env,
      input: script,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Acting as grace@example.com.');
    expect(result.stdout).toContain('You are Grace Hopper (grace@example.com).');
    expect(result.stdout).toContain('Acting as linus@example.com.');
    expect(result.stdout).toContain('You are Linus Torvalds (linus@example.com).');
    expect(result.stdout).toContain(
      'No one in the directory is called "torvalds": give their e-mail, as in .as ada@example.com. Still acting as linus@example.com.',
    );
  });

  it('answers bad input with a clear message and keeps going', async () => {
    const script = ['scael team-x', 'audit "unterminated', 'whoami'].join('\n');
    const result = await runCli(['console', '--config', fixture.configPath], { env, input: script });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Not run: unknown command "scael"');
    expect(result.stdout).toContain('Not run: the quote at position 7 is not closed');
    expect(result.stdout).toContain('You are Ada Lovelace');
  });

  it('verifies and exports the audit log from the command line', async () => {
    // Rows of its own to verify and export: three commands, an attempt and an outcome each.
    const session = await runCli(['console', '--config', fixture.configPath], {
      env,
      input: ['help', 'whoami', 'help'].join('\n'),
    });
    expect(session.code).toBe(0);
    const verify = await runCliHere(['audit', 'verify', '--config', fixture.configPath], { env });
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^Audit log intact: \d+ row\(s\), every link recomputed and verified\.$/m);

    const jsonl = await runCliHere(['audit', 'export', '--since', '1d', '--config', fixture.configPath], {
      env,
    });
    expect(jsonl.code).toBe(0);
    const lines = jsonl.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: number; hash: string });
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.map((l) => l.id)).toEqual([...lines.map((l) => l.id)].sort((a, b) => a - b));

    const csv = await runCliHere(
      ['audit', 'export', '--since', '2000-01-01', '--format', 'csv', '--config', fixture.configPath],
      { env },
    );
    expect(csv.stdout.split('\n')[0]).toMatch(/^id,at,requestId,kind,entry,/);

    await database.query(
      "BEGIN; ALTER TABLE audit_log DISABLE TRIGGER USER; UPDATE audit_log SET email = 'mallory@example.com' WHERE id = 5; ALTER TABLE audit_log ENABLE TRIGGER USER; COMMIT",
    );
    const broken = await runCliHere(['audit', 'verify', '--config', fixture.configPath], { env });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('Audit log BROKEN at row 5: row 5 was changed after it was written');
  });
  it('shows people by name, dpbot by its work, states in words, and times in the local time zone said once', async () => {
    // A row dpbot wrote itself, with no person: a timed revert that found nothing to do.
    await database.query(
      "INSERT INTO audit_log (request_id, kind, entry, command, action, resource, outcome) VALUES ('revert-1', 'event', 'system', 'scale', 'workers.scale', 'team:team-x', 'revert_skipped')",
    );
    const result = await runCli(['console', '--config', fixture.configPath, '--as', 'ada@example.com'], {
      // India is 5:30 ahead of UTC all year.
      env: { ...env, TZ: 'Asia/Kolkata' },
      input: 'whoami\naudit\n',
    });
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out.match(/Times are shown in Asia\/Kolkata\./g)).toHaveLength(1);
    expect(out).toContain('You are Ada Lovelace (ada@example.com).');
    expect(out).toMatch(
      /\d{4}-\d{2}-\d{2} \d{2}:\d{2} · dpbot, scheduled revert · scale · event revert skipped/,
    );
    expect(out).toContain(' · Ada Lovelace (ada@example.com) · whoami · attempt allow');
    expect(out).not.toMatch(/\d{2}:\d{2} UTC/);
    expect(out).not.toContain(' · ? · ');
    const [row] = (
      await database.query<{ at: Date }>("SELECT at FROM audit_log WHERE request_id = 'revert-1'")
    ).rows;
    const at = row?.at ?? new Date();
    const local = new Date(at.getTime() + 330 * 60_000).toISOString().slice(0, 16).replace('T', ' ');
    expect(out).toContain(`${local} · dpbot, scheduled revert`);
  });
});

// The checks below run dpbot's entry point in this process: the console tests above spawn it.
describe('dpbot checks', () => {
  it('config check prints every problem with its path and exits non-zero', async () => {
    const bad = fixture.write('bad.yaml', {
      server: { port: -1 },
      team: [],
      confirmations: { ttl: 'never' },
    });
    const result = await runCliHere(['config', 'check', '--config', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('server.port: expected an integer from 0 to 65535');
    expect(result.stderr).toContain("unknown key 'team'");
    expect(result.stderr).toContain('confirmations.ttl: expected a duration');
    const good = await runCliHere(['config', 'check', '--config', fixture.configPath]);
    expect(good.code).toBe(0);
    expect(good.stdout).toBe(`${fixture.configPath}: OK\n`);
  });

  it('policies check reports errors and warnings and exits non-zero on errors', async () => {
    const other = createFixture({
      policies: {
        'x.yaml': {
          grants: [
            { group: 'file:nobody', actions: ['audit.read'] },
            { group: 'file:ops', actions: ['nope.never'] },
          ],
        },
      },
    });
    try {
      const result = await runCliHere(['policies', 'check', '--config', other.configPath], { env });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'error: policies/x.yaml: grants[1].actions[0]: unknown action "nope.never"',
      );
      expect(result.stderr).toContain(
        'warning: policies/x.yaml: grants[0].group: "file:nobody" is not (yet) a known group',
      );
      expect(result.stdout).toContain('1 policy file(s), 1 valid grant(s), 1 error(s), 2 warning(s)');
    } finally {
      other.remove();
    }
  });

  it('sync --dry-run prints the difference without applying it', async () => {
    // The standard directory, applied: what the dry run compares the changed file with.
    expect((await runCliHere(['sync', '--config', fixture.configPath], { env })).code).toBe(0);
    fixture.write('directory.yaml', {
      users: [
        { email: 'ada@example.com', name: 'Ada Lovelace', slackId: 'U0ADA00001' },
        { email: 'new@example.com' },
      ],
      groups: [{ id: 'data-platform', members: ['ada@example.com', 'new@example.com'] }],
    });
    const result = await runCliHere(['sync', '--dry-run', '--config', fixture.configPath], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('file: would change');
    expect(result.stdout).toContain('  + user new@example.com');
    expect(result.stdout).toContain('  - group file:team-x-oncall');
    expect(result.stdout).toContain('  + new@example.com in file:data-platform');
    const users = await database.query("SELECT 1 FROM users WHERE email = 'new@example.com'");
    expect(users.rowCount).toBe(0);
  });
});
