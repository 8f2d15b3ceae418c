import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import type { TestProject } from 'vitest/node';
import { connect } from '../../db/connect.ts';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '../../db/embedded.ts';
import { runMigrations } from '../../db/migrate.ts';
import { startJobs } from '../../pipeline/jobs.ts';
import { formatReport, readTallies } from '../contract/support/contractReport.ts';
import { databaseUrl } from './urls.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDb: string;
    /** Where each test file leaves its contract counts (test/support/contractExchanges.ts). */
    contractReportDir: string;
  }
}

/**
 * One PostgreSQL for the run: TEST_DATABASE_URL or DATABASE_URL when set (CI points it at the
 * machine's server), otherwise an embedded one in a temporary folder. A template database is
 * migrated once; every test file clones it and drops its clone. And a folder for the contract
 * counts, printed as the contract report at the end of the run.
 */
export default async function setup(project: TestProject) {
  const log = pino({ level: 'silent' });
  let adminUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  let embedded: EmbeddedPostgresHandle | undefined;
  let dataDir: string | undefined;
  if (!adminUrl) {
    dataDir = mkdtempSync(join(tmpdir(), 'dpbot-test-pg-'));
    // As root the server runs as "postgres", which must be able to enter the folder.
    chmodSync(dataDir, 0o755);
    embedded = await startEmbeddedPostgres({ dataDir, port: 0, log });
    adminUrl = embedded.url;
  }
  const templateDb = `dpbot_tpl_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${templateDb}`);
  await admin.end();
  const { pool } = connect(databaseUrl(adminUrl, templateDb), 2, log);
  await runMigrations(pool, log);
  await pool.end();
  // pg-boss installs its schema on first start; doing it once here spares every clone the work.
  const jobs = await startJobs({
    url: databaseUrl(adminUrl, templateDb),
    log,
    pollIntervalSeconds: 1,
    schedule: false,
  });
  await jobs.stop();

  project.provide('adminUrl', adminUrl);
  project.provide('templateDb', templateDb);
  const contractReportDir = mkdtempSync(join(tmpdir(), 'dpbot-contract-'));
  project.provide('contractReportDir', contractReportDir);

  return async () => {
    // The contract report, once for the run: what every test file's exchanges added up to.
    console.log(`\n${formatReport(readTallies(contractReportDir))}\n`);
    rmSync(contractReportDir, { recursive: true, force: true });
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${templateDb} WITH (FORCE)`);
    await client.end();
    await embedded?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
}
