import { hash } from 'node:crypto';

/**
 * An audit row as PostgreSQL prints it: every column as its text output (session TimeZone UTC),
 * so numbers inside `args`, `grant_ref` and `detail` keep the exact literals the database hashed,
 * and `at` keeps its microseconds. Null columns are null.
 */
export interface RawAuditRow {
  id: string;
  at: string;
  request_id: string;
  kind: string;
  entry: string;
  slack_user_id: string | null;
  slack_name: string | null;
  email: string | null;
  channel: string | null;
  command: string | null;
  command_text: string | null;
  args: string | null;
  action: string | null;
  resource: string | null;
  decision: string | null;
  reason: string | null;
  grant_ref: string | null;
  outcome: string | null;
  error: string | null;
  duration_ms: string | null;
  detail: string | null;
  prev_hash: string;
}

type Kind = 'text' | 'number' | 'json' | 'at';

/** The columns `audit_row_canonical` (migrations/0001_audit_chain.sql, 0007) puts in a row's text. */
const COLUMNS: Record<keyof RawAuditRow, Kind> = {
  id: 'number',
  at: 'at',
  request_id: 'text',
  kind: 'text',
  entry: 'text',
  slack_user_id: 'text',
  slack_name: 'text',
  email: 'text',
  channel: 'text',
  command: 'text',
  command_text: 'text',
  args: 'json',
  action: 'text',
  resource: 'text',
  decision: 'text',
  reason: 'text',
  grant_ref: 'json',
  outcome: 'text',
  error: 'text',
  duration_ms: 'number',
  detail: 'json',
  prev_hash: 'text',
};

/** jsonb prints an object's keys shortest first, then by their bytes. */
function jsonbKeyOrder(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The columns in the order jsonb prints them, each with its `"key": ` prefix. */
const ORDERED = (Object.keys(COLUMNS) as (keyof RawAuditRow)[])
  .sort(jsonbKeyOrder)
  .map((name) => ({ name, kind: COLUMNS[name], prefix: `${JSON.stringify(name)}: ` }));

/** The column names, in the order the canonical text lists them (for SELECT lists). */
export const AUDIT_HASHED_COLUMNS: readonly (keyof RawAuditRow)[] = ORDERED.map((c) => c.name);

/** Skips insignificant whitespace (jsonb's output has none but after `,` and `:`). */
function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\t' || text[i] === '\r'))
    i++;
  return i;
}

/** The end (exclusive) of the JSON string starting at `i` (its opening quote). */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') j++;
    else if (c === '"') return j + 1;
  }
  throw new Error('unterminated string in jsonb text');
}

/**
 * Re-prints the JSON value at `i` as `jsonb_strip_nulls` would print it: object members whose
 * value is null dropped at every depth, everything else copied as written (strings keep their
 * escapes, numbers their literals). Returns the text (undefined for a null) and where it ended.
 */
function stripValue(text: string, start: number): { out: string | undefined; end: number } {
  const i = skipSpace(text, start);
  const c = text[i];
  if (c === '{' || c === '[') {
    const object = c === '{';
    const parts: string[] = [];
    let j = skipSpace(text, i + 1);
    if (text[j] === (object ? '}' : ']')) return { out: object ? '{}' : '[]', end: j + 1 };
    for (;;) {
      let key = '';
      if (object) {
        const keyEnd = stringEnd(text, j);
        key = text.slice(j, keyEnd);
        j = skipSpace(text, keyEnd);
        if (text[j] !== ':') throw new Error('expected ":" in jsonb text');
        j++;
      }
      const value = stripValue(text, j);
      // Null array elements stay: only object members are stripped.
      if (!object) parts.push(value.out ?? 'null');
      else if (value.out !== undefined) parts.push(`${key}: ${value.out}`);
      j = skipSpace(text, value.end);
      if (text[j] === ',') {
        j = skipSpace(text, j + 1);
        continue;
      }
      if (text[j] !== (object ? '}' : ']')) throw new Error('malformed jsonb text');
      const body = parts.join(', ');
      return { out: object ? `{${body}}` : `[${body}]`, end: j + 1 };
    }
  }
  if (c === '"') {
    const end = stringEnd(text, i);
    return { out: text.slice(i, end), end };
  }
  let end = i;
  while (end < text.length && !',]} \n\t\r'.includes(text[end] as string)) end++;
  const literal = text.slice(i, end);
  if (literal.length === 0) throw new Error('malformed jsonb text');
  return { out: literal === 'null' ? undefined : literal, end };
}

/** jsonb text as `jsonb_strip_nulls` prints it; undefined when the value is null. */
export function stripJsonNulls(text: string): string | undefined {
  // Most values hold no null at all: they are printed as they came.
  if (!text.includes('null')) return text;
  return stripValue(text, 0).out;
}

const AT = /^(\d{4,}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(?:\+00(?::?00)?|Z)$/;

/** `2026-11-22 10:00:00.1234+00` (timestamptz output, TimeZone UTC) as `2026-11-22T10:00:00.123400Z`. */
export function canonicalAt(text: string): string {
  // The usual shape, without a regular expression: 2026-11-22 10:00:00.123456+00.
  if (text.length === 29 && text[10] === ' ' && text[19] === '.' && text.endsWith('+00'))
    return `${text.slice(0, 10)}T${text.slice(11, 26)}Z`;
  const m = AT.exec(text);
  if (!m) throw new Error(`unexpected timestamp "${text}": read the rows with TimeZone UTC`);
  return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(6, '0')}Z`;
}

/**
 * The text `audit_row_canonical` builds for a row, computed here without the database: the
 * columns as a jsonb object (nulls stripped at every depth, keys in jsonb's order, `", "` and
 * `": "` between them), `at` in UTC with microseconds. Strings are escaped as jsonb escapes
 * them, which for text PostgreSQL can hold is what JSON.stringify does.
 */
export function auditRowCanonical(row: RawAuditRow): string {
  return canonicalOfValues(AUDIT_HASHED_COLUMNS.map((name) => row[name]));
}

/** The same, from the column values in AUDIT_HASHED_COLUMNS order (rows read as arrays). */
export function canonicalOfValues(values: readonly (string | null | undefined)[]): string {
  let out = '{';
  let first = true;
  for (let i = 0; i < ORDERED.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) continue;
    const { kind, prefix } = ORDERED[i] as (typeof ORDERED)[number];
    let text: string | undefined;
    if (kind === 'text') text = JSON.stringify(value);
    else if (kind === 'number') text = value;
    else if (kind === 'at') text = JSON.stringify(canonicalAt(value));
    else text = stripJsonNulls(value);
    if (text === undefined) continue;
    out += first ? prefix + text : `, ${prefix}${text}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * SHA-256 of the canonical text, hex: what `audit_row_hash` should have stored. The product hashes
 * column values (canonicalOfValues); auditHash.test.ts holds this row-level reading to the database's.
 * @internal
 */
export function auditRowHash(row: RawAuditRow): string {
  return sha256Hex(auditRowCanonical(row));
}

// The one-shot hash: several times cheaper per row than createHash().update().digest().
export const sha256Hex = (text: string): string => hash('sha256', text, 'hex');

/** The hash the chain starts from: the `prev_hash` of row 1. */
export const GENESIS_HASH = '0'.repeat(64);
