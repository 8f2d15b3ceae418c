import { clearLine, clearScreenDown, cursorTo, moveCursor } from 'node:readline';
import type { Writable } from 'node:stream';
import type { Message, MessageHandle } from '../../pipeline/message.ts';
import type { MessageRef, Notifier } from '../../pipeline/notifier.ts';
import { type ConsoleText, type RenderedButton, renderMessage } from './renderText.ts';

export interface Pressable extends RenderedButton {
  handle: MessageHandle;
}

/** What typing a number found: a button to press, or why there is none. */
export type Press = { ok: true; button: Pressable } | { ok: false; problem: string };

/** The line being typed, which output must not garble: it is cleared, and drawn again after. */
export interface PromptLine {
  redraw(): void;
}

export interface ConsoleSurfaceOptions {
  /** A person's name by their Slack user id (the directory's), for the mentions messages carry. */
  nameOf?: ((slackUserId: string) => Promise<string | undefined>) | undefined;
  /** The time zone times are shown in (the machine's). */
  timeZone?: string | undefined;
  /**
   * Least time between two printed updates of one message where it cannot be redrawn in place
   * (not a terminal, or other output came after it); the newest content waits and is printed then.
   */
  updateInterval?: number;
}

interface Shown {
  /** What was last drawn, line by line (before wrapping). */
  lines: string[];
  /** The numbers of its buttons, by what each does. */
  numbers: Map<string, number>;
  lastPrinted: number;
  pending?: { message: Message; handle: MessageHandle; prefix: string } | undefined;
  timer?: NodeJS.Timeout | undefined;
}

const DEFAULT_UPDATE_INTERVAL = 1000;
const buttonKey = (b: RenderedButton) => `${b.actionId}\u0000${b.value}\u0000${b.label}`;

/**
 * Splits text into the rows a terminal of `columns` shows. Any character outside printable ASCII
 * is counted two columns wide (emoji and wide scripts are; the rest only break a line early), so a
 * row never overflows and the count is exact: a redraw moves up exactly over what it drew.
 */
export function terminalRows(text: string, columns: number): string[] {
  const width = Math.max(10, columns - 1);
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const rows: string[] = [];
  for (const line of text.split('\n')) {
    let row = '';
    let used = 0;
    for (const { segment } of segmenter.segment(line)) {
      const w = /^[\x20-\x7e]$/.test(segment) ? 1 : 2;
      if (used + w > width) {
        rows.push(row);
        row = '';
        used = 0;
      }
      row += segment;
      used += w;
    }
    rows.push(row);
  }
  return rows;
}

/**
 * What the terminal shows: replies to typed commands and messages from background work alike.
 * Every button is numbered once per session: a message that is updated keeps the numbers of the
 * buttons it still has, and a number whose button is gone says so instead of pressing something
 * else, so "type the number" always means the button shown with it.
 *
 * An updated message is redrawn in place when it is the last thing on a terminal; otherwise only
 * its changed lines are printed, at most once per `updateInterval` (the newest content wins).
 * Output arriving while the prompt waits for input is drawn above it, and the prompt after it.
 */
export class ConsoleSurface {
  readonly #out: Writable & { isTTY?: boolean; columns?: number };
  readonly #interval: number;
  readonly #buttons = new Map<number, Pressable>();
  readonly #gone = new Map<number, string>();
  readonly #shown = new Map<string, Shown>();
  #next = 1;
  #ts = 1;
  #replies = 0;
  /** The message drawn last and how many rows it took, while nothing has been written after it. */
  #tail: { key: string; rows: number } | undefined;
  #prompt: PromptLine | undefined;
  #promptShown = false;

  constructor(out: Writable, options: ConsoleSurfaceOptions = {}) {
    this.#out = out;
    this.#interval = options.updateInterval ?? DEFAULT_UPDATE_INTERVAL;
    this.#nameOf = options.nameOf;
    this.#text = { names: this.#names, timeZone: options.timeZone };
  }

  readonly #names = new Map<string, string>();
  readonly #nameOf: ConsoleSurfaceOptions['nameOf'];
  readonly #text: ConsoleText;

  /** Learns the names of the people a message mentions, so it is drawn with names, not ids. */
  async #learn(message: Message): Promise<void> {
    if (!this.#nameOf) return;
    const ids = new Set(
      [...JSON.stringify(message).matchAll(/<@([A-Z0-9]+)(?:\|[^>]*)?>/g)].map((m) => m[1]),
    );
    for (const id of ids) {
      if (!id || this.#names.has(id)) continue;
      const name = await this.#nameOf(id).catch(() => undefined);
      if (name) this.#names.set(id, name);
    }
  }

  get #tty(): boolean {
    return this.#out.isTTY === true;
  }

  /** The prompt of an interactive session, redrawn after output that arrives while it is shown. */
  attachPrompt(prompt: PromptLine): void {
    this.#prompt = prompt;
  }

  /**
   * Whether the prompt is on screen now (waiting for input) or not (a line was entered and a
   * command runs). The prompt's own row is cleared before output, so the last message stays the
   * last thing drawn while it waits; an entered line stays on screen below it.
   */
  promptShown(shown: boolean): void {
    this.#promptShown = shown;
    if (!shown) this.#tail = undefined;
  }

  write(text: string): void {
    this.#around(() => {
      this.#out.write(`${text}\n`);
      this.#tail = undefined;
    });
  }

  /** A new message: printed whole, its buttons numbered. */
  post(key: string, message: Message, handle: MessageHandle, prefix: string): void {
    const shown: Shown = { lines: [], numbers: new Map(), lastPrinted: Date.now() };
    this.#shown.set(key, shown);
    const lines = this.#render(shown, message, handle, prefix);
    this.#around(() => this.#draw(key, lines));
  }

  /** A new version of a message already shown. */
  update(key: string, message: Message, handle: MessageHandle, prefix: string): void {
    const shown = this.#shown.get(key);
    if (!shown) {
      this.post(key, message, handle, prefix);
      return;
    }
    if (this.#tty && this.#tail?.key === key) {
      this.#clearPending(shown);
      const lines = this.#render(shown, message, handle, prefix);
      const rows = this.#tail.rows;
      this.#around(() => {
        moveCursor(this.#out, 0, -rows);
        clearScreenDown(this.#out);
        this.#draw(key, lines);
      });
      return;
    }
    shown.pending = { message, handle, prefix };
    const wait = shown.lastPrinted + this.#interval - Date.now();
    if (wait <= 0) this.#printChanges(shown);
    else shown.timer ??= setTimeout(() => this.#printChanges(shown), wait).unref();
  }

  /** Prints every update still waiting for its turn (before the session ends). */
  flush(): void {
    for (const shown of this.#shown.values()) if (shown.pending) this.#printChanges(shown);
  }

  press(n: number): Press {
    const button = this.#buttons.get(n);
    if (button) return { ok: true, button };
    const gone = this.#gone.get(n);
    return { ok: false, problem: gone ?? `There is no button ${n}.` };
  }

  /** A handle for a reply to a typed command; updates of it are updates of that message. */
  async reply(message: Message, prefix: (m: Message) => string): Promise<MessageHandle> {
    const key = `reply:${this.#replies++}`;
    const handle: MessageHandle = {
      update: async (m) => {
        await this.#learn(m);
        this.update(key, m, handle, `(updated) ${prefix(m)}`);
      },
    };
    await this.#learn(message);
    this.post(key, message, handle, prefix(message));
    return handle;
  }

  /** Background messages, marked with where they would have been posted. */
  notifier(): Notifier {
    const update = async (ref: MessageRef, message: Message) => {
      await this.#learn(message);
      this.update(this.#refKey(ref), message, this.#handle(ref), `[${ref.channel}, updated] `);
      return ref;
    };
    return {
      post: async (channel, message, options = {}) => {
        await this.#learn(message);
        const ref = {
          channel,
          ts: `${Math.floor(Date.now() / 1000)}.${String(this.#ts++).padStart(6, '0')}`,
        };
        this.post(
          this.#refKey(ref),
          message,
          this.#handle(ref),
          options.threadTs ? `[${channel}, in thread] ` : `[${channel}] `,
        );
        return ref;
      },
      update,
      direct: async (to, message) => {
        await this.#learn(message);
        const ref = { channel: `@${to.email}`, ts: String(this.#ts++) };
        this.post(this.#refKey(ref), message, this.#handle(ref), `[direct to ${to.email}] `);
      },
    };
  }

  #refKey(ref: MessageRef): string {
    return `${ref.channel}:${ref.ts}`;
  }

  #handle(ref: MessageRef): MessageHandle {
    return {
      ref,
      update: async (m) => {
        await this.#learn(m);
        this.update(this.#refKey(ref), m, this.#handle(ref), `[${ref.channel}, updated] `);
      },
    };
  }

  /**
   * The message as text, its buttons numbered: a button the previous version had keeps its number;
   * the numbers of buttons no longer there stop pressing anything.
   */
  #render(shown: Shown, message: Message, handle: MessageHandle, prefix: string): string[] {
    const before = shown.numbers;
    const numbers = new Map<string, number>();
    const text = renderMessage(
      message,
      (b) => {
        const key = buttonKey(b);
        const n = numbers.get(key) ?? before.get(key) ?? this.#next++;
        numbers.set(key, n);
        this.#buttons.set(n, { ...b, handle });
        return n;
      },
      this.#text,
    );
    for (const [key, n] of before) {
      if (numbers.has(key)) continue;
      this.#buttons.delete(n);
      this.#gone.set(
        n,
        `Button ${n} is no longer there: its message changed. Type the number of a button shown now.`,
      );
    }
    shown.numbers = numbers;
    return `${prefix}${text}`.split('\n');
  }

  /** Only what changed since the message was last printed, under its prefix. */
  #printChanges(shown: Shown): void {
    this.#clearPending(shown);
    const pending = shown.pending;
    shown.pending = undefined;
    if (!pending) return;
    const previous = shown.lines;
    const lines = this.#render(shown, pending.message, pending.handle, pending.prefix);
    shown.lastPrinted = Date.now();
    const [head = '', ...body] = lines;
    const kept = new Set(previous.slice(1));
    const changed = body.filter((l) => !kept.has(l));
    // The first line carries the prefix ("[#releases, updated] …"): it says which message this is.
    if (head === previous[0] && changed.length === 0) return;
    this.#around(() => {
      this.#out.write(`${[head, ...changed].join('\n')}\n`);
      this.#tail = undefined;
    });
    shown.lines = lines;
  }

  #clearPending(shown: Shown): void {
    if (shown.timer) clearTimeout(shown.timer);
    shown.timer = undefined;
  }

  #draw(key: string, lines: string[]): void {
    const shown = this.#shown.get(key);
    if (shown) shown.lines = lines;
    const text = lines.join('\n');
    if (!this.#tty) {
      this.#out.write(`${text}\n`);
      this.#tail = undefined;
      return;
    }
    const rows = terminalRows(text, this.#out.columns ?? 80);
    this.#out.write(`${rows.join('\n')}\n`);
    this.#tail = { key, rows: rows.length };
  }

  /** Writes with the prompt out of the way, and puts it back after. */
  #around(write: () => void): void {
    const prompt = this.#promptShown && this.#tty ? this.#prompt : undefined;
    if (prompt) {
      cursorTo(this.#out, 0);
      clearLine(this.#out, 0);
    }
    write();
    prompt?.redraw();
  }
}
