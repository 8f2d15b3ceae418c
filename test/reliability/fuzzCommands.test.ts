import type { KnownBlock } from '@slack/types';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../app/app.ts';
import { exampleConfigPath, loadConfig } from '../../app/config/loadConfig.ts';
import { type RunningSandbox, startSandbox } from '../../app/sandbox/index.ts';
import type { Command } from '../../pipeline/defineCommand.ts';
import { actionKind } from '../../pipeline/message.ts';
import type { Outcome } from '../../pipeline/pipeline.ts';
import {
  APPROVE_ACTION,
  CANCEL_ACTION,
  CONFIRM_ACTION,
  DENY_ACTION,
  PAGE_ACTION,
  RUN_ACTION,
  VIEW_ACTION,
} from '../../pipeline/views/common.ts';
import { recordingResponder } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

/**
 * The fuzzer of fuzz.test.ts meets a configured dpbot: the example configuration (teams, tasks,
 * datasets, the release) with every integration pointed at the sandbox's simulators, the
 * repository's policies and the sandbox directory — what `npm start` runs. Each input is a command
 * with arguments drawn from what the configuration knows (team names, targets, tasks and their
 * typed parameters, datasets, services, applications, runs) mixed with hostile text, so the
 * commands get past validation and do their real work; some are followed by a press of a button
 * from the reply (Confirm, Cancel, Approve, a Run or View button), as someone. Every request must
 * be answered and audited, and none may end in an error inside dpbot.
 */

const RUNS = 1_000;
// A new command changes the walk; this seed is one whose walk reaches every command's deeper paths.
// FUZZ_SEED=<n> tries another (to find a new one after adding a command, or to walk further).
const SEED = Number(process.env.FUZZ_SEED ?? 14);
const KNOWN: readonly Outcome[] = [
  'ok',
  'invalid',
  'denied',
  'duplicate',
  'awaiting_confirmation',
  'awaiting_approval',
  'approval_recorded',
  'cancelled',
  'expired',
  'rejected',
  'not_found',
  'conflict',
  'error',
];
/** Replies that mean dpbot failed, not the input or a dependency. */
const INTERNAL =
  /something went wrong inside dpbot|dpbot could not handle this request|audit log cannot be written/;
const PEOPLE = [
  'ada@example.com',
  'grace@example.com',
  'linus@example.com',
  'olive@example.com',
  'nobody@example.com',
];

let sandbox: RunningSandbox;
let database: TestDatabase;
let app: App;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  const loaded = loadConfig({ path: exampleConfigPath(), env: {} });
  sandbox = await startSandbox(loaded.config);
  sandbox.config.log.level = 'silent';
  database = await createTestDatabase();
  app = await createApp({
    loaded: { ...loaded, config: sandbox.config },
    env: { ...sandbox.env, DATABASE_URL: database.url },
    log: pino({ level: 'silent' }),
  });
}, 60_000);

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await app?.close();
  await database?.drop();
  await sandbox?.stop();
});

/** Text that breaks things: quotes, escapes, controls, injections, extremes. */
const hostile = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom(
    '"',
    '“quoted”',
    '\\',
    '--',
    '=',
    'a=b=c',
    '$(rm -rf /)',
    '`id`',
    "'; DROP TABLE audit_log; --",
    '{{workflow.name}}',
    '<@U0ADA00001>',
    '\u0000',
    '\u202e',
    '\n',
    '🙂',
    '*',
    '-1',
    '1e309',
    'NaN',
    '999999999999999999999',
    'x'.repeat(400),
  ),
);

/** Plausible values for each argument name, from what the configuration and the sandbox hold. */
function pools(datasets: readonly string[]): Record<string, fc.Arbitrary<string>> {
  const config = app.services.config;
  const teams = config.teams.map((t) => t.name);
  const targets = config.teams.flatMap((t) => t.targets.map((x) => x.name));
  const services = config.release.services.map((s) => s.name);
  const applications = config.release.services.flatMap((s) => s.applications);
  const tasks = config.tasks.map((t) => t.name);
  const commands = app.services.registry.all().map((c) => c.name);
  const ids = fc.constantFrom('1', '2', '3', '0', '42');
  const count = fc.oneof(
    fc.integer({ min: 0, max: 40 }).map(String),
    fc.constantFrom('99999', '8', '12', '17', '19'),
  );
  const duration = fc.constantFrom('5m', '1h', '2h', '1d', '7d', '30d', '90s', 'soon', '2w');
  const since = fc.constantFrom('2026-11-01', '14d', '7d', '1h', 'v1.0', 'main', '2030-01-01', 'deadbeef');
  const email = fc.constantFrom(...PEOPLE, 'ADA@EXAMPLE.COM');
  const action = fc.constantFrom(
    'workers.scale',
    'workers.*',
    'release.rollback',
    'tasks.run',
    'datasets.read',
    'access.read',
    '*',
    'nope.nope',
  );
  return {
    team: fc.constantFrom(...teams, 'team-w'),
    replicas: count,
    target: fc.constantFrom(...targets, 'nope'),
    for: duration,
    reason: fc.constantFrom('backfill lag', 'quarter close', 'a "quoted" reason', 'naïve — “unicode”'),
    task: fc.constantFrom(...tasks, 'ghost', 'echo'),
    run: fc.oneof(ids, fc.constantFrom('backfill-x7k2p', 'none')),
    lines: count,
    name: fc.constantFrom(...datasets.slice(0, 20), 'no.such_dataset', 'orders'),
    words: fc.constantFrom('orders', 'sales', 'failed', 'daily', 'x'),
    status: fc.constantFrom('failed', 'late', 'unknown', 'ok', 'failed,late', 'stale'),
    tag: fc.constantFrom('pii', 'finance', 'gold'),
    q: fc.constantFrom('orders', 'ledger', ''),
    page: fc.constantFrom('1', '2', '30', '0', '-1'),
    topic: fc.constantFrom(...commands, 'scal', 'nothing'),
    source: fc.constantFrom('file', 'google', 'github', 'nope'),
    filters: fc.oneof(email, action, since, fc.constantFrom('backfill', '7d', '20')),
    user: email,
    action,
    resource: fc.constantFrom(
      'team:team-x',
      'task:backfill',
      'dataset:sales.orders_daily',
      'app:orders-api',
      '*',
    ),
    since,
    limit: fc.constantFrom('1', '5', '20', '1000', '0'),
    release: ids,
    id: ids,
    service: fc.constantFrom(...services, 'nothing-here'),
    services: fc.constantFrom(...services, 'all', 'nothing-here'),
    until: fc.constantFrom('2h', '18:00', 'monday 09:00', 'tomorrow 09:00', '2020-01-01T00:00', 'soon'),
    // `changes <team|service>`: either, or neither.
    subject: fc.constantFrom(...teams, ...services, 'team-w'),
    application: fc.constantFrom(...applications, 'ghost-app'),
    app: fc.constantFrom(...applications, 'ghost-app'),
  };
}

/**
 * `task run <task> name=value ...`: a configured task with its own parameters, each value usually
 * of the right type, some left out, some hostile; sometimes a ticket.
 */
function taskRunText(datasets: readonly string[]): fc.Arbitrary<string> {
  const config = app.services.config;
  // Valid values by type (and by name, where a pattern decides), then wrong ones.
  const valid: Record<string, fc.Arbitrary<string>> = {
    string: fc.constantFrom('events', 'orders_daily', 'a note; with $(shell) and "quotes"'),
    partition: fc.constantFrom('2026-11-14', '2026-11-14T06'),
    table: fc.constantFrom('events', 'orders_daily'),
    enum: fc.constantFrom('append', 'overwrite'),
    int: fc.constantFrom('1', '5', '10'),
    bool: fc.constantFrom('true', 'false'),
    date: fc.constantFrom('2026-11-01', '2026-11-07'),
    duration: fc.constantFrom('1d', '30d'),
    dataset: fc.constantFrom(...datasets.slice(0, 10)),
    team: fc.constantFrom(...config.teams.map((t) => t.name)),
  };
  const wrong = fc.constantFrom(
    'other',
    '0',
    '11',
    'many',
    'maybe',
    '2026-02-30',
    'yesterday',
    '400d',
    'Bad Name',
    'team-w',
  );
  const value = (name: string, type: string) =>
    fc.oneof(
      { weight: 12, arbitrary: valid[name] ?? valid[type] ?? hostile },
      { weight: 1, arbitrary: wrong },
      { weight: 1, arbitrary: hostile },
    );
  return fc.constantFrom(...config.tasks, undefined).chain((task) => {
    if (!task) return hostile.map((name) => `task run ${word(name)} x=1`);
    return fc
      .tuple(
        ...task.parameters.map((p) =>
          fc.option(
            value(p.name, p.type).map((v) => `${p.name}=${word(v)}`),
            { freq: 12, nil: undefined },
          ),
        ),
        fc.option(fc.constantFrom('ticket=DP-1', 'ticket=DP-99999', 'ticket=nope', 'unknown=1'), {
          freq: 3,
          nil: undefined,
        }),
      )
      .map((parts) =>
        ['task run', task.name, ...parts.filter((x): x is string => x !== undefined)].join(' '),
      );
  });
}

/**
 * `scale <team> <n> ...`: a configured team, one of its targets (named when it has several),
 * usually a count within its bounds, sometimes --for, --reason, --hpa-min or --revert.
 */
function scaleText(): fc.Arbitrary<string> {
  const teams = app.services.config.teams;
  const often = <T>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: other });
  return fc.constantFrom(...teams).chain((team) =>
    fc
      .record({
        target: often(
          fc.constantFrom(...team.targets.map((t) => t.name)),
          fc.oneof(fc.constantFrom('nope'), hostile),
        ),
        named: fc.boolean(),
        count: often(
          fc.integer({ min: Math.max(1, team.minReplicas), max: team.maxReplicas }).map(String),
          fc.oneof(fc.constantFrom('0', '99999', ''), hostile),
        ),
        for: fc.option(often(fc.constantFrom('5m', '1h', '2h', '1d'), fc.constantFrom('1s', '30d', 'soon')), {
          freq: 3,
          nil: undefined,
        }),
        reason: fc.option(often(fc.constantFrom('backfill lag', 'a "quoted" reason'), hostile), {
          freq: 2,
          nil: undefined,
        }),
        mode: fc.constantFrom('', '', '', '', '', '', '--hpa-min', '--revert'),
      })
      .map((g) =>
        [
          'scale',
          team.name,
          g.mode === '--revert' ? '' : word(g.count),
          team.targets.length > 1 || g.named ? `--target ${word(g.target)}` : '',
          g.mode === '--revert' || g.for === undefined ? '' : `--for ${word(g.for)}`,
          g.reason === undefined ? '' : `--reason ${word(g.reason)}`,
          g.mode,
        ]
          .filter((part) => part !== '')
          .join(' '),
      ),
  );
}

/** Quotes a value when it needs it, the way people type them. */
function word(value: string): string {
  return /[\s"'=]/.test(value) || value === ''
    ? `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
    : value;
}

function commandText(
  command: Command,
  values: Record<string, fc.Arbitrary<string>>,
  datasets: readonly string[],
): fc.Arbitrary<string> {
  if (command.name === 'task run') return taskRunText(datasets);
  // Half the time the command's own generator, half the generic one (wrong shapes too).
  if (command.name === 'scale') return fc.oneof(scaleText(), genericText(command, values));
  return genericText(command, values);
}

function genericText(command: Command, values: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const spec = command.params ?? {};
  const value = (name: string) =>
    fc.oneof({ weight: 8, arbitrary: values[name] ?? hostile }, { weight: 1, arbitrary: hostile });
  /** Each optional part appears now and then: options, one time in three; switches, one in five. */
  const sometimes = (part: fc.Arbitrary<string>, odds = 2) =>
    fc.oneof({ weight: odds, arbitrary: fc.constant('') }, { weight: 1, arbitrary: part });
  const positionals = (spec.positionals ?? []).map((p) => p.replace(/\.\.\.$/, ''));
  const camel = (name: string) => name.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase());
  const keyValues = new Set(Array.isArray(spec.keyValues) ? spec.keyValues : []);
  const flagged = Object.entries(spec.flags ?? {});
  // One form per argument: `--for 2h` or `for=2h`, not both.
  const options = [
    ...flagged.map(([name, type]) =>
      type === 'boolean'
        ? sometimes(fc.constant(`--${name}`), 4)
        : sometimes(
            fc
              .tuple(fc.boolean(), value(camel(name)))
              .map(([asPair, v]) =>
                asPair && keyValues.has(camel(name)) ? `${camel(name)}=${word(v)}` : `--${name} ${word(v)}`,
              ),
          ),
    ),
    ...[...keyValues]
      .filter((name) => !flagged.some(([flag]) => camel(flag) === name))
      .map((name) => sometimes(value(name).map((v) => `${name}=${word(v)}`))),
  ];
  return fc
    .record({
      positional: fc.tuple(...positionals.map(value)),
      // Usually every positional; sometimes fewer (a missing argument) or one too many.
      keep: fc.oneof(
        { weight: 4, arbitrary: fc.constant(positionals.length) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: positionals.length + 1 }) },
      ),
      extra: value('words'),
      options: fc.tuple(...options),
    })
    .map((g) => {
      const given = [...g.positional, g.extra].slice(0, g.keep).map(word);
      return [command.name, ...given, ...g.options.filter((o) => o !== '')].join(' ');
    });
}

interface Button {
  actionId: string;
  value: string;
  blockId: string;
}

function buttonsOf(blocks: readonly KnownBlock[] | undefined): Button[] {
  const out: Button[] = [];
  for (const block of blocks ?? []) {
    if (block.type !== 'actions') continue;
    for (const element of block.elements) {
      if (element.type !== 'button' || !element.action_id) continue;
      out.push({
        // What the Slack surface hands the pipeline: the kind, without the number that keeps
        // action ids unique in a block.
        actionId: actionKind(element.action_id),
        value: element.value ?? '',
        blockId: block.block_id ?? 'actions',
      });
    }
  }
  return out;
}

const CHANGES = new Set([
  'scale',
  'task run',
  'task cancel',
  'access sync',
  'release ship',
  'release cancel',
  'release rollback',
  'rollback',
]);

const PRESSABLE = new Set([
  CONFIRM_ACTION,
  CANCEL_ACTION,
  APPROVE_ACTION,
  DENY_ACTION,
  RUN_ACTION,
  VIEW_ACTION,
  PAGE_ACTION,
]);

describe('fuzzing every command against the configured sandbox', () => {
  it(`answers and audits ${RUNS} generated commands and button presses, with no error inside dpbot`, async () => {
    const datasets = (await app.services.datasets?.names()) ?? [];
    expect(datasets.length).toBeGreaterThan(0);
    // Something to act on: two task runs and an open release whose services are decided.
    for (const text of [
      `task run backfill dataset=${datasets[0]} from=2026-11-01 to=2026-11-07`,
      `task run backfill dataset=${datasets[1]} from=2026-11-02 to=2026-11-03 mode=overwrite`,
      'release start --since 14d',
      'release include orders-api',
      'release include catalog',
      'release skip ingest --reason "not this week"',
    ]) {
      const outcome = await app.pipeline.handleText({
        entry: 'console',
        text,
        caller: { email: 'ada@example.com' },
        channel: 'C0SANDBOX',
        responder: recordingResponder({ channel: 'C0SANDBOX' }),
      });
      expect([text, outcome]).toEqual([text, 'ok']);
    }
    const values = pools(datasets);
    const commands = app.services.registry.all();
    const input = fc.record({
      // Commands that change things (and ask first) come up more often: their paths run deepest.
      text: fc.oneof(
        ...commands.map((c) => ({
          weight: CHANGES.has(c.name) ? 4 : 1,
          arbitrary: commandText(c, values, datasets),
        })),
      ),
      // Mostly people the directory knows, with the rights of an admin, an on-call, an engineer.
      as: fc.constantFrom(
        'ada@example.com',
        'ada@example.com',
        'ada@example.com',
        'grace@example.com',
        'grace@example.com',
        'linus@example.com',
        'olive@example.com',
        'nobody@example.com',
      ),
      // Then, sometimes, somebody presses one of the reply's buttons.
      press: fc.option(
        fc.record({
          index: fc.nat(),
          as: fc.constantFrom('the caller', 'the caller', ...PEOPLE.slice(0, 3)),
        }),
        {
          freq: 3,
          nil: undefined,
        },
      ),
    });
    const seen = new Map<string, Set<Outcome>>();
    let presses = 0;
    let confirmed = 0;
    await fc.assert(
      fc.asyncProperty(input, async ({ text, as, press }) => {
        const requestId = crypto.randomUUID();
        const responder = recordingResponder({ channel: 'C0SANDBOX' });
        const outcome = await app.pipeline.handleText({
          requestId,
          entry: 'console',
          text,
          caller: { email: as },
          channel: 'C0SANDBOX',
          responder,
        });
        expect(KNOWN, text).toContain(outcome);
        expect(responder.sent.length, text).toBeGreaterThan(0);
        for (const t of responder.texts()) expect(t, text).not.toMatch(INTERNAL);
        const rows = await database.query('SELECT kind FROM audit_log WHERE request_id = $1', [requestId]);
        expect(rows.rowCount, text).toBeGreaterThan(0);
        const name = app.services.registry.resolve(text.split(' ').slice(0, 2)).command.name;
        seen.set(name, (seen.get(name) ?? new Set()).add(outcome));

        const buttons = responder.sent
          .flatMap((s) => buttonsOf(s.message.blocks))
          .filter((b) => PRESSABLE.has(b.actionId));
        const button = press && buttons.length > 0 ? buttons[press.index % buttons.length] : undefined;
        if (!button || !press) return;
        presses++;
        const presser = press.as === 'the caller' ? as : press.as;
        const clicked = recordingResponder({ channel: 'C0SANDBOX' });
        const answer = await app.pipeline.handleAction({
          requestId: crypto.randomUUID(),
          entry: 'button',
          actionId: button.actionId,
          value: button.value,
          caller: { email: presser },
          channel: 'C0SANDBOX',
          responder: clicked,
          buttonKey: `C0SANDBOX:${requestId}:${button.blockId}:${button.value}`,
        });
        const what = `${text} → ${button.actionId} ${button.value} by ${presser}`;
        expect(KNOWN, what).toContain(answer);
        seen.get(name)?.add(answer);
        if (button.actionId === CONFIRM_ACTION && answer === 'ok') confirmed++;
        if (button.actionId === CONFIRM_ACTION) expect(clicked.sent.length, what).toBeGreaterThan(0);
        for (const t of clicked.texts()) expect(t, what).not.toMatch(INTERNAL);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    // Every command was reached, and nearly all got past validation to do their work (a few,
    // such as a rollback, need a state the random walk seldom builds).
    const summary = JSON.stringify([...seen].map(([n, o]) => [n, [...o].sort()]));
    expect([...seen.keys()].sort()).toEqual(commands.map((c) => c.name).sort());
    const ran = [...seen.entries()].filter(([, outcomes]) => outcomes.has('ok')).map(([n]) => n);
    expect(ran, summary).toEqual(
      expect.arrayContaining([
        'scale',
        'workers',
        'task run',
        'task status',
        'task logs',
        'task cancel',
        'datasets',
        'dataset',
        'access sync',
        'release ship',
        'rollback',
        'audit',
      ]),
    );
    // `access approve` and `access deny` need a held change (a mass removal), which the walk never makes.
    expect(ran.length, summary).toBeGreaterThanOrEqual(commands.length - 9);
    expect(presses).toBeGreaterThan(30);
    expect(confirmed).toBeGreaterThan(5);
    expect(confirmed).toBeGreaterThan(5);
    expect(unhandled).toEqual([]);
    expect((await app.services.audit.verify()).ok).toBe(true);
  }, 120_000);
});
