import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outcome } from '../../pipeline/invocation.ts';
import { eventually } from '../support/eventually.ts';
import { inlineCode, readmeSection, tableRows } from '../support/readme.ts';
import { type SandboxApp, startSandboxApp } from '../support/sandboxApp.ts';
import { SandboxSession, type Typed } from '../support/sandboxSession.ts';

// Issue 28, item 3: every command the README's tour of the sandbox and its weekly-release
// walkthrough show runs as shown, in the order shown, in what `npm start` starts (the example
// configuration, every simulator, background work running). The commands are read from the
// README itself, so the README cannot drift from what runs.

/** A line of the tour: a command to type, and whether the README says to press its Confirm. */
interface Step {
  line: string;
  confirm: boolean;
  where: string;
  /** "again, until it says Shipped": typed again until its answer says this. */
  until?: string;
}

/** The bullets of "A tour of the sandbox": every code span, in order. */
function tourSteps(): Step[] {
  const section = readmeSection('### A tour of the sandbox');
  // The list: from its first bullet to the blank line that ends it.
  const from = section.slice(section.indexOf('\n- ') + 1);
  const bullets = from.slice(0, from.indexOf('\n\n'));
  return inlineCode(bullets).map((line) => ({ line, confirm: false, where: 'tour' }));
}

/** The walkthrough of "The weekly release": who acts, what they type, and which Confirm they press. */
function walkthroughSteps(): Step[] {
  const rows = tableRows(readmeSection('## The weekly release'), ['step', 'act as', 'type']);
  return rows.flatMap(([step = '', actAs = '', type = '']) => {
    const as = inlineCode(actAs).filter((c) => c.startsWith('.as '));
    const commands = inlineCode(type);
    const confirm = /\bConfirm\b/.test(type);
    const until = /until it says (\w+)/.exec(type)?.[1];
    return [
      ...as.slice(0, 1).map((line) => ({ line, confirm: false, where: step })),
      ...commands.map((line, i) => ({
        line,
        confirm: confirm && i === 0,
        where: step,
        ...(until && i === 0 ? { until } : {}),
      })),
    ];
  });
}

/**
 * What the README says a step does when it is not simply done: a denial it shows on purpose, a
 * refusal with its advice. Keyed by who types what; each must be in the README (checked below),
 * so a changed tour changes this too.
 */
const refusals: Record<string, { outcome: Outcome; says: string }> = {
  'linus@example.com: audit': { outcome: 'denied', says: 'audit needs the audit.read action' },
  'ada@example.com: scale team-y 6': {
    outcome: 'conflict',
    says: 'managed by the HorizontalPodAutoscaler "loader"',
  },
  'ada@example.com: scale team-z 5': {
    outcome: 'conflict',
    says: 'managed by the Argo CD application "team-z"',
  },
  'grace@example.com: scale team-x 17': {
    outcome: 'denied',
    says: 'limit exceeded: maxReplicas is 16 and this asks for 17',
  },
  'grace@example.com: task run backfill dataset=orders from=2026-11-01 to=2026-11-07': {
    outcome: 'rejected',
    says: 'there is no dataset "orders" in the catalog',
  },
  'grace@example.com: task run backfill dataset=sales.orders_daily from=2026-11-07 to=2026-11-01': {
    outcome: 'rejected',
    says: 'from (2026-11-07) comes after to (2026-11-01)',
  },
};

/** What a step that runs must show besides running (what the README promises of it). */
const shows: Record<string, RegExp> = {
  'ada@example.com: scale team-y 6 --hpa-min': /HPA minimum of team-y\/loader 2 → 6/,
  'grace@example.com: scale team-x 8 --for 1h --reason "backfill lag"':
    /scaled team-x\/workers 4 → 8 for 1h[\s\S]*Why: backfill lag/,
  'grace@example.com: scale team-x --revert': /8 → 4/,
  'grace@example.com: backfill finance.ledger_daily':
    /missing days are \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2} \(UTC\)[\s\S]*task run backfill dataset=finance\.ledger_daily from=\d{4}-\d{2}-\d{2} to=\d{4}-\d{2}-\d{2}/,
  'grace@example.com: task run backfill dataset=sales.orders_daily from=2026-11-01 to=2026-11-07':
    /Started backfill #1/,
  'grace@example.com: task run backfill dataset=team-x.events_history from=2026-11-01 to=2026-11-07':
    /Started backfill #2/,
  'ada@example.com: release start --since 14d': /Release #1 started: \d+ pull request\(s\) in 3 service\(s\)/,
  'ada@example.com: release rollback orders-api': /orders-api/,
  'grace@example.com: rollback orders-api': /orders-api/,
};

let running: SandboxApp;

beforeAll(async () => {
  running = await startSandboxApp({
    runWorkers: true,
    // The tour is typed again until it says Shipped: how long the applications settle, and how far
    // apart the release's comments land on the simulated GitHub, is not what it shows.
    tune: (config) => {
      config.release.settleTime = 1_000;
      config.release.pollInterval = 300;
      config.github.spaceWrites = false;
    },
  });
}, 60_000);
afterAll(async () => {
  await running?.close();
});

describe("the README's tour of the sandbox, as written", () => {
  it('runs every command it shows, in order: each does what the README says', async () => {
    const steps = [...tourSteps(), ...walkthroughSteps()];
    const session = new SandboxSession(running.app, 'ada@example.com');
    const knownWords = new Set(running.app.services.registry.all().map((c) => c.name.split(' ')[0]));
    const seen = new Set<string>();
    const problems: string[] = [];
    for (const step of steps) {
      const first = step.line.split(' ')[0] ?? '';
      if (!step.line.startsWith('.as ') && !knownWords.has(first)) {
        problems.push(`${step.where}: \`${step.line}\` is shown as something to type, but is no command`);
        continue;
      }
      let typed: Typed = await session.type(step.line);
      const until = step.until;
      if (until !== undefined)
        typed = await eventually(
          async () => {
            const again = await session.type(step.line);
            expect(again.printed).toContain(until);
            return again;
          },
          60_000,
          500,
        );
      const key = `${session.email}: ${step.line}`;
      seen.add(key);
      const refusal = refusals[key];
      if (refusal) {
        if (typed.outcome !== refusal.outcome || !typed.printed.includes(refusal.says))
          problems.push(
            `${step.where}: ${key} should be refused (${refusal.outcome}, "${refusal.says}"); it answered ${typed.outcome}:\n${typed.printed}`,
          );
        continue;
      }
      // A question is answered as whoever follows the tour would: Confirm.
      if (typed.outcome === 'awaiting_confirmation') typed = await session.answer(typed, 'Confirm');
      if (typed.outcome !== 'ok') {
        problems.push(`${step.where}: ${key} answered ${typed.outcome}:\n${typed.printed}`);
        continue;
      }
      const pattern = shows[key];
      if (pattern && !pattern.test(typed.printed))
        problems.push(`${step.where}: ${key} should show ${pattern}; it printed:\n${typed.printed}`);
    }
    expect(problems).toEqual([]);
    // Every expectation above names a step the README shows, so none of them is stale.
    expect([...Object.keys(refusals), ...Object.keys(shows)].filter((k) => !seen.has(k))).toEqual([]);

    // "runs and fails on its third day": the second run's workflow fails at 2026-11-03.
    await eventually(
      async () => {
        const status = await session.type('task status 2');
        expect(status.printed).toContain('failed at load-2026-11-03');
      },
      60_000,
      500,
    );
  }, 180_000);
});
