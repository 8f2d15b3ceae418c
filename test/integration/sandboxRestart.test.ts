import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { typeCommand } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { type SandboxApp, startSandboxApp } from '../support/sandboxApp.ts';

// The sandbox's cluster survives a restart (issue 20, item 6): its state is kept beside dpbot's
// records, so `workers` and the scale records agree after `npm start` again.

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
    expect(after).toContain('Last change: 4 → 8 by ada@example.com');
    await running.close();
    running = undefined;

    // Without a place to keep it (DATABASE_URL: dpbot's records live elsewhere), the demo state.
    running = await startSandboxApp();
    expect(await workers(running)).toContain('workers: 4 desired');
  }, 120_000);
});
