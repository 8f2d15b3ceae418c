import { formatDuration } from './config/duration.ts';
import { errorMessage } from './errors.ts';

/**
 * `dpbot doctor`: each configured system checked with the credentials dpbot uses, one line per
 * check. The systems' checks live with the composition root (bot/doctor/); this is the shape of a
 * check, the runner that bounds each one in time, and the two ways the result is written.
 */

export type CheckStatus = 'ok' | 'fail' | 'warn' | 'skip';

/** What one check found: ok, or what is wrong and the exact change that fixes it. */
export interface Finding {
  status: CheckStatus;
  /** `may update deployments/scale in ingest`, `may not …`, `not configured`. */
  message: string;
  /** Failures and warnings: the change that fixes it, concrete enough to copy. */
  fix?: string;
}

export interface CheckResult extends Finding {
  /** `slack`, `kubernetes`, `argocd`, `argo`, `github`, `jira`, `directory`, `database`. */
  system: string;
  /** What within the system: a team, an application, a repository (empty for the system itself). */
  subject: string;
  /** The configuration points this system at a sandbox simulator. */
  simulated: boolean;
}

/** One unit of work: a few calls that answer one question, bounded in time as a whole. */
export interface DoctorCheck {
  system: string;
  subject: string;
  simulated: boolean;
  run(signal: AbortSignal): Promise<Finding | Finding[]>;
  /** The fix when it throws or runs out of time (default: a generic "check that it answers"). */
  onError?: (error: unknown) => Finding;
}

export interface DoctorReport {
  /** True when nothing failed: every needed permission is in place (warnings and skips do not count). */
  ok: boolean;
  at: string;
  counts: Record<CheckStatus, number>;
  checks: CheckResult[];
}

export interface RunOptions {
  /** Longest time one check may take before it is reported as failed. */
  timeoutMs: number;
  /** Checks running at once (the systems' rate limits are shared with the running bot). */
  concurrency?: number;
  now?: () => Date;
}

/** Abort reason for a check that ran out of time. */
class CheckTimeout extends Error {
  override readonly name = 'CheckTimeout';
}

async function runOne(check: DoctorCheck, timeoutMs: number): Promise<Finding[]> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new CheckTimeout(`no answer within ${formatDuration(timeoutMs)}`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  const work = check.run(controller.signal);
  // A check that lost the race still settles later; nothing should report it as unhandled.
  work.catch(() => undefined);
  try {
    const found = await Promise.race([work, expired]);
    return Array.isArray(found) ? found : [found];
  } catch (error) {
    if (check.onError && !(error instanceof CheckTimeout)) return [check.onError(error)];
    return [
      {
        status: 'fail',
        message:
          error instanceof CheckTimeout
            ? `${error.message}`
            : `the check failed: ${errorMessage(error).replace(/\s+/g, ' ').slice(0, 400)}`,
        fix:
          error instanceof CheckTimeout
            ? `make sure dpbot can reach ${check.system} from where it runs, then run dpbot doctor again`
            : `make sure ${check.system} answers dpbot with the configured address and credentials, then run dpbot doctor again`,
      },
    ];
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the checks (a few at once), each within `timeoutMs`; results keep the checks' order. */
export async function runChecks(checks: readonly DoctorCheck[], options: RunOptions): Promise<DoctorReport> {
  const results: CheckResult[][] = new Array(checks.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < checks.length; i = next++) {
      const check = checks[i] as DoctorCheck;
      const found = await runOne(check, options.timeoutMs);
      results[i] = found.map((f) => ({
        system: check.system,
        subject: check.subject,
        simulated: check.simulated,
        ...f,
      }));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  const flat = results.flat();
  const counts: Record<CheckStatus, number> = { ok: 0, fail: 0, warn: 0, skip: 0 };
  for (const r of flat) counts[r.status]++;
  return {
    ok: counts.fail === 0,
    at: (options.now?.() ?? new Date()).toISOString(),
    counts,
    checks: flat,
  };
}

const WORD: Record<CheckStatus, string> = { ok: 'ok', fail: 'FAIL', warn: 'warn', skip: 'skip' };

/** `ok   kubernetes team-x: may update deployments/scale in ingest`, `FAIL … — fix`. */
export function reportLine(result: CheckResult): string {
  const where = [result.system, result.subject].filter(Boolean).join(' ');
  const simulated = result.simulated ? ' (simulated)' : '';
  const fix = result.fix ? ` — ${result.fix}` : '';
  return `${WORD[result.status].padEnd(4)} ${where}${simulated}: ${result.message}${fix}`;
}

/** The counts in one line, and the failures named: what the start-up log says. */
export function reportSummary(report: DoctorReport): string {
  const { ok, fail, warn, skip } = report.counts;
  const counts = `${ok} ok, ${fail} failed, ${warn} warning(s), ${skip} skipped`;
  if (report.ok) return `doctor: everything needed is in place (${counts})`;
  return `doctor: ${counts}; run \`dpbot doctor\` for the fixes`;
}
