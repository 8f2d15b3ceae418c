import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SandboxApp, startSandboxApp } from '../support/sandboxApp.ts';
import { SandboxSession } from '../support/sandboxSession.ts';

// Issue 28, item 12: help at 3 a.m. What a tired on-call engineer mistypes is answered with what
// to type instead, not with a puzzle: a reason left unquoted, a misspelt option, a negative count,
// a service name half remembered.

let running: SandboxApp;

beforeAll(async () => {
  running = await startSandboxApp();
}, 60_000);
afterAll(async () => {
  await running?.close();
});

describe('mistakes at 3 a.m.', () => {
  it.each([
    [
      'scale team-x 8 --reason backfill lag',
      'unexpected argument "lag": a value with spaces must be quoted, as in --reason "backfill lag"',
    ],
    [
      'release skip ingest --reason not this week',
      'unexpected argument "this": a value with spaces must be quoted, as in --reason "not this week"',
    ],
    [
      'scale team-x 8 reason=backfill lag',
      'unexpected argument "lag": a value with spaces must be quoted, as in reason="backfill lag"',
    ],
    ['scale team-x 8 --reasn "backfill lag"', 'unknown option --reasn'],
    ['scale team-x 8 --reasn "backfill lag"', 'did you mean --reason?'],
    ['scale team-x -1', 'replicas: expected a whole number, 0 or more'],
    ['release notes 1 service=orders', 'there is no service "orders"; did you mean "orders-api"?'],
  ])('"%s" is answered: %s', async (text, says) => {
    const session = new SandboxSession(running.app, 'grace@example.com');
    const typed = await session.type(text);
    expect(typed.outcome).toBe('invalid');
    expect(typed.printed).toContain(says);
    expect(typed.printed).toContain('Usage: ');
  });

  it('release notes of a service the release does not ship say why, not "Nothing was included"', async () => {
    const session = new SandboxSession(running.app, 'ada@example.com');
    expect((await session.type('release start --since 14d')).outcome).toBe('ok');
    expect((await session.type('release skip ingest --reason "not this week"')).outcome).toBe('ok');
    const skipped = await session.type('release notes 1 service=ingest');
    expect(skipped.outcome).toBe('ok');
    expect(skipped.printed).toContain(
      'ingest is not in the notes of release #1: skipped by ada@example.com (not this week)',
    );
    const pending = await session.type('release notes 1 service=catalog');
    expect(pending.printed).toContain(
      'catalog is not in the notes of release #1: its owners have not decided yet',
    );
    expect(pending.printed).not.toContain('Nothing was included');
  });
});
