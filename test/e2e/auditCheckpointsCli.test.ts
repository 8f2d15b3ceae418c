import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointFile } from '../../db/audit/auditCheckpoints.ts';
import { PgAuditStore } from '../../db/stores/auditStore.ts';
import { startTestApp, typeCommand } from '../support/app.ts';
import { scaleAttempt } from '../support/auditEntries.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture } from '../support/fixture.ts';

let database: TestDatabase;
let dir: string;
let keyFile: string;
let publicKeyFile: string;

beforeAll(async () => {
  database = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'dpbot-audit-cli-'));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  keyFile = join(dir, 'checkpoint.pem');
  publicKeyFile = join(dir, 'checkpoint.pub.pem');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  const store = new PgAuditStore(database.db);
  for (let i = 1; i <= 6; i++) await store.append(scaleAttempt(i));
});
afterAll(async () => {
  await database.drop();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ DATABASE_URL: database.url });

describe('dpbot audit checkpoint and audit verify --checkpoint', () => {
  it('signs the head, then holds the log to it with only the public key; a rewrite exits 1', async () => {
    const file = join(dir, 'checkpoints.jsonl');
    const signed = await runCli(['audit', 'checkpoint', '--file', file], {
      env: { ...env(), DPBOT_AUDIT_CHECKPOINT_KEY_FILE: keyFile },
    });
    expect(signed.stdout).toMatch(/Checkpoint written to .*checkpoints\.jsonl: row 6, [0-9a-f]{64}\./);
    expect(signed.code).toBe(0);

    const intact = await runCli(['audit', 'verify', '--checkpoint', file, '--public-key', publicKeyFile], {
      env: env(),
    });
    expect(intact.stdout).toMatch(
      /Audit log intact: 6 row\(s\), every link recomputed and verified; 1 signed checkpoint\(s\) matched \(latest: row 6, signed at .*\)\./,
    );
    expect(intact.code).toBe(0);

    await database.query(
      `BEGIN; ALTER TABLE audit_log DISABLE TRIGGER USER;
       UPDATE audit_log SET decision = 'deny' WHERE id = 6;
       UPDATE audit_log a SET hash = audit_row_hash(a) WHERE id = 6;
       UPDATE audit_head SET last_hash = (SELECT hash FROM audit_log WHERE id = 6);
       ALTER TABLE audit_log ENABLE TRIGGER USER; COMMIT`,
    );
    expect((await runCli(['audit', 'verify'], { env: env() })).code).toBe(0);
    const caught = await runCli(['audit', 'verify', '--checkpoint', file, '--public-key', publicKeyFile], {
      env: env(),
    });
    expect(caught.stdout).toMatch(/Audit log BROKEN at row 6: row 6 differs from the checkpoint signed at/);
    expect(caught.code).toBe(1);
  });

  it('a serving process signs the head at its interval, into the data folder by default', async () => {
    const own = await createTestDatabase();
    const fixture = createFixture({ config: { audit: { checkpoints: { interval: '1s' } } } });
    const app = await startTestApp(fixture, own, {
      runWorkers: true,
      env: { DPBOT_AUDIT_CHECKPOINT_KEY_FILE: keyFile },
    });
    try {
      const r = await typeCommand(app, 'whoami', { email: 'ada@example.com' });
      expect(r.outcome).toBe('ok');
      const file = join(dirname(fixture.configPath), '.dpbot', 'audit-checkpoints.jsonl');
      const last = await app.services.audit.search({ limit: 1 });
      const read = await eventually(async () => {
        const found = await readCheckpointFile(file, createPublicKey(readFileSync(publicKeyFile, 'utf8')));
        expect(found.checkpoints.at(-1)?.id).toBe(last[0]?.id);
        return found;
      }, 15_000);
      expect(read.problems).toEqual([]);
      expect(await app.services.audit.verify({ checkpoints: read.checkpoints })).toMatchObject({ ok: true });
    } finally {
      await app.close();
      await own.drop();
      fixture.remove();
    }
  });

  it('says what key is missing, and where to get one', async () => {
    const file = join(dir, 'none.jsonl');
    const noKey = await runCli(['audit', 'checkpoint', '--file', file], { env: env() });
    expect(noKey.stderr).toContain('DPBOT_AUDIT_CHECKPOINT_KEY: not set');
    expect(noKey.code).not.toBe(0);
    writeFileSync(file, '');
    const noPublic = await runCli(['audit', 'verify', '--checkpoint', file], { env: env() });
    expect(noPublic.stderr).toContain('pass --public-key <file> or set DPBOT_AUDIT_CHECKPOINT_PUBLIC_KEY');
    expect(noPublic.code).not.toBe(0);
  });
});
