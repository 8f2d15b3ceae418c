import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, applyPolicies, createApp } from '../../app/app.ts';
import { type LoadedConfig, loadConfig } from '../../app/config/loadConfig.ts';
import { pressButton } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createFixture, type Fixture, standardPolicies } from '../support/fixture.ts';
import { recordingNotifier } from '../support/notifier.ts';

// Issue 32 item 5: a policy reload that takes away too much waits for another admin's Approve.

const approvers = {
  grants: [{ group: 'file:team-x-oncall', actions: ['access.approve-removal'], resources: ['policies:*'] }],
};
const notifier = recordingNotifier();
let fixture: Fixture;
let database: TestDatabase;
let app: App;
let loaded: LoadedConfig;

beforeAll(async () => {
  fixture = createFixture({
    config: {
      slack: { channels: { admin: '#dpbot-admin' } },
      access: { adminContact: '#data-platform', removalGuard: { removalAllowance: 0 } },
    },
    policies: { 'platform.yaml': standardPolicies, 'approvers.yaml': approvers },
  });
  database = await createTestDatabase();
  loaded = loadConfig({ path: fixture.configPath, env: {} });
  app = await createApp({
    loaded,
    env: { DATABASE_URL: database.url },
    log: pino({ level: 'silent' }),
    notifier,
  });
});
afterAll(async () => {
  await app.close();
  await database.drop();
  fixture.remove();
});

const engineeringGrants = async () =>
  (
    await database.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM group_grants WHERE group_name = 'file:engineering'",
    )
  ).rows[0]?.n;

/** Ada's reload of policy files that take access.read from engineering: held, and its request. */
async function heldReload() {
  fixture.write('policies/platform.yaml', { grants: [{ group: 'file:data-platform', actions: ['*'] }] });
  const result = await applyPolicies(app.services, loaded, {
    trigger: 'cli',
    requestedBy: 'ada@example.com',
  });
  expect(result.reload.status).toBe('held');
  const request = notifier.posts.at(-1);
  const approve = JSON.stringify(request?.message.blocks).match(/access approve policies [0-9a-f-]{36}/)?.[0];
  expect(approve).toBeDefined();
  return { request, approve: approve ?? '' };
}

describe('a policy reload over the removal guard', () => {
  it('is held with who loses what; Approve by another admin applies it, the one who asked cannot', async () => {
    notifier.posts.length = 0;
    const { request, approve } = await heldReload();
    expect(request?.channel).toBe('#dpbot-admin');
    expect(request?.message.text).toContain('Policy reload held for approval: nothing was changed');
    expect(request?.message.text).toContain(
      '- grace@example.com loses access.read on * (via file:engineering)',
    );
    expect(request?.message.text).toContain('- group file:engineering loses access.read on *');
    expect(await engineeringGrants()).toBe(1);
    // A restart finds the same change held: nobody is asked twice.
    await applyPolicies(app.services, loaded);
    expect(notifier.posts).toHaveLength(1);

    const own = await pressButton(app, approve, { email: 'ada@example.com' });
    expect(own.outcome).toBe('denied');
    expect(own.message.text).toContain('someone else to approve it');
    expect(await engineeringGrants()).toBe(1);

    const approved = await pressButton(app, approve, { email: 'grace@example.com' });
    expect(approved.outcome).toBe('ok');
    expect(approved.message.text).toContain('Policy reload approved by grace@example.com and applied');
    expect(await engineeringGrants()).toBe(0);
    expect(notifier.latest(request?.ts ?? '')?.text).toContain('approved by grace@example.com and applied');
    const audit = await database.query(
      "SELECT outcome, detail FROM audit_log WHERE command = 'policies.reload' ORDER BY id",
    );
    expect(audit.rows.map((r) => r.outcome)).toEqual(['held', 'ok']);
    expect(audit.rows[1]?.detail).toMatchObject({ approvedBy: 'grace@example.com', losses: 3 });
  });

  it('an approval of files that changed since applies nothing and asks again; Deny changes nothing', async () => {
    fixture.write('policies/platform.yaml', standardPolicies);
    await applyPolicies(app.services, loaded, { trigger: 'cli', force: true });
    expect(await engineeringGrants()).toBe(1);
    notifier.posts.length = 0;
    const { request, approve } = await heldReload();
    fixture.write('policies/platform.yaml', { grants: [] });
    const approved = await pressButton(app, approve, { email: 'grace@example.com' });
    expect(approved.outcome).toBe('conflict');
    expect(approved.message.text).toContain('changed since this request was made, so nothing was applied');
    expect(await engineeringGrants()).toBe(1);
    expect(notifier.posts).toHaveLength(2);
    expect(notifier.latest(request?.ts ?? '')?.text).toContain('no longer the same');

    const deny = JSON.stringify(notifier.posts[1]?.message.blocks).match(
      /access deny policies [0-9a-f-]{36}/,
    )?.[0];
    const denied = await pressButton(app, deny ?? '', { email: 'grace@example.com' });
    expect(denied.outcome).toBe('ok');
    expect(await engineeringGrants()).toBe(1);
    await applyPolicies(app.services, loaded);
    expect(notifier.posts).toHaveLength(2);
  });
});
