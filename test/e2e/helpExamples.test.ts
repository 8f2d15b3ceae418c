import type { KnownBlock } from '@slack/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../pipeline/message.ts';
import { eventually } from '../support/eventually.ts';
import { type SandboxApp, startSandboxApp } from '../support/sandboxApp.ts';
import { SandboxSession, type Typed } from '../support/sandboxSession.ts';

// Issue 28, item 3: `help` explains every command and every group (`help release`, a bare
// `task`), each with its usage and an example, and every example it prints runs in the sandbox
// `npm start` starts, as printed. The examples are read from what `help` prints, not from the
// command definitions.

const ADA = 'ada@example.com';

let running: SandboxApp;
let session: SandboxSession;

beforeAll(async () => {
  running = await startSandboxApp({
    runWorkers: true,
    // The examples presume a shipped release; how long its applications settle, and how far apart
    // its comments land on the simulated GitHub, is not what they show.
    tune: (config) => {
      config.release.settleTime = 1_000;
      config.release.pollInterval = 300;
      config.github.spaceWrites = false;
    },
  });
  session = new SandboxSession(running.app, ADA);
}, 60_000);
afterAll(async () => {
  await running?.close();
});

const decode = (s: string) => s.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');

/** Every mrkdwn text of a message's blocks (sections and context), in order. */
function mrkdwnOf(messages: readonly Message[]): string[] {
  return messages.flatMap((m) =>
    ((m.blocks ?? []) as KnownBlock[]).flatMap((b) => {
      if (b.type === 'section') return b.text ? [b.text.text] : [];
      if (b.type === 'context') return b.elements.flatMap((e) => ('text' in e ? [String(e.text)] : []));
      return [];
    }),
  );
}

const spans = (text: string) => [...text.matchAll(/`([^`\n]+)`/g)].map((m) => decode(m[1] as string));

/** The command a usage line names: its words up to the first argument. */
const nameOfUsage = (usage: string) =>
  usage
    .split(' ')
    .filter((_w, i, all) => all.slice(0, i + 1).every((w) => /^[a-z][a-z-]*$/.test(w)))
    .join(' ');

/** The examples `help <command>` prints: the code under "Examples". */
function commandExamples(typed: Typed): string[] {
  return mrkdwnOf(typed.messages)
    .filter((t) => t.startsWith('*Examples*'))
    .flatMap(spans);
}

/** The examples `help <group>` prints: one "for example `…`" per command. */
function groupExamples(typed: Typed): string[] {
  return mrkdwnOf(typed.messages).flatMap((t) =>
    [...t.matchAll(/for example `([^`\n]+)`/g)].map((m) => decode(m[1] as string)),
  );
}

async function confirmed(text: string): Promise<Typed> {
  const typed = await session.type(text);
  return typed.outcome === 'awaiting_confirmation' ? session.answer(typed, 'Confirm') : typed;
}

/** The release in progress, if any: `release status` answers for it, and "Not done" otherwise. */
async function openRelease(): Promise<boolean> {
  const status = await session.type('release status');
  return status.outcome === 'ok' && /Open: owners decide/.test(status.printed);
}

let shipped = false;
/**
 * Release #1, shipped: what `release start` (from the last shipped release), `release rollback`
 * and the examples naming release 1 presume. Done through the commands, as the walkthrough does.
 */
async function firstReleaseShipped(): Promise<void> {
  if (shipped) return;
  shipped = true;
  expect((await session.type('release start --since 14d')).outcome).toBe('ok');
  for (const service of ['orders-api', 'ingest', 'catalog'])
    expect((await session.type(`release include ${service}`)).outcome).toBe('ok');
  expect((await confirmed('release ship')).outcome).toBe('ok');
  await eventually(
    async () => expect((await session.type('release status 1')).printed).toContain('Shipped'),
    60_000,
    500,
  );
}

/** Lifts the freezes `freeze`'s examples leave, whatever order the examples run in. */
async function thawed(): Promise<void> {
  const lifted = await session.type('unfreeze');
  expect(['ok', 'conflict']).toContain(lifted.outcome);
}

/**
 * What an example presumes of the sandbox, set up through commands before each of its command's
 * examples: the state `help` takes for granted (a release to act on, a run to stop).
 */
const presumed: Record<string, () => Promise<void>> = {
  'release start': async () => {
    await firstReleaseShipped();
    // One release at a time: each example starts its own.
    if (await openRelease()) expect((await confirmed('release cancel')).outcome).toBe('ok');
  },
  'release rollback': firstReleaseShipped,
  rollback: firstReleaseShipped,
  'release notes': firstReleaseShipped,
  'release status': firstReleaseShipped,
  'release history': firstReleaseShipped,
  ...Object.fromEntries(
    ['release include', 'release skip', 'release refresh', 'release ship', 'release cancel'].map((name) => [
      name,
      async () => {
        await firstReleaseShipped();
        if (!(await openRelease()))
          expect((await session.type('release start --since 30d')).outcome).toBe('ok');
      },
    ]),
  ),
  // Something to lift.
  unfreeze: async () => {
    expect((await session.type('freeze orders-api until 1h --reason "an example to lift"')).outcome).toBe(
      'ok',
    );
  },
  // Records to find: the audit examples run last, and one of them asks for Grace's last hour.
  audit: async () => {
    if ((await session.type('audit grace 1h')).printed.includes(' 0 record(s)')) {
      await session.as('grace@example.com');
      expect((await session.type('workers team-x')).outcome).toBe('ok');
      await session.as(ADA);
    }
  },
  // A run to look at, and to stop: run 1, started just before (a backfill runs for a while).
  ...Object.fromEntries(
    ['task cancel', 'task status', 'task logs'].map((name) => [
      name,
      async () => {
        if ((await session.type('task status 1')).outcome === 'not_found')
          expect(
            (await session.type('task run backfill dataset=sales.orders_daily from=2026-11-01 to=2026-11-07'))
              .outcome,
          ).toBe('ok');
      },
    ]),
  ),
};

/** A deploy example runs with nothing frozen: freeze's own examples freeze. */
const before: Record<string, () => Promise<void>> = Object.fromEntries(
  [...new Set([...Object.keys(presumed), 'release ship', 'release rollback', 'rollback'])].map((name) => [
    name,
    async () => {
      if (name.startsWith('release') || name === 'rollback') await thawed();
      await presumed[name]?.();
    },
  ]),
);

/** Examples whose point is not a plain answer in the console. */
const special: Record<string, (typed: () => Promise<Typed>) => Promise<string | undefined>> = {
  // Missing parameters open a form in Slack (the console says what to add instead).
  'task run backfill': async () => {
    const typed = await session.type('task run backfill', { slack: true });
    return typed.modals.length === 1 ? undefined : `opened no form: ${typed.outcome}\n${typed.printed}`;
  },
  // A request id exists only once a sync or reload is held; the example shows the form, and the
  // answer to an id nothing waits under says where to look.
  ...Object.fromEntries(
    ['access approve', 'access deny'].map((name) => [
      `${name} google 0b6f8a52-1c1e-4c8e-9d53-3f1f2a3b4c5d`,
      async (typed: () => Promise<Typed>) => {
        const t = await typed();
        return t.outcome === 'not_found' && t.printed.includes('no held change')
          ? undefined
          : `${t.outcome}\n${t.printed}`;
      },
    ]),
  ),
};

describe('help, for every command and every group', () => {
  it('explains each group with its commands, their usage and an example; a bare group word asks for the same', async () => {
    const overview = await session.type('help');
    expect(overview.outcome).toBe('ok');
    const usages = mrkdwnOf(overview.messages).flatMap((t) =>
      t.split('\n').flatMap((line) => spans(line).slice(0, 1)),
    );
    const names = [...new Set(usages.map(nameOfUsage))].filter((n) => running.app.services.registry.get(n));
    const groups = [...new Set(names.filter((n) => n.includes(' ')).map((n) => n.split(' ')[0] as string))];
    expect(groups.sort()).toEqual(['access', 'release', 'task']);
    for (const group of groups) {
      const help = await session.type(`help ${group}`);
      expect(help.outcome, help.printed).toBe('ok');
      const members = running.app.services.registry.all().filter((c) => c.name.startsWith(`${group} `));
      for (const command of members) expect(help.printed).toContain(command.usage);
      expect(groupExamples(help)).toHaveLength(members.length);
      const bare = await session.type(group);
      expect(bare.outcome, bare.printed).toBe('ok');
      expect(bare.printed).not.toContain('needs a subcommand');
      expect(bare.printed).toBe(help.printed);
    }
  });

  it('prints examples that each run in the sandbox as printed', async () => {
    const overview = await session.type('help');
    const usages = mrkdwnOf(overview.messages).flatMap((t) =>
      t.split('\n').flatMap((line) => spans(line).slice(0, 1)),
    );
    const names = [...new Set(usages.map(nameOfUsage))].filter((n) => running.app.services.registry.get(n));
    expect(names.length).toBe(running.app.services.registry.all().length);
    const examples = new Map<string, string[]>();
    for (const name of names) {
      const help = await session.type(`help ${name}`);
      expect(help.outcome, help.printed).toBe('ok');
      const shown = commandExamples(help);
      expect(shown.length, `help ${name} shows no example`).toBeGreaterThan(0);
      examples.set(name, shown);
    }
    for (const group of new Set(names.filter((n) => n.includes(' ')).map((n) => n.split(' ')[0]))) {
      for (const example of groupExamples(await session.type(`help ${group}`))) {
        const name = names.find((n) => example === n || example.startsWith(`${n} `)) ?? '';
        const list = examples.get(name) ?? [];
        expect(list, `help ${group} shows "${example}", which help ${name} does not`).toContain(example);
      }
    }

    const problems: string[] = [];
    // The audit log is read last, when there is something in it to find.
    const ordered = [...examples].sort(([a], [b]) => Number(a === 'audit') - Number(b === 'audit'));
    for (const [name, shown] of ordered) {
      for (const example of shown) {
        await before[name]?.();
        const check = special[example];
        if (check) {
          const problem = await check(() => session.type(example));
          if (problem) problems.push(`${example}: ${problem}`);
          continue;
        }
        const typed = await session.type(example);
        if (typed.outcome === 'awaiting_confirmation') {
          // Reaching the question is enough; Cancel leaves the sandbox as it was for the next one.
          expect((await session.answer(typed, 'Cancel')).outcome).toBe('cancelled');
          continue;
        }
        if (typed.outcome !== 'ok') problems.push(`${example} → ${typed.outcome}:\n${typed.printed}`);
        // An example that finds nothing shows nothing of what it is for.
        else if (/ 0 record\(s\)|there is no page/.test(typed.printed))
          problems.push(`${example} finds nothing:\n${typed.printed}`);
      }
    }
    expect(problems).toEqual([]);
  }, 180_000);
});
