import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import type { Outcome } from '../../pipeline/pipeline.ts';
import { recordingResponder, startTestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';

const RUNS = 5000;
const OUTCOMES: readonly Outcome[] = [
  'ok',
  'invalid',
  'denied',
  'duplicate',
  'awaiting_confirmation',
  'awaiting_approval',
  'rejected',
  'not_found',
  'conflict',
  'error',
];

let fixture: Fixture;
let database: TestDatabase;
let app: App;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  fixture = createFixture();
  database = await createTestDatabase();
  app = await startTestApp(fixture, database);
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await app.close();
  await database.drop();
  fixture.remove();
});

/** Words that exercise the tokenizer and the argument schemas: quotes, escapes, unicode, controls, injections. */
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '"',
    "'",
    '“quoted”',
    '\\',
    '--',
    '--for',
    '--reason=',
    '=',
    'a=b=c',
    '$(rm -rf /)',
    '`id`',
    "'; DROP TABLE audit_log; --",
    '<@U0ADA00001>',
    '&amp;&lt;',
    '\u0000',
    '\u202e',
    '\n',
    '🙂🙂🙂',
    'team:*',
    '*',
    '-1',
    '1e309',
    'NaN',
    '999999999999999999999',
    'x'.repeat(3000),
  ),
  fc
    .tuple(
      fc.constantFrom('user', 'action', 'since', 'limit', 'team', 'status', 'tag', 'q', 'page', 'name'),
      fc.string({ maxLength: 30 }),
    )
    .map(([k, v]) => `${k}=${v}`),
  fc
    .tuple(
      fc.constantFrom('--for', '--reason', '--target', '--revert', '--size', '--dry-run', '--force'),
      fc.string({ maxLength: 20 }),
    )
    .map(([k, v]) => `${k}=${v}`),
);

describe('fuzzing the parser and every command’s arguments through the pipeline', () => {
  it(`answers and audits each of ${RUNS} generated inputs without crashing`, async () => {
    const names = app.services.registry.all().map((c) => c.name);
    const input = fc.record({
      command: fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 12 })),
      words: fc.array(nasty, { maxLength: 6 }),
      joiner: fc.constantFrom(' ', '  ', '\t', ' "', "' "),
      as: fc.constantFrom('ada@example.com', 'linus@example.com', 'nobody@example.com'),
    });
    let count = 0;
    await fc.assert(
      fc.asyncProperty(input, async ({ command, words, joiner, as }) => {
        count++;
        const requestId = crypto.randomUUID();
        const responder = recordingResponder();
        const text = [command, ...words].join(joiner);
        const outcome = await app.pipeline.handleText({
          requestId,
          entry: 'console',
          text,
          caller: { email: as },
          responder,
        });
        expect(OUTCOMES).toContain(outcome);
        expect(responder.sent.length, text).toBeGreaterThan(0);
        const rows = await database.query('SELECT kind FROM audit_log WHERE request_id = $1', [requestId]);
        expect(rows.rowCount, text).toBeGreaterThan(0);
      }),
      { numRuns: RUNS, seed: 20261121 },
    );
    expect(count).toBe(RUNS);
    expect(unhandled).toEqual([]);
    expect((await app.services.audit.verify()).ok).toBe(true);
  }, 300_000);
});
