import { connect } from 'node:net';
import { formatDuration } from './config/duration.ts';
import { errorMessage } from './errors.ts';

/**
 * `dpbot doctor`: each configured system checked with the credentials dpbot uses, one line per
 * check. The systems' checks live with the composition root (app/doctor/); this is the shape of a
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

/** Where a check's calls go, so that an address nothing answers at is reported as such, at once. */
export interface Endpoint {
  url: string;
  /** The setting that holds the address, named in the fix: `argocd.url`. */
  setting: string;
  /** The service, as people call it: `Argo CD`. */
  name: string;
}

/** One unit of work: a few calls that answer one question, bounded in time as a whole. */
export interface DoctorCheck {
  system: string;
  subject: string;
  simulated: boolean;
  run(signal: AbortSignal): Promise<Finding | Finding[]>;
  /** The fix when it throws or runs out of time (default: a generic "check that it answers"). */
  onError?: (error: unknown) => Finding;
  /** The address its calls go to; connected to first, so a refusal is not retried until the time bound. */
  endpoint?: Endpoint;
}

export interface DoctorReport {
  /** True when nothing failed: every needed permission is in place (warnings and skips do not count). */
  ok: boolean;
  at: string;
  counts: Record<CheckStatus, number>;
  checks: CheckResult[];
}

export interface RunOptions {
  /** Longest time one check of a real system may take before it is reported as failed. */
  timeoutMs: number;
  /**
   * Connect to each check's endpoint first (default true). Off when the calls go through a proxy,
   * where a direct connection says nothing about the way the calls take.
   */
  probeEndpoints?: boolean;
  /** Checks running at once (the systems' rate limits are shared with the running bot). */
  concurrency?: number;
  now?: () => Date;
}

/**
 * How long a check of a simulated system may take. Its simulator runs in this process, so a late
 * answer means a busy machine, never an unreachable system: it is waited for, up to a bound that
 * only a stuck simulator reaches.
 */
export const SIMULATED_CHECK_LIMIT_MS = 120_000;

/** Abort reason for a check that ran out of time. */
class CheckTimeout extends Error {
  override readonly name = 'CheckTimeout';
}

/** What connecting to an endpoint found: nothing to say (it accepts connections), or why it does not. */
type Reach = { reached: true } | { reached: false; finding: Finding };

/** Connection errors that no retry cures and no longer wait changes, with what each means. */
function unreachable(endpoint: Endpoint, hostPort: string, code: string): Finding | undefined {
  const { setting, name } = endpoint;
  const host = hostPort.replace(/:\d+$/, '');
  switch (code) {
    case 'ECONNREFUSED':
      return {
        status: 'fail',
        message: `connection refused at ${hostPort} (${setting}): nothing listens there`,
        fix: `start ${name} there, or set ${setting} to the address ${name} listens on; then run dpbot doctor again`,
      };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return {
        status: 'fail',
        message: `${host} (${setting}) does not resolve${code === 'EAI_AGAIN' ? ' (the DNS server did not answer)' : ''}`,
        fix: `set ${setting} to the address of your ${name} (not a placeholder), and check the DNS where dpbot runs; then run dpbot doctor again`,
      };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return {
        status: 'fail',
        message: `${hostPort} (${setting}) cannot be reached from here (${code})`,
        fix: `open the way from where dpbot runs to ${hostPort} (firewall, VPN, network policy), or set ${setting} to the address of ${name} that dpbot can reach`,
      };
    default:
      return undefined;
  }
}

/**
 * Opens a TCP connection to the endpoint and closes it. Only a refusal the address gives at once
 * (nothing listens, the name does not resolve, no route) is a finding; anything else, a slow
 * answer included, is left to the check itself.
 */
function reach(endpoint: Endpoint, signal: AbortSignal): Promise<Reach> {
  let url: URL;
  try {
    url = new URL(endpoint.url);
  } catch {
    return Promise.resolve({ reached: true });
  }
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const hostPort = `${url.hostname}:${port}`;
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: Reach) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => done({ reached: true });
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done({ reached: true }));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const finding = unreachable(endpoint, hostPort, error.code ?? '');
      done(finding ? { reached: false, finding } : { reached: true });
    });
  });
}

async function runOne(
  check: DoctorCheck,
  timeoutMs: number,
  reached: (endpoint: Endpoint, signal: AbortSignal) => Promise<Reach>,
): Promise<Finding[]> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const limitMs = check.simulated ? Math.max(timeoutMs, SIMULATED_CHECK_LIMIT_MS) : timeoutMs;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new CheckTimeout(
        `no answer within ${formatDuration(limitMs)}${check.simulated ? ' from its simulator' : ''}`,
      );
      controller.abort(error);
      reject(error);
    }, limitMs);
  });
  const work = (async () => {
    const endpoint = check.endpoint;
    if (endpoint) {
      const found = await reached(endpoint, controller.signal);
      if (!found.reached) return found.finding;
      // Out of time while connecting: the time bound has answered already; make no calls.
      if (controller.signal.aborted) return [];
    }
    return check.run(controller.signal);
  })();
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
            ? check.simulated
              ? 'the machine is too busy for the simulators, or one of them is stuck: run dpbot doctor again, and report it if it persists'
              : `make sure dpbot can reach ${check.system} from where it runs, then run dpbot doctor again`
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
  // One connection per address, however many checks go there.
  const connections = new Map<string, Promise<Reach>>();
  const reached = (endpoint: Endpoint, signal: AbortSignal): Promise<Reach> => {
    if (options.probeEndpoints === false) return Promise.resolve({ reached: true });
    const key = `${endpoint.url} ${endpoint.setting}`;
    let found = connections.get(key);
    if (!found) {
      found = reach(endpoint, signal);
      connections.set(key, found);
    }
    return found;
  };
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < checks.length; i = next++) {
      const check = checks[i] as DoctorCheck;
      const found = await runOne(check, options.timeoutMs, reached);
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
