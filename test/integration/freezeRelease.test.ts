import type { BlockBuilder } from 'slack-block-builder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocks } from '../../pipeline/message.ts';
import { APPROVE_ACTION, CONFIRM_ACTION } from '../../pipeline/views/common.ts';
import { eventually } from '../support/eventually.ts';
import {
  buttons,
  press,
  type Ran,
  type ReleaseWorld,
  run,
  SINCE,
  startReleaseWorld,
} from '../support/release.ts';

const ADA = 'ada@example.com'; // data-platform: every action, the release.ship.frozen exception included
const GRACE = 'grace@example.com'; // owner of orders-api; may freeze it, and ship
const LINUS = 'linus@example.com'; // may ship, and ship during a freeze only with a second person

let world: ReleaseWorld;

beforeAll(async () => {
  world = await startReleaseWorld({
    top: {
      freezes: {
        timezone: 'Europe/Berlin',
        // A dated window around any day the test runs: ingest is frozen throughout.
        windows: [
          {
            name: 'ingest-migration',
            from: '2020-01-01T00:00',
            to: '2099-12-31T00:00',
            services: ['ingest'],
            reason: 'the ingest database moves',
          },
        ],
      },
    },
    grants: [
      { user: GRACE, actions: ['release.freeze'], resources: ['service:orders-api'] },
      { user: GRACE, actions: ['release.ship'], resources: ['release:*'] },
      { user: LINUS, actions: ['release.ship'], resources: ['release:*'] },
      {
        user: LINUS,
        actions: ['release.ship.frozen'],
        resources: ['release:*'],
        approval: { group: 'file:data-platform', count: 1 },
      },
    ],
  });
});
afterAll(() => world.close());

const firstButton = (r: Ran) => buttons(r.responder.sent[0]?.message.blocks as never)[0]?.value ?? '';
const freezesRows = async () =>
  (
    await world.database.query<{
      id: number;
      services: string[];
      reason: string;
      created_by: string;
      lifted_by: string | null;
    }>('SELECT id, services, reason, created_by, lifted_by FROM freezes ORDER BY id')
  ).rows;
const homePanel = async (email: string) => {
  const freeze = world.app.capabilities.find((c) => c.name === 'freeze');
  const caller = await world.app.services.identity.resolve({ email });
  const built: BlockBuilder[] = [];
  for (const panel of freeze?.homePanels ?? []) built.push(...(await panel({ caller })));
  return JSON.stringify(blocks(...built));
};
const confirmationAsked = (r: Ran) => r.rows.some((row) => row.outcome === 'confirmation_requested');

describe('ad hoc freezes', () => {
  it('refuses a freeze without a reason, in the past, or beyond the grant, each saying what to do', async () => {
    const noReason = await run(world, 'freeze orders-api until 2h', GRACE);
    expect(noReason.outcome).toBe('invalid');
    expect(noReason.texts.join('\n')).toContain('say why with --reason');
    const noTime = await run(world, 'freeze orders-api --reason "x"', GRACE);
    expect(noTime.outcome).toBe('invalid');
    expect(noTime.texts.join('\n')).toContain('say until when');
    const past = await run(world, 'freeze orders-api until 2021-01-01T09:00 --reason "too late"', GRACE);
    expect(past.outcome).toBe('rejected');
    expect(past.texts.join('\n')).toMatch(/2021-01-01T09:00 has already passed .*give a time in the future/);
    expect(past.rows.at(-1)).toMatchObject({ kind: 'outcome', outcome: 'rejected' });
    const notTime = await run(world, 'freeze orders-api until someday --reason "x"', GRACE);
    expect(notTime.outcome).toBe('rejected');
    expect(notTime.texts.join('\n')).toContain('use a duration (2h, 3d)');
    const all = await run(world, 'freeze all until 2h --reason "x"', GRACE);
    expect(all.outcome).toBe('denied');
    expect(await freezesRows()).toEqual([]);
  });

  it('stores a freeze with who, why and until when, audited, and shows it on the App Home', async () => {
    const frozen = await run(world, 'freeze orders-api until 2h --reason "incident INC-42"', GRACE);
    expect(frozen.outcome).toBe('ok');
    expect(frozen.texts[0]).toMatch(/froze deploys of orders-api until .* \(freeze #1\): incident INC-42/);
    expect(await freezesRows()).toEqual([
      { id: 1, services: ['orders-api'], reason: 'incident INC-42', created_by: GRACE, lifted_by: null },
    ]);
    expect(frozen.rows.find((r) => r.outcome === 'frozen')).toMatchObject({
      kind: 'step',
      action: 'release.freeze',
      resource: 'service:orders-api',
      detail: expect.objectContaining({ freezeId: 1, services: ['orders-api'], reason: 'incident INC-42' }),
    });
    const panel = await homePanel(LINUS);
    expect(panel).toContain('Deploys of orders-api frozen (freeze #1) by grace@example.com until');
    expect(panel).toContain(
      'Deploys of ingest frozen (window ingest-migration) by the configuration until 2099-12-30 23:00 UTC (Thu 00:00 Europe/Berlin): the ingest database moves',
    );
    const listed = await run(world, 'freezes', LINUS);
    expect(listed.texts[0]).toContain('incident INC-42');
    expect(listed.texts[0]).toContain('the ingest database moves');
  });
});

describe('a ship during a freeze', () => {
  it('is refused before any confirmation, saying who froze, why and until when', async () => {
    expect((await run(world, `release start --since ${SINCE}`, ADA)).outcome).toBe('ok');
    expect((await run(world, 'release include orders-api', GRACE)).outcome).toBe('ok');
    expect((await run(world, 'release include catalog', LINUS)).outcome).toBe('ok');
    expect((await run(world, 'release include ingest', ADA)).outcome).toBe('ok');

    // The release message says it before anyone presses Ship, and follows a freeze set or lifted.
    const releaseTs = world.notifier.posted.find((p) => p.channel === '#releases' && !p.threadTs)?.ts ?? '';
    const releaseText = () => world.notifier.latest(releaseTs)?.text ?? '';
    expect(releaseText()).toContain('Frozen: Deploys of orders-api frozen (freeze #1)');
    expect((await run(world, 'freeze catalog until 30m --reason "schema check"', ADA)).outcome).toBe('ok');
    await eventually(() =>
      expect(releaseText()).toContain('Frozen: Deploys of catalog frozen (freeze #2) by ada@example.com'),
    );
    expect((await run(world, 'unfreeze catalog', ADA)).outcome).toBe('ok');
    await eventually(() => expect(releaseText()).not.toContain('freeze #2'));
    const status = await run(world, 'release status', LINUS);
    expect(status.texts[0]).toContain(
      'Frozen: Deploys of orders-api frozen (freeze #1) by grace@example.com',
    );
    expect(status.texts[0]).toContain('Frozen: Deploys of ingest frozen (window ingest-migration)');

    const refused = await run(world, 'release ship', GRACE);
    expect(refused.outcome).toBe('conflict');
    const said = refused.texts.join('\n');
    expect(said).toContain('Deploys of orders-api frozen (freeze #1) by grace@example.com until');
    expect(said).toContain('incident INC-42');
    expect(said).toContain('Deploys of ingest frozen (window ingest-migration) by the configuration');
    expect(said).toContain('ask someone who holds release.ship.frozen');
    expect(confirmationAsked(refused)).toBe(false);
    expect(refused.rows.at(-1)).toMatchObject({
      kind: 'outcome',
      outcome: 'conflict',
      action: 'release.ship',
    });
    expect(world.argocd.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('lets a rollback through: recovery is not frozen unless the configuration says so', async () => {
    const asked = await run(world, 'rollback orders-api', GRACE);
    expect(asked.outcome).toBe('awaiting_confirmation');
  });

  it('asks the holder of release.ship.frozen for a reason, and names a closed Argo CD sync window before confirming', async () => {
    const noReason = await run(world, 'release ship', LINUS);
    expect(noReason.outcome).toBe('rejected');
    expect(noReason.texts.join('\n')).toContain(
      'You hold release.ship.frozen and may go ahead as an exception, with a reason: add --reason',
    );

    // Argo CD's own window: catalog's applications may not sync now.
    world.argocd.syncWindows.set('default', [
      { kind: 'deny', schedule: '* * * * *', duration: '2h', applications: ['catalog-*'] },
    ]);
    const closed = await run(world, 'release ship --reason "INC-42 fix cannot wait"', LINUS);
    expect(closed.outcome).toBe('conflict');
    const said = closed.texts.join('\n');
    expect(said).toContain(
      `catalog-api: Argo CD's sync windows block a sync now, inside deny window "* * * * *" for 2h`,
    );
    expect(said).toContain('catalog-worker:');
    expect(said).not.toContain('orders-api:');
    expect(confirmationAsked(closed)).toBe(false);
    expect(world.argocd.requests.some((r) => r.path === '/api/v1/applications/catalog-api/syncwindows')).toBe(
      true,
    );
    world.argocd.syncWindows.clear();
  });

  it('goes ahead with a reason and a second person, the reason in the audit log', async () => {
    const asked = await run(world, 'release ship --reason "INC-42 fix cannot wait"', LINUS);
    expect(asked.outcome).toBe('awaiting_confirmation');
    const question = JSON.stringify(asked.responder.sent[0]?.message.blocks);
    expect(question).toContain('freeze #1');
    expect(question).toContain('INC-42 fix cannot wait');
    const confirmed = await press(world, CONFIRM_ACTION, firstButton(asked), LINUS);
    expect(confirmed.outcome).toBe('awaiting_approval');
    const pending = firstButton(confirmed);
    // Not by the requester: another member of the approver group.
    expect((await press(world, APPROVE_ACTION, pending, LINUS)).outcome).toBe('denied');
    expect((await press(world, APPROVE_ACTION, pending, ADA)).outcome).toBe('ok');

    const rows = await world.database.query<{
      outcome: string;
      email: string;
      detail: Record<string, unknown> | null;
    }>('SELECT outcome, email, detail FROM audit_log WHERE request_id = $1 ORDER BY id', [asked.requestId]);
    const exception = rows.rows.find((r) => r.outcome === 'freeze_exception');
    expect(exception?.email).toBe(LINUS);
    expect(exception?.detail).toMatchObject({
      reason: 'INC-42 fix cannot wait',
      freezes: expect.arrayContaining([
        expect.objectContaining({ freeze: 'freeze #1', by: GRACE, reason: 'incident INC-42' }),
        expect.objectContaining({ freeze: 'window ingest-migration', by: 'the configuration' }),
      ]),
    });
    expect(rows.rows.map((r) => r.outcome)).toEqual(expect.arrayContaining(['approval_given', 'ok']));
    await eventually(
      async () => {
        const r = await world.database.query('SELECT status FROM releases WHERE id = 1');
        expect(r.rows[0]).toEqual({ status: 'shipped' });
      },
      30_000,
      200,
    );
  });
});

describe('unfreezing', () => {
  it('is audited with who lifted it; configured windows stay', async () => {
    expect((await run(world, 'unfreeze orders-api', LINUS)).outcome).toBe('denied');
    const lifted = await run(world, 'unfreeze orders-api', GRACE);
    expect(lifted.outcome).toBe('ok');
    expect(lifted.texts[0]).toMatch(/lifted freeze #1 at .*Deploys of orders-api may go ahead\./);
    expect((await freezesRows())[0]).toMatchObject({ id: 1, lifted_by: GRACE });
    expect(lifted.rows.find((r) => r.outcome === 'unfrozen')).toMatchObject({
      kind: 'step',
      email: GRACE,
      detail: expect.objectContaining({ lifted: [1], liftedBy: GRACE }),
    });
    const again = await run(world, 'unfreeze orders-api', GRACE);
    expect(again.outcome).toBe('conflict');
    expect(again.texts.join('\n')).toContain('no ad hoc freeze of orders-api to lift');
    const panel = await homePanel(LINUS);
    expect(panel).not.toContain('freeze #1');
    expect(panel).toContain('window ingest-migration');
  });

  it('narrows a freeze of several services, and keeps a freeze of all until "unfreeze all"', async () => {
    expect((await run(world, 'freeze orders-api catalog until 1h --reason "two at once"', ADA)).outcome).toBe(
      'ok',
    );
    const narrowed = await run(world, 'unfreeze catalog', ADA);
    expect(narrowed.outcome).toBe('ok');
    expect(narrowed.texts[0]).toContain('freeze #3 now covers only orders-api');
    expect((await freezesRows()).find((r) => r.id === 3)).toMatchObject({
      services: ['orders-api'],
      lifted_by: null,
    });

    expect((await run(world, 'freeze all until 1h --reason "everything"', ADA)).outcome).toBe('ok');
    const partial = await run(world, 'unfreeze orders-api', ADA);
    expect(partial.outcome).toBe('ok');
    expect(partial.texts[0]).toContain('lifted freeze #3');
    expect(partial.texts[0]).toContain('freeze #4 covers all services: "unfreeze all" lifts it');
    expect((await run(world, 'unfreeze all', ADA)).texts[0]).toContain('lifted freeze #4');
    expect((await freezesRows()).filter((r) => r.lifted_by === null)).toEqual([]);
  });
});

describe('with freezes.blockRollbacks', () => {
  let strict: ReleaseWorld;
  beforeAll(async () => {
    strict = await startReleaseWorld({
      top: {
        freezes: {
          blockRollbacks: true,
          windows: [{ name: 'all-year', from: '2020-01-01T00:00', to: '2099-12-31T00:00', reason: 'audit' }],
        },
      },
    });
  });
  afterAll(() => strict.close());

  it('refuses a rollback too, and lets the exception through with a reason', async () => {
    const refused = await run(strict, 'rollback orders-api', GRACE);
    expect(refused.outcome).toBe('conflict');
    expect(refused.texts.join('\n')).toContain('All deploys frozen (window all-year) by the configuration');
    expect(refused.texts.join('\n')).toContain('Nothing was rolled back');
    expect((await run(strict, 'rollback orders-api', ADA)).outcome).toBe('rejected');
    expect((await run(strict, 'rollback orders-api --reason "bad build"', ADA)).outcome).toBe(
      'awaiting_confirmation',
    );
  });
});
