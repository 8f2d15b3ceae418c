import type { Logger } from 'pino';
import type { Env } from '../../core/config/secrets.ts';
import type { DoctorCheck, Finding } from '../../core/doctor.ts';
import { errorMessage, UpstreamError } from '../../core/errors.ts';
import type { Config } from '../config/schema.ts';

/** What every system's checks are planned from: the configuration dpbot runs with, as loaded. */
export interface DoctorContext {
  config: Config;
  /** The configuration file's folder, for relative paths. */
  configDir: string;
  env: Env;
  log: Logger;
  /** Whether the configuration points this system (or directory source) at a sandbox simulator. */
  simulated(system: string): boolean;
}

/** A check with nothing to do but report: `skip` (not configured) or a configuration failure. */
export function noteCheck(
  system: string,
  subject: string,
  simulated: boolean,
  finding: Finding,
): DoctorCheck {
  return { system, subject, simulated, run: async () => finding };
}

export const notConfigured = (what: string): Finding => ({
  status: 'skip',
  message: `not configured (${what})`,
});

/** A system dpbot needs that cannot be checked: one failing line that says what to set. */
export function cannotCheck(system: string, simulated: boolean, message: string, fix: string): DoctorCheck[] {
  return [noteCheck(system, '', simulated, { status: 'fail', message, fix })];
}

/**
 * A system's call that failed: the fix for credentials it refused (401), else for an address or
 * a network that does not reach it.
 */
export const callFailed =
  (fixes: { refused: string; unreachable: string }) =>
  (error: unknown): Finding => ({
    status: 'fail',
    message: errorMessage(error),
    fix: error instanceof UpstreamError && error.status === 401 ? fixes.refused : fixes.unreachable,
  });
