import { InputError } from '../core/errors.ts';
import { nearestNames } from '../core/suggest.ts';
import { ActionCatalog, type ActionInfo } from '../policies/actionCatalog.ts';
import type { Command } from './defineCommand.ts';

/** Every command dpbot knows, by name, and the catalog of actions they (and buttons) check. */
export class CommandRegistry {
  readonly #commands = new Map<string, Command>();
  readonly catalog = new ActionCatalog();
  /** Sorted once after each registration: every one-word command asks whether it is a group. */
  #sorted: Command[] | undefined;
  #groups: Map<string, Command[]> | undefined;

  register(...commands: Command[]): this {
    for (const command of commands) {
      if (this.#commands.has(command.name)) throw new Error(`command "${command.name}" is defined twice`);
      this.#commands.set(command.name, command);
      this.#sorted = undefined;
      this.#groups = undefined;
      if (command.action) {
        this.catalog.register({
          action: command.action,
          summary: command.summary,
          resourceKinds: command.resourceKinds,
          limits: command.limitNames,
        });
      }
    }
    return this;
  }

  /** An action checked by something other than a command (a button, a scheduled job). */
  registerAction(info: ActionInfo): this {
    this.catalog.register(info);
    return this;
  }

  get(name: string): Command | undefined {
    return this.#commands.get(name);
  }

  all(): Command[] {
    this.#sorted ??= [...this.#commands.values()].sort((a, b) => a.name.localeCompare(b.name));
    return [...this.#sorted];
  }

  /** The commands of a group (`release` → release start, release ship, …); empty for any other word. */
  group(word: string): Command[] {
    if (!this.#groups) {
      this.#groups = new Map();
      for (const command of this.all()) {
        const [first, second] = command.name.split(' ');
        if (!first || second === undefined) continue;
        const members = this.#groups.get(first) ?? [];
        members.push(command);
        this.#groups.set(first, members);
      }
    }
    const lower = word.toLowerCase();
    // A quoted word may hold spaces: its group is the commands whose names go on from it.
    if (/\s/.test(lower)) return this.all().filter((c) => c.name.startsWith(`${lower} `));
    return [...(this.#groups.get(lower) ?? [])];
  }

  /**
   * Finds the command named by the first one or two words. Unknown names get the nearest known
   * ones as suggestions; a known group word (`task`) with an unknown second word lists the group.
   */
  resolve(tokens: readonly string[]): { command: Command; rest: string[] } {
    const [first = '', second] = tokens.map((t) => t.toLowerCase());
    if (second !== undefined) {
      const two = this.#commands.get(`${first} ${second}`);
      if (two) return { command: two, rest: tokens.slice(2) };
    }
    const one = this.#commands.get(first);
    if (one) return { command: one, rest: tokens.slice(1) };

    const group = this.group(first);
    if (group.length > 0) {
      const names = group.map((c) => c.name);
      const near = second === undefined ? [] : nearestNames(`${first} ${second}`, names, 3);
      const lead =
        second === undefined ? `"${first}" needs a subcommand` : `unknown command "${first} ${second}"`;
      throw new InputError(
        `${lead}${near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : ''} (${first} commands: ${names.join(', ')})`,
      );
    }
    const near = nearestNames(
      second === undefined ? first : `${first} ${second}`,
      this.all().map((c) => c.name),
      3,
    ).concat(
      nearestNames(first, [...new Set([...this.#commands.keys()].map((n) => n.split(' ')[0] ?? n))], 3),
    );
    const unique = [...new Set(near)].slice(0, 3);
    throw new InputError(
      `unknown command "${tokens[0] ?? ''}"${unique.length ? `; did you mean ${unique.map((n) => `"${n}"`).join(' or ')}?` : ''} Type "help" for the list.`,
    );
  }
}
