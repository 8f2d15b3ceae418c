import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Message } from '../../pipeline/message.ts';
import { CONFIRM_ACTION } from '../../pipeline/views/common.ts';
import { recordingResponder, typeCommand } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { type SandboxApp, startSandboxApp } from '../support/sandboxApp.ts';

// The sandbox's simulators survive a restart (issue 20, item 6; issue 28, item 15): their states
// are kept beside dpbot's records, so `workers`, `task status` and a rollback agree with the
// records after `npm start` again.

const ADA = 'ada@example.com';
const stateDir = mkdtempSync(join(tmpdir(), 'dpbot-sandbox-state-'));
let database: TestDatabase;
let running: SandboxApp | undefined;

afterAll(async () => {
  await running?.close();
  await database?.drop();
  rmSync(stateDir, { recursive: true, force: true });
});

const workers = async (app: SandboxApp) =>
  (await typeCommand(app.app, 'workers team-x', { email: ADA })).responder.texts().join('\n');

describe('the sandbox across a restart', () => {
  it('finds the simulated cluster as dpbot left it, with its records', async () => {
    database = await createTestDatabase();
    running = await startSandboxApp({ stateDir, database });
    expect(await workers(running)).toContain('workers: 4 desired');
    const scaled = await typeCommand(running.app, 'scale team-x 8 --reason "before the restart"', {
      email: ADA,
    });
    expect(scaled.outcome).toBe('ok');
    await running.close();
    running = undefined;
    expect(existsSync(join(stateDir, 'kubernetes.json'))).toBe(true);

    running = await startSandboxApp({ stateDir, database });
    const after = await workers(running);
    expect(after).toContain('workers: 8 desired');
    expect(after).toContain('Last change: 4 → 8 by <@U0ADA00001>');
    await running.close();
    running = undefined;

    // Without a place to keep it (DATABASE_URL: dpbot's records live elsewhere), the demo state.
    // (The other simulators' kept states are the next test's.)
    running = await startSandboxApp();
    expect(await workers(running)).toContain('workers: 4 desired');
  }, 120_000);

  it('finds the task run, its Jira ticket and the rollback dpbot recorded in Argo Workflows, Jira and Argo CD', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpbot-sandbox-state-'));
    const db = await createTestDatabase();
    let app: SandboxApp | undefined;
    const as = async (email: string, text: string) => {
      const typed = await typeCommand((app as SandboxApp).app, text, { email, channel: 'C0SANDBOX1' });
      return {
        outcome: typed.outcome,
        text: typed.responder.texts().join('\n'),
        message: typed.responder.sent[0]?.message,
      };
    };
    const confirm = async (email: string, message: Message | undefined) => {
      const actions = message?.blocks?.find((b) => b.type === 'actions');
      const button = actions && 'elements' in actions ? actions.elements[0] : undefined;
      const responder = recordingResponder();
      const outcome = await (app as SandboxApp).app.pipeline.handleAction({
        entry: 'button',
        actionId: CONFIRM_ACTION,
        value: button && 'value' in button ? String(button.value) : '',
        caller: { email },
        channel: 'C0SANDBOX1',
        responder,
      });
      return { outcome, text: responder.texts().join('\n') };
    };
    try {
      app = await startSandboxApp({ stateDir: dir, database: db });
      const started = await as(
        ADA,
        'task run backfill dataset=sales.orders_daily from=2026-11-01 to=2026-11-07',
      );
      expect(started.outcome).toBe('ok');
      const id = Number(/#(\d+)/.exec(started.text)?.[1]);
      // Each read moves the simulated workflow on a step.
      for (let i = 0; i < 4; i++) await as(ADA, `task status ${id}`);
      const before = await as(ADA, `task status ${id}`);
      expect(before.text).toMatch(/running \d+\/\d+/);
      const row = (await db.query('SELECT jira_key FROM task_runs WHERE id = $1', [id])).rows[0] as {
        jira_key: string | null;
      };

      const asked = await as('grace@example.com', 'rollback orders-api');
      expect(asked.outcome).toBe('awaiting_confirmation');
      const [, from, to] = /orders-api ([0-9a-f]{7}) → ([0-9a-f]{7})/.exec(asked.text) ?? [];
      expect(from).toBeDefined();
      expect((await confirm('grace@example.com', asked.message)).outcome).toBe('ok');
      // The simulated Argo CD moves an operation on a stage per read (what time does in a cluster).
      const argocd = app.sandbox.config.argocd;
      for (let i = 0; i < 6; i++)
        await fetch(`${argocd.url}/api/v1/applications/orders-api`, {
          headers: { authorization: `Bearer ${app.sandbox.env.ARGOCD_TOKEN}` },
        });
      await app.close();
      app = undefined;
      for (const kept of ['argo-workflows', 'argocd', 'github', 'jira'])
        expect(existsSync(join(dir, `${kept}.json`))).toBe(true);

      app = await startSandboxApp({ stateDir: dir, database: db });
      const after = await as(ADA, `task status ${id}`);
      expect(after.text).not.toContain('no longer has');
      // Where it was, or further on: not the 404 of a simulator started afresh.
      const progress = (text: string) => Number(/running (\d+)\/9/.exec(text)?.[1] ?? Number.NaN);
      expect(progress(after.text)).toBeGreaterThanOrEqual(progress(before.text));
      if (row.jira_key) {
        const jira = app.sandbox.config.jira;
        const answer = await fetch(`${jira.url}/rest/api/3/issue/${row.jira_key}`, {
          headers: {
            authorization: `Basic ${Buffer.from(`${jira.email}:${app.sandbox.env.JIRA_API_TOKEN}`).toString('base64')}`,
          },
        });
        expect(answer.status).toBe(200);
      }
      // Argo CD runs what the rollback deployed: rolling back again goes from there to before it.
      const again = await as('grace@example.com', 'rollback orders-api');
      expect(again.text).toContain(`orders-api ${to} → ${from}`);
    } finally {
      await app?.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
