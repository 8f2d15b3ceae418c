import { InvalidArgumentError, Option, type Command as Program } from 'commander';
import { stringify as csvStringify } from 'csv-stringify/sync';
import { errorMessage } from '../../core/errors.ts';
import { parseSince } from '../../core/time.ts';
import { PgAuditStore } from '../../db/stores/auditStore.ts';
import { openMigratedDatabase } from '../app.ts';
import { type Cli, Exit } from './context.ts';

/** `dpbot audit verify` and `dpbot audit export --since <when> [--format jsonl|csv]` */
export function registerAudit(program: Program, cli: Cli): void {
  const { io } = cli;
  const auditCmd = program.command('audit').description('audit log tools');
  auditCmd
    .command('verify')
    .description('recompute the hash chain and report the first broken link')
    .action(async () => {
      const loaded = cli.config();
      const database = await openMigratedDatabase(loaded, io.env, cli.logger(loaded, 'warn'));
      try {
        const result = await new PgAuditStore(database.db).verify();
        if (result.ok) cli.out(`Audit log intact: ${result.rows} row(s), every link verified.`);
        else {
          cli.out(
            `Audit log BROKEN at row ${result.brokenAt}: ${result.problem} (${result.rows} row(s) checked)`,
          );
          throw new Exit(1);
        }
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
