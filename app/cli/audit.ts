import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command as Program } from 'commander';
import { stringify as csvStringify } from 'csv-stringify/sync';
import { ConfigError, errorMessage } from '../../core/errors.ts';
import { parseSince } from '../../core/time.ts';
import {
  type ReadCheckpoints,
  readCheckpointFile,
  writeCheckpoint,
} from '../../db/audit/auditCheckpoints.ts';
import type { ChainAnchor } from '../../db/audit/verifyAuditChain.ts';
import { PgAuditStore } from '../../db/stores/auditStore.ts';
import { openMigratedDatabase } from '../app.ts';
import {
  CHECKPOINT_KEY,
  CHECKPOINT_PUBLIC_KEY,
  checkpointFile,
  checkpointSignerFromEnv,
  checkpointVerifierFromEnv,
} from '../auditCheckpointSettings.ts';
import { type Cli, Exit } from './context.ts';

/** `dpbot audit verify [--checkpoint <file>]`, `dpbot audit checkpoint` and `dpbot audit export --since <when> [--format jsonl|csv]` */
export function registerAudit(program: Program, cli: Cli): void {
  const { io } = cli;
  const auditCmd = program.command('audit').description('audit log tools');
  auditCmd
    .command('verify')
    .description('recompute the hash chain here and report the first broken link')
    .option('--checkpoint <file>', 'hold the log to the signed checkpoints in this file')
    .option('--public-key <file>', `the checkpoints' public key (default: $${CHECKPOINT_PUBLIC_KEY})`)
    .action(async (opts: { checkpoint?: string; publicKey?: string }) => {
      const loaded = cli.config();
      let checkpoints: ReadCheckpoints | undefined;
      if (opts.checkpoint) {
        const publicKey = checkpointVerifierFromEnv(
          io.env,
          opts.publicKey ? readFileSync(resolve(io.cwd, opts.publicKey), 'utf8') : undefined,
        );
        checkpoints = await readCheckpointFile(resolve(io.cwd, opts.checkpoint), publicKey);
        for (const problem of checkpoints.problems) cli.out(`Checkpoint file ${opts.checkpoint}: ${problem}`);
        if (checkpoints.checkpoints.length === 0 && checkpoints.problems.length === 0)
          cli.out(`Checkpoint file ${opts.checkpoint} holds no checkpoints yet.`);
      }
      const database = await openMigratedDatabase(loaded, io.env, cli.logger(loaded, 'warn'));
      try {
        const result = await new PgAuditStore(database.db).verify(
          checkpoints ? { checkpoints: checkpoints.checkpoints } : {},
        );
        if (!result.ok) {
          cli.out(
            `Audit log BROKEN at row ${result.brokenAt}: ${result.problem} (${result.rows} row(s) checked)`,
          );
          throw new Exit(1);
        }
        const latest = checkpoints?.checkpoints.reduce<ChainAnchor | undefined>(
          (best, c) => (best && best.id >= c.id ? best : c),
          undefined,
        );
        cli.out(
          `Audit log intact: ${result.rows} row(s), every link recomputed and verified` +
            (checkpoints
              ? `; ${result.checkpoints} signed checkpoint(s) matched${latest ? ` (latest: row ${latest.id}, signed at ${latest.signedAt})` : ''}.`
              : '.'),
        );
        // A checkpoint file someone altered is a finding even when the log itself is intact.
        if (checkpoints && checkpoints.problems.length > 0) throw new Exit(1);
      } finally {
        await database.close();
      }
    });
  auditCmd
    .command('checkpoint')
    .description(`sign the chain's head into the checkpoint file now (needs $${CHECKPOINT_KEY})`)
    .option('--file <file>', 'the checkpoint file (default: audit.checkpoints.file)')
    .action(async (opts: { file?: string }) => {
      const loaded = cli.config();
      const signer = checkpointSignerFromEnv(io.env);
      if (!signer)
        throw new ConfigError('environment', [
          `${CHECKPOINT_KEY}: not set; checkpoints are signed with an Ed25519 private key (openssl genpkey -algorithm ed25519)`,
        ]);
      const file = opts.file ? resolve(io.cwd, opts.file) : checkpointFile(loaded);
      const database = await openMigratedDatabase(loaded, io.env, cli.logger(loaded, 'warn'));
      try {
        const result = await writeCheckpoint(database.pool, { file, signer, now: new Date() });
        if ('broken' in result) {
          cli.out(
            `Audit log BROKEN at row ${result.broken.brokenAt}: ${result.broken.problem}; no checkpoint written`,
          );
          throw new Exit(1);
        }
        if ('empty' in result) cli.out('The audit log is empty; nothing to sign.');
        else if ('unchanged' in result)
          cli.out(`The head is still row ${result.unchanged.id}, already signed in ${file}.`);
        else cli.out(`Checkpoint written to ${file}: row ${result.written.id}, ${result.written.hash}.`);
      } finally {
        await database.close();
      }
    });
  auditCmd
    .command('export')
    .description('write audit rows to stdout, oldest first')
    .requiredOption('--since <when>', 'a duration (7d, 24h) or a date (2026-11-01)', (v: string) => {
      try {
        return parseSince(v, new Date());
      } catch (error) {
        throw new InvalidArgumentError(errorMessage(error));
      }
    })
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'csv']).default('jsonl'))
    .action(async (opts: { since: Date; format: 'jsonl' | 'csv' }) => {
      const loaded = cli.config();
      const database = await openMigratedDatabase(loaded, io.env, cli.logger(loaded, 'warn'));
      try {
        let header = opts.format === 'csv';
        const count = await new PgAuditStore(database.db).export(opts.since, (rows) => {
          if (opts.format === 'jsonl') {
            io.stdout.write(
              rows
                .map((r) => JSON.stringify(r))
                .join('\n')
                .concat('\n'),
            );
            return;
          }
          const records = rows.map((r) => ({
            ...r,
            at: r.at.toISOString(),
            args: r.args === null ? '' : JSON.stringify(r.args),
            grantRef: r.grantRef === null ? '' : JSON.stringify(r.grantRef),
            detail: r.detail === null ? '' : JSON.stringify(r.detail),
          }));
          io.stdout.write(csvStringify(records, { header }));
          header = false;
        });
        cli.err(`${count} row(s) exported`);
      } finally {
        await database.close();
      }
    });
}
