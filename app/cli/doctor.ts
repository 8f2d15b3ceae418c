import { InvalidArgumentError, type Command as Program } from 'commander';
import { parseDuration } from '../../core/config/duration.ts';
import { anySimulated } from '../../core/config/sandbox.ts';
import { type DoctorReport, reportLine } from '../../core/doctor.ts';
import { errorMessage } from '../../core/errors.ts';
import type { Database } from '../../db/connect.ts';
import { openConfiguredDatabase } from '../app.ts';
import { pointedAtSimulators, runDoctor } from '../doctor/doctor.ts';
import { type Cli, Exit } from './context.ts';

/** Longest time one check may take unless --timeout says otherwise. */
export const DOCTOR_TIMEOUT = '10s';

function timeout(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError('expected a duration such as 10s or 1m');
  return ms;
}

/** `dpbot doctor [--json] [--timeout <duration>]` */
export function registerDoctor(program: Program, cli: Cli): void {
  program
    .command('doctor')
    .description(
      'check every configured system with the credentials dpbot uses, one line per check with the fix; exit 1 when something needed is missing',
    )
    .option('--json', 'print one JSON document (for scripts) instead of lines')
    .option('--timeout <duration>', 'longest time one check may take', timeout, timeout(DOCTOR_TIMEOUT))
    .action(async (opts: { json?: boolean; timeout: number }) => {
      const loaded = cli.config();
      const log = cli.logger(loaded, 'error');
      // With the sandbox, the simulators are started and checked like real systems (and marked).
      const sandbox = anySimulated(loaded.config.sandbox)
        ? await import('../sandbox/index.ts').then(({ startSandbox }) => startSandbox(loaded.config))
        : undefined;
      const env = sandbox ? sandbox.envFor(cli.io.env) : cli.io.env;
      let database: Database | Error;
      try {
        database = await openConfiguredDatabase(loaded, env, log);
      } catch (error) {
        database = error instanceof Error ? error : new Error(errorMessage(error));
      }
      let report: DoctorReport;
      try {
        report = await runDoctor({
          config: sandbox?.config ?? loaded.config,
          configDir: loaded.baseDir,
          env,
          log,
          simulated: sandbox ? pointedAtSimulators(loaded.config, sandbox.config) : new Set(),
          database,
          timeoutMs: opts.timeout,
        });
      } finally {
        if (!(database instanceof Error)) await database.close();
        await sandbox?.stop();
      }
      if (opts.json) cli.out(JSON.stringify(report, null, 2));
      else {
        for (const check of report.checks) cli.out(reportLine(check));
        const { ok, fail, warn, skip } = report.counts;
        cli.out(
          `\n${report.ok ? 'Everything dpbot needs is in place' : 'Something dpbot needs is missing'}: ${ok} ok, ${fail} failed, ${warn} warning(s), ${skip} skipped.`,
        );
      }
      if (!report.ok) throw new Exit(1);
    });
}
