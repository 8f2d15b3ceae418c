import { type DoctorReport, reportLine, reportSummary } from '../../core/doctor.ts';
import { errorMessage } from '../../core/errors.ts';
import { type DoctorInput, runDoctor } from './doctor.ts';

/** Per check at start: short, so a system that does not answer delays nothing for long. */
export const STARTUP_CHECK_TIMEOUT_MS = 5000;

/** What /readyz says about the doctor's run at start. */
export type DoctorStatus =
  | { state: 'running'; since: string }
  | { state: 'done'; ok: boolean; at: string; counts: DoctorReport['counts']; problems: string[] }
  | { state: 'error'; error: string };

export interface StartupDoctor {
  status(): DoctorStatus;
  /** Settles when the run is over (tests wait for it; the server never does). */
  done: Promise<void>;
}

/**
 * `dpbot doctor` in short form at start: run in the background (the start never waits for it),
 * its summary logged — the failures with their fixes as a warning — and its result kept for
 * /readyz's body.
 */
export function startupDoctor(input: Omit<DoctorInput, 'timeoutMs'> & { timeoutMs?: number }): StartupDoctor {
  let status: DoctorStatus = { state: 'running', since: new Date().toISOString() };
  const { log } = input;
  const done = runDoctor({
    ...input,
    short: true,
    timeoutMs: input.timeoutMs ?? STARTUP_CHECK_TIMEOUT_MS,
  }).then(
    (report) => {
      const problems = report.checks
        .filter((c) => c.status === 'fail' || c.status === 'warn')
        .map(reportLine);
      status = { state: 'done', ok: report.ok, at: report.at, counts: report.counts, problems };
      if (report.ok) log.info({ doctor: report.counts }, reportSummary(report));
      else log.warn({ doctor: report.counts, problems }, reportSummary(report));
    },
    (error: unknown) => {
      status = { state: 'error', error: errorMessage(error) };
      log.warn({ err: error }, 'doctor: the start-up check could not run');
    },
  );
  return { status: () => status, done };
}
