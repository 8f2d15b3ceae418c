import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../app/app.ts';
import { loadConfig } from '../../app/config/loadConfig.ts';
import { syncDirectorySources } from '../../handlers/directory/index.ts';
import { CONFIRM_ACTION } from '../../pipeline/views/common.ts';
import { GithubTeamsSimulator } from '../../sandbox/github/githubSimulator.ts';
import {
  type GoogleDirectoryData,
  GoogleDirectorySimulator,
} from '../../sandbox/google-directory/googleDirectorySimulator.ts';
import { auditRowsOf, pressButton, recordingResponder, typeCommand } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { people } from '../support/directorySims.ts';
import { createFixture, type Fixture, standardDirectory, standardPolicies } from '../support/fixture.ts';
import { recordingNotifier } from '../support/notifier.ts';

const staff = people(210);
function workspace(): GoogleDirectoryData {
  return {
    customerId: 'C01abc234',
    admins: ['admin@example.com'],
    users: [
      { primaryEmail: 'admin@example.com' },
      { primaryEmail: 'grace@example.com', fullName: 'Grace Hopper' },
      ...staff.map((primaryEmail) => ({ primaryEmail })),
    ],
    groups: [
      { email: 'staff@example.com', name: 'Staff', members: staff.map((email) => ({ email })) },
      { email: 'oncall@example.com', name: 'On-call', members: [{ email: 'grace@example.com' }] },
    ],
  };
}

const google = new GoogleDirectorySimulator(workspace());
const github = new GithubTeamsSimulator({
  org: 'example',
  members: [
    { login: 'ada-l', verifiedEmails: ['ada@example.com'] },
    { login: 'ghopper', verifiedEmails: ['grace@example.com'] },
  ],
  teams: [
    { slug: 'platform', members: ['ada-l'] },
    { slug: 'reviewers', members: ['ada-l', 'ghopper'] },
  ],
});
const notifier = recordingNotifier();
let fixture: Fixture;
let database: TestDatabase;
let app: App;

beforeAll(async () => {
  await Promise.all([google.start(), github.start()]);
  fixture = createFixture({
    config: {
      slack: { channels: { admin: '#dpbot-admin' } },
      directory: {
        sources: [
          { name: 'file', type: 'file', path: 'directory.yaml', schedule: 'off' },
          {
            name: 'google',
            type: 'google',
            subject: 'admin@example.com',
            apiUrl: google.url,
            tokenUrl: google.tokenUrl,
            schedule: 'off',
            timeout: '2s',
            maxRetries: 0,
          },
          {
            name: 'github',
            type: 'github',
            org: 'example',
            apiUrl: github.url,
            schedule: 'off',
            maxRetries: 0,
          },
        ],
      },
    },
    policies: {
      'platform.yaml': standardPolicies,
      'teams.yaml': {
        grants: [
          { group: 'google:oncall@example.com', actions: ['access.read', 'access.approve-removal'] },
          { group: 'google:staff@example.com', actions: ['workers.read'], resources: ['team:*'] },
          { group: 'github:platform', actions: ['access.read'] },
        ],
      },
    },
  });
  database = await createTestDatabase();
  app = await createApp({
    loaded: loadConfig({ path: fixture.configPath, env: {} }),
    env: {
      DATABASE_URL: database.url,
      GOOGLE_SERVICE_ACCOUNT_JSON: google.serviceAccountKey(),
      GITHUB_TOKEN: github.token,
    },
    log: pino({ level: 'silent' }),
    notifier,
  });
});
afterAll(async () => {
  await app.close();
  await Promise.all([google.stop(), github.stop(), database.drop()]);
  fixture.remove();
});

async function run(text: string, email = 'ada@example.com') {
  const { outcome, responder, requestId } = await typeCommand(app, text, { email, channel: 'C1' });
  const rows = await auditRowsOf(
    database,
    requestId,
    'kind, decision, outcome, error, reason, command, action, resource, detail',
  );
  // Each message as it finally read (progress messages are updated in place).
  const reply = responder.sent.map((s) => s.updates.at(-1)?.text ?? s.message.text).join('\n');
  return { outcome, responder, rows, reply, requestId };
}

async function memberCount(source: string): Promise<number> {
  const r = await database.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM memberships WHERE source = $1',
    [source],
  );
  return r.rows[0]?.n ?? -1;
}

async function lastRun(source: string) {
  const r = await database.query(
    'SELECT status, trigger, requested_by, forced, counts, error FROM directory_sync_runs WHERE source = $1 ORDER BY id DESC LIMIT 1',
    [source],
  );
  return r.rows[0];
}

/**
 * Google's whole workspace, applied: the 211 memberships a case that changes nothing expects to
 * find, whether or not the first case ran before it.
 */
async function googleSynced() {
  google.data = workspace();
  const r = await run('access sync google');
  expect(r.outcome).toBe('ok');
  expect(await memberCount('google')).toBe(211);
}

/** Clicks the confirmation a command asked for, as its caller. */
async function confirmAs(asked: Awaited<ReturnType<typeof run>>, email: string) {
  const actions = asked.responder.sent[0]?.message.blocks?.find((b) => b.type === 'actions');
  const confirm = actions && 'elements' in actions ? actions.elements[0] : undefined;
  return app.pipeline.handleAction({
    entry: 'button',
    actionId: CONFIRM_ACTION,
    value: confirm && 'value' in confirm ? String(confirm.value) : '',
    caller: { email },
    channel: 'C1',
    responder: recordingResponder(),
  });
}

describe('access sync through the pipeline', () => {
  it('applies a first sync in one go, audits it with its counts and records the run', async () => {
    const r = await run('access sync google');
    expect(r.outcome).toBe('ok');
    expect(r.reply).toContain('google: applied — users +212');
    expect(r.rows).toEqual([
      expect.objectContaining({
        kind: 'attempt',
        decision: 'allow',
        action: 'access.sync',
        resource: 'directory:google',
      }),
      expect.objectContaining({
        kind: 'event',
        command: 'directory.sync',
        outcome: 'ok',
        resource: 'directory:google',
        detail: expect.objectContaining({
          usersAdded: 212,
          groupsAdded: 2,
          membershipsAdded: 211,
          membershipsRemoved: 0,
          trigger: 'command',
        }),
      }),
      expect.objectContaining({ kind: 'outcome', outcome: 'ok' }),
    ]);
    expect(await memberCount('google')).toBe(211);
    expect(await lastRun('google')).toMatchObject({
      status: 'applied',
      trigger: 'command',
      requested_by: 'ada@example.com',
    });
    const grace = await app.services.access.loadCaller('grace@example.com');
    expect(grace?.groups).toEqual(['file:engineering', 'file:team-x-oncall', 'google:oncall@example.com']);
  });

  it('a resync with no change writes nothing to the directory and audits no event', async () => {
    await googleSynced();
    const before = await database.query(
      'SELECT xmin::text AS x FROM memberships UNION ALL SELECT xmin::text FROM users UNION ALL SELECT xmin::text FROM groups',
    );
    const r = await run('access sync google');
    expect(r.reply).toContain('google: no change');
    expect(r.rows.map((x) => x.kind)).toEqual(['attempt', 'outcome']);
    const after = await database.query(
      'SELECT xmin::text AS x FROM memberships UNION ALL SELECT xmin::text FROM users UNION ALL SELECT xmin::text FROM groups',
    );
    expect(after.rows).toEqual(before.rows);
    expect(await lastRun('google')).toMatchObject({ status: 'unchanged' });
  });

  it('a dry run shows the difference and changes nothing', async () => {
    await googleSynced();
    google.data.groups[0]?.members.pop();
    try {
      const r = await run('access sync google --dry-run');
      expect(r.outcome).toBe('ok');
      expect(r.reply).toContain('google: would change');
      expect(r.reply).toContain('- u0210@example.com from google:staff@example.com');
      expect(r.rows.map((x) => x.kind)).toEqual(['attempt', 'outcome']);
      expect(await memberCount('google')).toBe(211);
    } finally {
      google.data = workspace();
    }
  });

  it('a failing source leaves memberships as they were, is audited and posted once to the admin channel', async () => {
    await googleSynced();
    notifier.posts.length = 0;
    google.inject({
      path: /\/users$/,
      status: 500,
      body: { error: { code: 500, message: 'Internal error' } },
      times: 2,
    });
    const first = await run('access sync google');
    expect(first.outcome).toBe('error');
    expect(first.reply).toContain('google: FAILED, nothing changed');
    expect(first.rows).toEqual([
      expect.objectContaining({ kind: 'attempt', decision: 'allow' }),
      expect.objectContaining({
        kind: 'event',
        outcome: 'error',
        error: expect.stringContaining('/users answered 500: Internal error'),
      }),
      expect.objectContaining({
        kind: 'outcome',
        outcome: 'error',
        error: expect.stringContaining('stored memberships were left as they were'),
      }),
    ]);
    expect(await memberCount('google')).toBe(211);
    expect(notifier.posts).toHaveLength(1);
    expect(notifier.posts[0]?.channel).toBe('#dpbot-admin');
    expect(notifier.posts[0]?.message.text).toContain('Directory sync of google failed: nothing was changed');
    // The same failure again is recorded and audited, but not posted again.
    const second = await run('access sync google');
    expect(second.outcome).toBe('error');
    expect(notifier.posts).toHaveLength(1);
  });

  it('a source that times out changes nothing', async () => {
    await googleSynced();
    google.inject({ path: /\/groups$/, delayMs: 4000, status: 200, body: {}, times: 1 });
    const r = await run('access sync google');
    expect(r.outcome).toBe('error');
    expect(r.reply).toContain('timed out');
    expect(await memberCount('google')).toBe(211);
    expect(await lastRun('google')).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('timed out'),
    });
  });

  it('an empty answer changes nothing', async () => {
    await googleSynced();
    google.data.groups = [];
    try {
      const r = await run('access sync google');
      expect(r.outcome).toBe('error');
      expect(r.reply).toContain('the source returned no groups at all');
      expect(await memberCount('google')).toBe(211);
    } finally {
      google.data = workspace();
    }
  });

  it('a truncated answer (pagination that stops early) changes nothing', async () => {
    await googleSynced();
    google.truncateGroups.add('staff@example.com');
    try {
      const r = await run('access sync google');
      expect(r.outcome).toBe('error');
      expect(r.reply).toContain(
        'incomplete answer: group staff@example.com has 210 direct members but its pages listed 200',
      );
      expect(await memberCount('google')).toBe(211);
    } finally {
      google.truncateGroups.clear();
    }
  });

  it('holds a mass removal for approval, shows who loses what, and applies it with --force after confirmation', async () => {
    await googleSynced();
    notifier.posts.length = 0;
    const group = google.data.groups[0];
    if (group) group.members = group.members.slice(0, 150);
    const refused = await run('access sync google');
    expect(refused.outcome).toBe('conflict');
    expect(refused.reply).toContain(
      'it would remove 60 of 211 memberships (28 %), more than the 10 % allowed',
    );
    expect(refused.reply).toContain("held for an admin's approval");
    expect(refused.reply).toContain('permissions: 0 people gain 0, 60 people lose 60 (of');
    expect(refused.reply).toContain(
      '- u0151@example.com loses workers.read on team:* (via google:staff@example.com)',
    );
    expect(refused.rows).toEqual([
      expect.objectContaining({ kind: 'attempt' }),
      expect.objectContaining({
        kind: 'event',
        outcome: 'refused',
        reason: expect.stringContaining('60 of 211'),
        detail: expect.objectContaining({ approvalRequested: true, permissionsLost: 60, peopleLosing: 60 }),
      }),
      expect.objectContaining({ kind: 'outcome', outcome: 'conflict' }),
    ]);
    expect(await memberCount('google')).toBe(211);
    expect(await lastRun('google')).toMatchObject({ status: 'refused' });
    expect(notifier.posts.map((p) => p.message.text)).toEqual([
      expect.stringContaining('Directory sync of google held for approval: nothing was changed'),
    ]);
    const buttons = JSON.stringify(notifier.posts[0]?.message.blocks);
    expect(buttons).toMatch(/access approve google [0-9a-f-]{36}/);
    expect(buttons).toMatch(/access deny google [0-9a-f-]{36}/);

    const asked = await run('access sync google --force');
    expect(asked.outcome).toBe('awaiting_confirmation');
    expect(asked.reply).toContain('Confirm: Force the directory sync of google');
    const actions = asked.responder.sent[0]?.message.blocks?.find((b) => b.type === 'actions');
    const confirm = actions && 'elements' in actions ? actions.elements[0] : undefined;
    const responder = recordingResponder();
    const outcome = await app.pipeline.handleAction({
      entry: 'button',
      actionId: CONFIRM_ACTION,
      value: confirm && 'value' in confirm ? String(confirm.value) : '',
      caller: { email: 'ada@example.com' },
      channel: 'C1',
      responder,
    });
    expect(outcome).toBe('ok');
    expect(await memberCount('google')).toBe(151);
    expect(await lastRun('google')).toMatchObject({ status: 'applied', forced: true });
    const event = await database.query(
      "SELECT detail FROM audit_log WHERE request_id = $1 AND kind = 'event'",
      [asked.requestId],
    );
    expect(event.rows[0]?.detail).toMatchObject({ membershipsRemoved: 60, forced: true });
    // The forced sync made the request moot: it says so instead of offering its buttons.
    expect(notifier.latest(notifier.posts[0]?.ts ?? '')?.text).toContain('no longer needed');
  });

  it('Approve by another admin applies exactly the held difference; the one who asked, and non-admins, cannot', async () => {
    await googleSynced();
    notifier.posts.length = 0;
    const group = google.data.groups[0];
    if (group) group.members = group.members.slice(0, 150);
    expect((await run('access sync google')).outcome).toBe('conflict');
    const request = notifier.posts[0];
    const approve = JSON.stringify(request?.message.blocks).match(/access approve google [0-9a-f-]{36}/)?.[0];
    expect(approve).toBeDefined();
    const holdId = approve?.split(' ').at(-1) ?? '';

    // A scheduled tick finds the same difference: nobody is asked again.
    const [tick] = await syncDirectorySources(app.services, { source: 'google', trigger: 'schedule' });
    expect(tick?.status).toBe('refused');
    expect(tick?.hold).toEqual({ id: holdId, created: false });
    expect(notifier.posts).toHaveLength(1);

    const status = await run('access status', 'grace@example.com');
    expect(status.reply).toContain(`Directory sync of google waits for approval since`);
    expect(status.reply).toContain(`\`access approve google ${holdId}\``);

    const own = await pressButton(app, approve ?? '', { email: 'ada@example.com' });
    expect(own.outcome).toBe('denied');
    expect(own.message.text).toContain('someone else to approve it');
    const outsider = await pressButton(app, approve ?? '', { email: 'linus@example.com' });
    expect(outsider.outcome).toBe('denied');
    expect(outsider.message.text).toContain('needs the access.approve-removal action on directory:google');
    expect(await memberCount('google')).toBe(211);

    const approved = await pressButton(app, approve ?? '', { email: 'grace@example.com' });
    expect(approved.outcome).toBe('ok');
    expect(approved.message.text).toContain(
      'Directory sync of google approved by grace@example.com and applied',
    );
    expect(await memberCount('google')).toBe(151);
    expect(notifier.latest(request?.ts ?? '')?.text).toBe(
      'Directory sync of google: approved by grace@example.com and applied',
    );
    const audit = await database.query(
      "SELECT email, outcome, detail FROM audit_log WHERE kind = 'event' AND detail->>'approvedHold' = $1",
      [holdId],
    );
    expect(audit.rows).toEqual([
      {
        email: 'grace@example.com',
        outcome: 'ok',
        detail: expect.objectContaining({
          approvedBy: 'grace@example.com',
          membershipsRemoved: 60,
          permissionsLost: 60,
        }),
      },
    ]);
    const again = await pressButton(app, approve ?? '', { email: 'grace@example.com' });
    expect(again.outcome).toBe('conflict');
    expect(again.message.text).toContain('already approved by grace@example.com');
  });

  it('an approval of a difference the source no longer gives applies nothing and asks again', async () => {
    await googleSynced();
    notifier.posts.length = 0;
    const group = google.data.groups[0];
    if (group) group.members = group.members.slice(0, 150);
    expect((await run('access sync google')).outcome).toBe('conflict');
    const approve = JSON.stringify(notifier.posts[0]?.message.blocks).match(
      /access approve google [0-9a-f-]{36}/,
    )?.[0];
    if (group) group.members = group.members.slice(0, 140);
    const approved = await pressButton(app, approve ?? '', { email: 'grace@example.com' });
    expect(approved.outcome).toBe('conflict');
    expect(approved.message.text).toContain(
      'the source changed since this request was made, so nothing was applied',
    );
    expect(await memberCount('google')).toBe(211);
    expect(notifier.posts).toHaveLength(2);
    expect(notifier.posts[1]?.message.text).toContain('70 people lose 70');
    expect(notifier.latest(notifier.posts[0]?.ts ?? '')?.text).toContain('but the source changed since');
  });

  it('an approval after the source mended itself applies nothing and asks nobody again', async () => {
    await googleSynced();
    notifier.posts.length = 0;
    const group = google.data.groups[0];
    if (group) group.members = group.members.slice(0, 150);
    expect((await run('access sync google')).outcome).toBe('conflict');
    const approve = JSON.stringify(notifier.posts[0]?.message.blocks).match(
      /access approve google [0-9a-f-]{36}/,
    )?.[0];
    google.data = workspace();
    const approved = await pressButton(app, approve ?? '', { email: 'grace@example.com' });
    expect(approved.outcome).toBe('ok');
    expect(approved.message.text).toContain('nothing was left to apply');
    expect(await memberCount('google')).toBe(211);
    expect(notifier.posts).toHaveLength(1);
  });

  it('Deny changes nothing, is audited, and the same difference is not asked about again', async () => {
    await googleSynced();
    notifier.posts.length = 0;
    const group = google.data.groups[0];
    if (group) group.members = group.members.slice(0, 150);
    await syncDirectorySources(app.services, { source: 'google', trigger: 'schedule' });
    expect(notifier.posts).toHaveLength(1);
    const deny = JSON.stringify(notifier.posts[0]?.message.blocks).match(
      /access deny google [0-9a-f-]{36}/,
    )?.[0];
    const denied = await typeCommand(app, deny ?? '', {
      email: 'grace@example.com',
      entry: 'button',
      channel: 'C1',
    });
    expect(denied.outcome).toBe('ok');
    expect(await memberCount('google')).toBe(211);
    expect(notifier.latest(notifier.posts[0]?.ts ?? '')?.text).toBe(
      'Directory sync of google: denied by grace@example.com: nothing was changed',
    );
    const rows = await auditRowsOf(database, denied.requestId, 'kind, outcome, action, detail');
    expect(rows).toEqual([
      expect.objectContaining({ kind: 'attempt', action: 'access.approve-removal' }),
      expect.objectContaining({
        kind: 'step',
        outcome: 'hold_denied',
        detail: expect.objectContaining({ membershipsRemoved: 60, permissionsLost: 60 }),
      }),
      expect.objectContaining({ kind: 'outcome', outcome: 'ok' }),
    ]);
    await syncDirectorySources(app.services, { source: 'google', trigger: 'schedule' });
    expect(notifier.posts).toHaveLength(1);
    // Another difference is another question.
    if (group) group.members = group.members.slice(0, 140);
    await syncDirectorySources(app.services, { source: 'google', trigger: 'schedule' });
    expect(notifier.posts).toHaveLength(2);
    expect(await memberCount('google')).toBe(211);
  });

  it('refuses to empty a group that holds grants, even for one removal', async () => {
    const first = await run('access sync github');
    expect(first.outcome).toBe('ok');
    const platform = github.data.teams[0];
    if (platform) platform.members = [];
    try {
      const r = await run('access sync github');
      expect(r.outcome).toBe('conflict');
      expect(r.reply).toContain('it would leave a group that holds grants with no members: github:platform');
      expect(await memberCount('github')).toBe(3);
    } finally {
      if (platform) platform.members = ['ada-l'];
    }
  });

  it('offboarding is immediate: a user the last sync removed is denied on the next command', async () => {
    expect((await run('whoami', 'linus@example.com')).outcome).toBe('ok');
    fixture.write('directory.yaml', {
      ...standardDirectory,
      users: standardDirectory.users.filter((u) => u.email !== 'linus@example.com'),
      groups: standardDirectory.groups.map((g) => ({
        ...g,
        members: g.members.filter((m) => m !== 'linus@example.com'),
      })),
    });
    const sync = await run('access sync file');
    expect(sync.outcome).toBe('ok');
    const denied = await run('whoami', 'linus@example.com');
    expect(denied.outcome).toBe('denied');
    expect(denied.reply).toContain('linus@example.com is no longer active in the company directory');
    expect(denied.rows).toEqual([expect.objectContaining({ kind: 'attempt', decision: 'deny' })]);
  });

  it('access status shows the last sync of every source, with counts and the last problem', async () => {
    // The history the status reports: a mass removal refused, then forced.
    await googleSynced();
    const group = google.data.groups[0];
    if (group) group.members = group.members.slice(0, 150);
    expect((await run('access sync google')).outcome).toBe('conflict');
    expect(await confirmAs(await run('access sync google --force'), 'ada@example.com')).toBe('ok');
    expect(await memberCount('google')).toBe(151);
    const r = await run('access status', 'grace@example.com');
    expect(r.outcome).toBe('ok');
    expect(r.reply).toContain('file (file, not scheduled): last run');
    expect(r.reply).toMatch(
      /google \(google, not scheduled\): last run .* \(command by ada@example\.com, forced\) applied/,
    );
    expect(r.reply).toContain(
      '212 users, 2 groups, 151 memberships; changes: users +0 -0, groups +0 -0, memberships +0 -60',
    );
    expect(r.reply).toMatch(/last problem: .* refused: it would remove 60 of 211/);
    expect(r.reply).toContain('github (github, not scheduled)');
  });

  it('explains a wrong source, and denies those without access.sync', async () => {
    const wrong = await run('access sync nope');
    expect(wrong.outcome).toBe('invalid');
    expect(wrong.reply).toContain(
      'there is no directory source "nope"; directory sources you may use: file, github, google, slack',
    );
    expect(wrong.rows.at(-1)).toMatchObject({ kind: 'attempt', outcome: 'unknown_resource' });
    const bad = await run('access sync Not_A_Name');
    expect(bad.outcome).toBe('invalid');
    expect(bad.reply).toContain('source: expected a lower-case name');
    const denied = await run('access sync google', 'grace@example.com');
    expect(denied.outcome).toBe('denied');
    expect(denied.reply).toContain('access sync needs the access.sync action on directory:google');
  });
});
