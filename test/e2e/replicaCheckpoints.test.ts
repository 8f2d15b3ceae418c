import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoints } from '../../db/audit/auditCheckpoints.ts';
import type { SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { type DpbotProcess, slackPortOf, startDpbotProcess } from '../support/dpbotProcess.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { slackWithPeople } from '../support/slack.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

let sim: SlackSimulator;
let fixture: Fixture;
let database: TestDatabase;
let replicas: DpbotProcess[] = [];
let file: string;

const signs = (r: DpbotProcess) => r.lines.some((l) => l.msg === 'this replica signs the audit checkpoints');
const wrote = (r: DpbotProcess) => r.lines.filter((l) => l.msg === 'audit checkpoint written').length;
const checkpoints = () => {
  const read = readCheckpoints(existsSync(file) ? readFileSync(file, 'utf8') : '', publicKey);
  expect(read.problems).toEqual([]);
  return read.checkpoints;
};
/** Moves the chain's head, so the next tick has something to sign. */
const addRow = (tag: string) =>
  database.query(`INSERT INTO audit_log (request_id, kind, entry) VALUES ($1, 'event', 'system')`, [tag]);

beforeAll(async () => {
  sim = slackWithPeople();
  await sim.start();
  // Every replica points at one checkpoint file (a shared volume in production).
  fixture = createFixture({
    config: {
      slack: { apiUrl: sim.apiUrl },
      audit: { checkpoints: { file: 'shared/audit-checkpoints.jsonl', interval: '300ms' } },
    },
  });
  file = join(fixture.dir, 'shared/audit-checkpoints.jsonl');
  database = await createTestDatabase();
  const start = () =>
    startDpbotProcess({
      configPath: fixture.configPath,
      databaseUrl: database.url,
      logLevel: 'debug',
      env: { DPBOT_AUDIT_CHECKPOINT_KEY: pem },
    });
  replicas = [start(), start(), start()];
  await eventually(() => {
    for (const r of replicas) expect(slackPortOf(r), JSON.stringify(r.lines.slice(-3))).toBeGreaterThan(0);
  }, 90_000);
}, 120_000);

afterAll(async () => {
  for (const r of replicas) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  await sim.stop();
  await database.drop();
  fixture.remove();
});

describe('three dpbot processes sign audit checkpoints as one', () => {
  it('one replica signs each period, not one per replica', async () => {
    let n = 0;
    await eventually(async () => {
      await addRow(`tick-${n++}`);
      expect(checkpoints().length).toBeGreaterThanOrEqual(4);
    }, 60_000);
    // One signer, and never two signatures of one head: a checkpoint per period across replicas.
    expect(replicas.filter(signs)).toHaveLength(1);
    expect(replicas.filter((r) => wrote(r) > 0)).toHaveLength(1);
    const ids = checkpoints().map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('another replica takes over when the signer dies', async () => {
    const signer = replicas.find(signs);
    if (!signer) throw new Error('a signer expected');
    signer.child.kill('SIGKILL');
    await signer.exited;
    const before = checkpoints().length;
    const others = replicas.filter((r) => r !== signer);
    let n = 0;
    await eventually(async () => {
      await addRow(`after-${n++}`);
      expect(checkpoints().length).toBeGreaterThan(before + 1);
    }, 60_000);
    expect(others.filter(signs)).toHaveLength(1);
    expect(others.filter((r) => wrote(r) > 0)).toHaveLength(1);
    const ids = checkpoints().map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
