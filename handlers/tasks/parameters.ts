import { formatDuration, parseDuration } from '../../core/config/duration.ts';
import { andMore } from '../../pipeline/views/paging.ts';
import { DATASET_NAME } from '../datasets/config.ts';
import { TEAM_NAME } from '../scaling/config.ts';

/** What a task parameter may hold; each type says which text is accepted and how it is passed on. */
export const parameterTypes = [
  'string',
  'enum',
  'int',
  'bool',
  'date',
  'duration',
  'dataset',
  'team',
] as const;
export type ParameterType = (typeof parameterTypes)[number];

/** A task parameter as the configuration defines it (handlers/tasks/config.ts), defaults already text. */
export interface TaskParameter {
  name: string;
  type: ParameterType;
  label?: string | undefined;
  description?: string | undefined;
  required: boolean;
  default?: string | undefined;
  /** A regular expression the whole value must match (string, dataset, team). */
  pattern?: string | undefined;
  /** A value that matches `pattern`, for messages. */
  example?: string | undefined;
  /** Bounds: numbers for int, dates (YYYY-MM-DD) for date, durations (1d) for duration. */
  min?: string | number | undefined;
  max?: string | number | undefined;
  maxLength?: number | undefined;
  /** The choices of an enum; for a team, the teams offered (and accepted). */
  values?: readonly string[] | undefined;
  /** A dataset parameter while the catalog cannot be read: refuse (default) or allow unchecked. */
  catalogDown?: 'refuse' | 'allow' | undefined;
}

/** Two parameters that make a range (`from` … `to`), as the task declares them. */
export interface TaskRange {
  from: string;
  to: string;
  /** The most `to` may be past `from`: a duration (dates, durations) or a number (ints). */
  maxSpan?: string | number | undefined;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INT = /^[+-]?\d{1,15}$/;
/** Longest string value when a parameter sets no maxLength. */
export const DEFAULT_MAX_LENGTH = 200;
/** Choices named in hints and messages; the rest are counted (`and 290 more`). */
export const VALUES_NAMED = 10;

// C0/C1 controls and bidirectional overrides: never a legitimate part of a parameter value.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

export type Checked = { ok: true; value: string } | { ok: false; problem: string };

const bad = (problem: string): Checked => ({ ok: false, problem });

/**
 * What a value failing `pattern` is told. The expression itself means little to the person
 * typing at 3 a.m.; the parameter's description and an example say what is wanted.
 */
function notInForm(p: TaskParameter): string {
  const what = p.description ? ` (${p.description})` : '';
  const example = p.example ? `; for example ${p.example}` : '';
  return `is not in the form ${p.label ?? p.name} takes${what}${example}`;
}

/** A calendar date that exists (`2026-02-30` does not). */
export function isCalendarDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

function fullMatch(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'u');
}

/** `a, b, c`, or for a long list the first few and how many more, and where to see them all. */
function choices(values: readonly string[], more: string | undefined): string {
  return andMore(values, VALUES_NAMED, more);
}

/**
 * What to type, for messages and modal hints: `a date such as 2026-11-01`. `more` says where the
 * whole list of a long enum or team list is (`task list backfill region`).
 */
export function describeType(p: TaskParameter, more?: string): string {
  switch (p.type) {
    case 'string':
      return p.pattern
        ? `text matching ${p.pattern}`
        : `text of at most ${p.maxLength ?? DEFAULT_MAX_LENGTH} characters`;
    case 'enum':
      return `one of ${choices(p.values ?? [], more)}`;
    case 'int': {
      const range =
        p.min !== undefined && p.max !== undefined
          ? ` from ${p.min} to ${p.max}`
          : p.min !== undefined
            ? ` ≥ ${p.min}`
            : p.max !== undefined
              ? ` ≤ ${p.max}`
              : '';
      return `a whole number${range}`;
    }
    case 'bool':
      return 'true or false';
    case 'date':
      return 'a date such as 2026-11-01';
    case 'duration':
      return 'a duration such as 90m, 2h or 7d';
    case 'dataset':
      return 'a dataset name such as sales.orders_daily';
    case 'team':
      return p.values?.length ? `a team: ${choices(p.values, more)}` : 'a team name such as team-x';
  }
}

/** A placeholder for usage lines: `<date>`, `<append|overwrite>`. */
export function placeholder(p: TaskParameter): string {
  if (p.type === 'enum' && p.values && p.values.join('|').length <= 40) return `<${p.values.join('|')}>`;
  if (p.type === 'bool') return '<true|false>';
  return `<${p.type === 'string' ? 'text' : p.type}>`;
}

/**
 * Checks one value against its parameter's type and bounds. The accepted value is what reaches
 * Argo, as a workflow parameter and nothing else: strings verbatim (shell metacharacters and all —
 * the template decides what they mean), the other types in one canonical spelling. Control
 * characters and Argo's `{{` are refused whatever the type.
 */
export function checkValue(p: TaskParameter, raw: string, more?: string): Checked {
  if (CONTROL.test(raw))
    return bad('contains a control character (a newline, a tab, ...); type it on one line');
  // Argo expands {{...}} in the workflow it builds from parameters; a value must stay a value.
  if (raw.includes('{{')) return bad('contains "{{", which Argo would read as an expression; leave it out');
  switch (p.type) {
    case 'string': {
      const max = p.maxLength ?? DEFAULT_MAX_LENGTH;
      if (raw.length > max) return bad(`is ${raw.length} characters long; at most ${max} are allowed`);
      if (p.pattern && !fullMatch(p.pattern).test(raw)) return bad(notInForm(p));
      return { ok: true, value: raw };
    }
    case 'enum': {
      const values = p.values ?? [];
      if (values.includes(raw)) return { ok: true, value: raw };
      return bad(`must be one of ${choices(values, more)}`);
    }
    case 'int': {
      if (!INT.test(raw)) return bad('must be a whole number such as 5');
      const n = Number(raw);
      if (p.min !== undefined && n < Number(p.min)) return bad(`must be at least ${p.min}`);
      if (p.max !== undefined && n > Number(p.max)) return bad(`must be at most ${p.max}`);
      return { ok: true, value: String(n) };
    }
    case 'bool': {
      const v = raw.toLowerCase();
      if (v === 'true' || v === 'yes') return { ok: true, value: 'true' };
      if (v === 'false' || v === 'no') return { ok: true, value: 'false' };
      return bad('must be true or false');
    }
    case 'date': {
      if (!isCalendarDate(raw)) return bad('must be a date such as 2026-11-01 (YYYY-MM-DD)');
      if (p.min !== undefined && raw < String(p.min)) return bad(`must be ${p.min} or later`);
      if (p.max !== undefined && raw > String(p.max)) return bad(`must be ${p.max} or earlier`);
      return { ok: true, value: raw };
    }
    case 'duration': {
      const ms = parseDuration(raw);
      if (ms === undefined) return bad('must be a duration such as 90m, 2h or 7d');
      const min = p.min === undefined ? undefined : parseDuration(String(p.min));
      const max = p.max === undefined ? undefined : parseDuration(String(p.max));
      if (min !== undefined && ms < min) return bad(`must be at least ${p.min}`);
      if (max !== undefined && ms > max) return bad(`must be at most ${p.max}`);
      return { ok: true, value: raw.trim() };
    }
    case 'dataset': {
      if (!DATASET_NAME.test(raw))
        return bad('must be a dataset name: letters, digits, _ . - (such as sales.orders)');
      if (p.pattern && !fullMatch(p.pattern).test(raw)) return bad(notInForm(p));
      return { ok: true, value: raw };
    }
    case 'team': {
      if (!TEAM_NAME.test(raw)) return bad('must be a team name: lower-case letters, digits and -');
      if (p.values?.length && !p.values.includes(raw))
        return bad(`must be one of ${choices(p.values, more)}`);
      if (p.pattern && !fullMatch(p.pattern).test(raw)) return bad(notInForm(p));
      return { ok: true, value: raw };
    }
  }
}

/**
 * A value the parameter accepts, for checking a submission without running it (`dpbot doctor`'s
 * server dry run): its default, else its first choice, lower bound or example; undefined when
 * none can be made (a string pattern with no example).
 */
export function sampleValue(p: TaskParameter): string | undefined {
  const candidates: (string | number | undefined)[] = [p.default];
  switch (p.type) {
    case 'enum':
    case 'team':
      candidates.push(p.values?.[0], p.example, 'team-x');
      break;
    case 'int':
      candidates.push(p.min, p.max, 1);
      break;
    case 'bool':
      candidates.push('false');
      break;
    case 'date':
      candidates.push(p.min, p.max, '2026-01-01');
      break;
    case 'duration':
      candidates.push(p.min, p.max, '1h');
      break;
    case 'dataset':
      candidates.push(p.example, 'doctor_check');
      break;
    case 'string':
      candidates.push(p.example, 'doctor-check');
      break;
  }
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    const checked = checkValue(p, String(candidate));
    if (checked.ok) return checked.value;
  }
  return undefined;
}

const DAY = 86_400_000;

/** A value of a range's type as a number, to compare and subtract: ms for dates and durations. */
function ordinal(type: ParameterType, value: string): number | undefined {
  if (type === 'date') return Date.parse(`${value}T00:00:00Z`);
  if (type === 'duration') return parseDuration(value);
  if (type === 'int') return Number(value);
  return undefined;
}

function spanText(type: ParameterType, span: number): string {
  if (type === 'int') return String(span);
  return type === 'date' ? `${span / DAY} day(s)` : formatDuration(span);
}

/**
 * The task's ranges against accepted values: `from` after `to` (a backfill from the 7th to the 1st),
 * or further apart than `maxSpan`. A range with a value missing is left to the missing check.
 */
export function checkRanges(
  parameters: readonly TaskParameter[],
  ranges: readonly TaskRange[],
  values: Readonly<Record<string, string>>,
): string[] {
  const problems: string[] = [];
  for (const r of ranges) {
    const type = parameters.find((p) => p.name === r.from)?.type;
    const a = values[r.from];
    const b = values[r.to];
    if (!type || a === undefined || b === undefined) continue;
    const from = ordinal(type, a);
    const to = ordinal(type, b);
    if (from === undefined || to === undefined) continue;
    if (from > to) {
      problems.push(`${r.from} (${a}) comes after ${r.to} (${b}); give the range in order`);
      continue;
    }
    const max =
      r.maxSpan === undefined
        ? undefined
        : type === 'int'
          ? Number(r.maxSpan)
          : parseDuration(String(r.maxSpan));
    if (max !== undefined && to - from > max)
      problems.push(
        `${r.from} ${a} to ${r.to} ${b} is ${spanText(type, to - from)} apart; this task takes at most ${spanText(type, max)} at once, so split it into several runs`,
      );
  }
  return problems;
}

export interface ValidatedParameters {
  /** Accepted values, defaults filled in, in the order the task declares its parameters. */
  values: Record<string, string>;
  /** Required parameters with neither a value nor a default. */
  missing: TaskParameter[];
  /** One line per problem: `from: must be a date such as 2026-11-01 (YYYY-MM-DD)`. */
  problems: string[];
}

/**
 * Checks the `key=value` pairs given for a task against its parameter definitions: unknown names,
 * bad values and missing required parameters, all at once so the caller can fix them in one go.
 */
export function validateParameters(
  parameters: readonly TaskParameter[],
  given: Readonly<Record<string, string>>,
  /** Where the whole list of a parameter's choices is, for messages that name only a few. */
  more?: (p: TaskParameter) => string,
): ValidatedParameters {
  const values: Record<string, string> = {};
  const missing: TaskParameter[] = [];
  const problems: string[] = [];
  const known = new Map(parameters.map((p) => [p.name, p]));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) {
      const names = parameters.map((p) => p.name);
      problems.push(
        `${name}: there is no such parameter${names.length ? ` (parameters: ${andMore(names, 20)})` : ' (this task takes none)'}`,
      );
    }
  }
  for (const p of parameters) {
    const raw = given[p.name];
    if (raw === undefined || raw === '') {
      if (p.default !== undefined) values[p.name] = p.default;
      else if (p.required) missing.push(p);
      continue;
    }
    const checked = checkValue(p, raw, more?.(p));
    if (checked.ok) values[p.name] = checked.value;
    else problems.push(`${p.name}: ${checked.problem}`);
  }
  return { values, missing, problems };
}
