import { InputError } from '../core/errors.ts';
import { nearestNames } from '../core/suggest.ts';
import type { ParamSpec } from './defineCommand.ts';

const camel = (name: string) => name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
const KEY_VALUE = /^([A-Za-z][A-Za-z0-9_.-]*)=(.*)$/s;

/**
 * Maps tokens onto named arguments by the command's ParamSpec. Only the shape is checked here
 * (unknown options, repeated names, too many words); types and ranges are the schema's job.
 */
export function mapArgs(tokens: readonly string[], spec: ParamSpec, usage: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const positionals = spec.positionals ?? [];
  const flags = spec.flags ?? {};
  const rest = positionals.at(-1)?.endsWith('...') ? positionals.at(-1)?.slice(0, -3) : undefined;
  const fixed = rest ? positionals.slice(0, -1) : positionals;
  const keyNames = new Set<string>(fixed);
  if (Array.isArray(spec.keyValues)) for (const k of spec.keyValues) keyNames.add(k);
  const anyKey = spec.keyValues === 'any';
  const extra: string[] = [];
  const params: Record<string, string> = {};
  let position = 0;
  // The text value just read (`--reason backfill`), for the hint when the words after it were
  // meant to be part of it (`--reason backfill lag`).
  let lastValue: { at: number; value: string; quoted: (text: string) => string } | undefined;

  const set = (name: string, value: unknown, shown: string) => {
    if (name in out) throw new InputError(`${shown} is given twice`, usage);
    out[name] = value;
  };

  /** `unexpected argument "lag"`, with how to quote it when it continues the value before it. */
  const unexpected = (i: number, token: string): InputError => {
    if (lastValue?.at !== i - 1) return new InputError(`unexpected argument "${token}"`, usage);
    const words = [lastValue.value];
    for (const next of tokens.slice(i)) {
      if (next.startsWith('--') || KEY_VALUE.test(next)) break;
      words.push(next);
    }
    return new InputError(
      `unexpected argument "${token}": a value with spaces must be quoted, as in ${lastValue.quoted(words.join(' '))}`,
      usage,
    );
  };

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (token.startsWith('--') && token.length > 2) {
      const eq = token.indexOf('=');
      const flag = eq === -1 ? token.slice(2) : token.slice(2, eq);
      const kind = flags[flag];
      if (!kind) {
        const known = Object.keys(flags);
        const near = nearestNames(flag, known, 1).map((f) => `--${f}`);
        throw new InputError(
          `unknown option --${flag}${known.length ? ` (options: ${known.map((f) => `--${f}`).join(', ')})` : ''}${near.length ? `; did you mean ${near.join(' or ')}?` : ''}`,
          usage,
        );
      }
      if (kind === 'boolean') {
        if (eq !== -1) {
          const v = token.slice(eq + 1).toLowerCase();
          if (!['true', 'false', 'yes', 'no'].includes(v))
            throw new InputError(`--${flag} takes no value`, usage);
          set(camel(flag), v === 'true' || v === 'yes', `--${flag}`);
        } else set(camel(flag), true, `--${flag}`);
        continue;
      }
      let value: string;
      if (eq !== -1) value = token.slice(eq + 1);
      else {
        const next = tokens[i + 1];
        if (next === undefined || (next.startsWith('--') && next.length > 2)) {
          throw new InputError(`--${flag} needs a value`, usage);
        }
        value = next;
        i++;
      }
      set(camel(flag), value, `--${flag}`);
      lastValue = { at: i, value, quoted: (text) => `--${flag} "${text}"` };
      continue;
    }
    const kv = KEY_VALUE.exec(token);
    if (kv && keyNames.has(kv[1] as string)) {
      const key = kv[1] as string;
      set(key, kv[2], key);
      lastValue = { at: i, value: kv[2] as string, quoted: (text) => `${key}="${text}"` };
      continue;
    }
    if (kv && anyKey) {
      const key = kv[1] as string;
      if (key in params) throw new InputError(`${key} is given twice`, usage);
      params[key] = kv[2] as string;
      continue;
    }
    if (position < fixed.length) {
      const name = fixed[position] as string;
      position++;
      if (name in out) {
        // Already given as key=value: this word is the next positional's.
        i--;
        continue;
      }
      out[name] = token;
      continue;
    }
    if (rest) {
      extra.push(token);
      continue;
    }
    throw unexpected(i, token);
  }
  if (rest && extra.length) out[rest] = extra;
  if (anyKey) out.params = params;
  return out;
}
