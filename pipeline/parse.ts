import { describeIssues, formatPath } from '../core/config/describeIssues.ts';
import { InputError } from '../core/errors.ts';
import type { Command } from './defineCommand.ts';
import { mapArgs } from './mapArgs.ts';
import type { PipelineDeps } from './pipelineDeps.ts';
import { tokenize } from './tokenize.ts';

/** A request's text, read: the command it names and its arguments, or why they are not valid. */
export interface Parsed {
  command: Command | undefined;
  raw: Record<string, unknown>;
  args: unknown;
  invalid: InputError | undefined;
}

/** The text a request is parsed and audited as: an empty `/dp` asks for help. */
export function commandText(input: string): string {
  return input.trim() === '' ? 'help' : input.trim();
}

/**
 * Tokenizes, resolves the command and validates its arguments: pure, no I/O. A mistake in the
 * input comes back as `invalid`, since it is still to be recorded against whoever typed it. The
 * command is named in `stat` as soon as it is known, so that anything failing later is counted
 * against it.
 */
export function parse(registry: PipelineDeps['registry'], text: string, stat: { command: string }): Parsed {
  let command: Command | undefined;
  let raw: Record<string, unknown> = {};
  try {
    const tokens = tokenize(text);
    // A group's word alone (`release`) asks what the group offers: its help, not a refusal.
    const [only] = tokens;
    const asked = tokens.length === 1 && only && registry.group(only).length > 0 ? ['help', only] : tokens;
    const resolved = registry.resolve(asked);
    command = resolved.command;
    stat.command = command.name;
    raw = mapArgs(resolved.rest, command.params, command.usage);
    const validated = command.validate(raw);
    if (!validated.ok) {
      const lines = describeIssues(validated.error);
      throw new InputError(lines.join('; '), command.usage, issueFields(validated.error.issues, lines));
    }
    return { command, raw, args: validated.args, invalid: undefined };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return { command, raw, args: undefined, invalid: error };
  }
}

/** Each issue's line by the argument it is about (the last key of its path), without the path. */
function issueFields(
  issues: readonly { path: readonly PropertyKey[] }[],
  lines: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  issues.forEach((issue, i) => {
    const key = issue.path.at(-1);
    const line = lines[i];
    if (key === undefined || line === undefined) return;
    const text = line.slice(formatPath(issue.path).length + 2);
    const name = String(key);
    out[name] = out[name] ? `${out[name]}; ${text}` : text;
  });
  return out;
}

/** The audit fields a request's parse gives, valid or not. */
export function parsedShape(parsed: Parsed) {
  return {
    command: parsed.command?.name ?? null,
    args: parsed.raw,
    action: parsed.command?.action ?? null,
  };
}
