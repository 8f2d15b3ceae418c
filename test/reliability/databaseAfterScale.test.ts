import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { startTestApp, typeCommand } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { type RunningKubernetes, startKubernetes } from '../support/kubernetes.ts';
import { TcpProxy } from '../support/tcpProxy.ts';
import { seedClusters, workersConfig, workersPolicies } from '../support/workers.ts';

let kube: RunningKubernetes;
let fixture: Fixture;
let database: TestDatabase;
let proxy: TcpProxy;
let app: App;

beforeAll(async () => {
  kube = await startKubernetes(seedClusters, { readyStep: 2 });
  fixture = createFixture({ config: workersConfig(kube.kubeconfigPath), policies: workersPolicies });
  database = await createTestDatabase();
  const proxied = await TcpProxy.forDatabase(database.url);
  proxy = proxied.proxy;
  app = await startTestApp(fixture, database, { env: { DATABASE_URL: proxied.url }, runWorkers: true });
}, 60_000);

afterAll(async () => {
  proxy.restore();
  await app.close();
  await proxy.stop();
  await database.drop();
  await kube.stop();
  fixture.remove();
});

/** The `scaled` step's INSERT as node-pg sends it: the prepared statement's name and its values. */
const scaledStep = (chunk: Buffer) => chunk.includes('dpbot.audit.append') && chunk.includes('scaled');

describe('the database lost right after a scale was made', () => {
  it('says the scale was made, and writes the outcome when the database is back', async () => {
    proxy.cutAfter(scaledStep);
    const r = await typeCommand(app, 'scale team-x 8 --reason "backfill lag"', {
      email: 'grace@example.com',
      channel: 'C-ONCALL',
    });
    // The change is made and its step recorded; the database went away before the request ended.
    expect(kube.sim.replicas('Deployment', 'team-x', 'ingest-workers')).toBe(8);
    expect(r.outcome).toBe('audit_unavailable');
    const said = r.responder.texts().join('\n');
    expect(said).toContain('done: scaled team-x/workers 4 → 8');
    expect(said).toContain('dpbot keeps the record of what was done and writes it when the database is back');
    expect(said).not.toMatch(/not run/i);

    // Held on disk while the database is away, so a restart would not lose it.
    const spool = join(dirname(fixture.configPath), '.dpbot', 'audit-outbox.jsonl');
    expect(existsSync(spool) && readFileSync(spool, 'utf8')).toContain(r.requestId);

    proxy.restore();
    const rows = await eventually(async () => {
      const found = await database.query<{
        kind: string;
        outcome: string;
        detail: { recordedLate?: unknown } | null;
      }>('SELECT kind, outcome, detail FROM audit_log WHERE request_id = $1 ORDER BY id', [r.requestId]);
      expect(found.rows.map((x) => `${x.kind}:${x.outcome ?? ''}`)).toEqual([
        'attempt:',
        'step:scaled',
        'outcome:error',
      ]);
      return found.rows;
    }, 20_000);
    expect(rows[2]?.detail?.recordedLate).toEqual({
      key: expect.any(String),
      happenedAt: expect.any(String),
    });
    await eventually(() => expect(readFileSync(spool, 'utf8')).toBe(''));
    expect(await app.services.audit.verify()).toMatchObject({ ok: true });
  });

  it('lost between the change and its step: the step is held too, and both are written later', async () => {
    // The last read before the change is made (the change it replaces); then Kubernetes, then the step.
    proxy.cutAfter((chunk) => chunk.includes('"outcome" in') && chunk.includes('reverted'));
    const r = await typeCommand(app, 'scale team-x 6', { email: 'grace@example.com', channel: 'C-ONCALL' });
    expect(kube.sim.replicas('Deployment', 'team-x', 'ingest-workers')).toBe(6);
    expect(r.outcome).toBe('audit_unavailable');
    expect(r.responder.texts().join('\n')).toContain('done: scaled team-x/workers 8 → 6');
    proxy.restore();
    await eventually(async () => {
      const found = await database.query<{ kind: string; late: boolean }>(
        "SELECT kind, detail ? 'recordedLate' AS late FROM audit_log WHERE request_id = $1 ORDER BY id",
        [r.requestId],
      );
      expect(found.rows).toEqual([
        { kind: 'attempt', late: null },
        { kind: 'step', late: true },
        { kind: 'outcome', late: true },
      ]);
    }, 20_000);
    expect(await app.services.audit.verify()).toMatchObject({ ok: true });
  });

  it('a temporary scale: says its revert may not have been recorded, since it commits with the change', async () => {
    proxy.cutAfter(scaledStep);
    const r = await typeCommand(app, 'scale team-x 7 --for 1h', {
      email: 'grace@example.com',
      channel: 'C-ONCALL',
    });
    expect(kube.sim.replicas('Deployment', 'team-x', 'ingest-workers')).toBe(7);
    expect(r.outcome).toBe('audit_unavailable');
    const said = r.responder.texts().join('\n');
    expect(said).toContain('done: scaled team-x/workers 6 → 7 (its revert at ');
    expect(said).toContain(
      'may not have been recorded: if `workers team-x` shows no pending revert, scale back by hand when it is due',
    );
    proxy.restore();
    await eventually(async () => {
      const found = await database.query('SELECT 1 FROM audit_log WHERE request_id = $1 AND kind = $2', [
        r.requestId,
        'outcome',
      ]);
      expect(found.rowCount).toBe(1);
    }, 20_000);
  });
});
