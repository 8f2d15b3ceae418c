/**
 * Errors that carry meaning. Handlers throw these; the pipeline turns them into replies and audit
 * outcomes in one place (pipeline/execute.ts), so a handler never formats an error itself.
 */
export class DpbotError extends Error {
  override readonly name: string = 'DpbotError';
}

/** The caller's input is wrong: name what, say what was expected, show the usage when known. */
export class InputError extends DpbotError {
  override readonly name = 'InputError';
  readonly usage: string | undefined;
  /**
   * The problem of each argument at fault, by argument name, when they are known: a form shows
   * each under its own input instead of closing.
   */
  readonly fields: Readonly<Record<string, string>> | undefined;
  constructor(message: string, usage?: string, fields?: Readonly<Record<string, string>>) {
    super(message);
    this.usage = usage;
    this.fields = fields && Object.keys(fields).length > 0 ? fields : undefined;
  }
}

/**
 * Problem lines (`from: must be a date …`, `from (2026-11-07) comes after to …`) by the argument
 * each begins with, among `names`; the `name: ` prefix is dropped, since the form shows the line
 * under that input. Lines naming none are left out.
 */
export function problemsByField(
  problems: readonly string[],
  names: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const problem of problems) {
    const name = names.find((n) => problem.startsWith(`${n}:`) || problem.startsWith(`${n} `));
    if (name === undefined) continue;
    const text = problem.startsWith(`${name}:`) ? problem.slice(name.length + 1).trim() : problem;
    out[name] = out[name] ? `${out[name]}; ${text}` : text;
  }
  return out;
}

/** The caller may not do this. The message says what is missing and who can grant it. */
export class NotAllowedError extends DpbotError {
  override readonly name = 'NotAllowedError';
}

export class NotFoundError extends DpbotError {
  override readonly name = 'NotFoundError';
}

/** The state changed under us (a concurrent change, an expired confirmation, a second click). */
export class ConflictError extends DpbotError {
  override readonly name = 'ConflictError';
}

/** An external system failed; `system` names it so the reply can say which one. */
export class UpstreamError extends DpbotError {
  override readonly name = 'UpstreamError';
  readonly system: string;
  readonly status: number | undefined;
  constructor(system: string, message: string, status?: number, options?: { cause?: unknown }) {
    super(`${system}: ${message}`, options);
    this.system = system;
    this.status = status;
  }
}

/** Configuration or policy problems found at start, each with the path of the setting to fix. */
export class ConfigError extends DpbotError {
  override readonly name = 'ConfigError';
  readonly source: string;
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.source = source;
    this.problems = problems;
  }
}

/** The audit row could not be written, so the command must not run. */
export class AuditUnavailableError extends DpbotError {
  override readonly name = 'AuditUnavailableError';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A system answered, but not with everything: a page missing, a count that does not add up, a
 * cursor that went round in circles, a body that broke off. Callers that replace state with what
 * they read (directory sync) treat it as a failure, so a partial answer never looks like removals.
 */
export class TruncatedAnswerError extends UpstreamError {
  constructor(system: string, message: string) {
    super(system, `incomplete answer: ${message}`);
  }
}

/** A 2xx answer whose body is not the JSON the API promises (a proxy's HTML page, a login form). */
export class NotJsonAnswerError extends UpstreamError {
  constructor(system: string, message: string, status: number, options?: { cause?: unknown }) {
    super(system, message, status, options);
  }
}
