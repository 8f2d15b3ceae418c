import { Writable } from 'node:stream';
import { Blocks, Elements } from 'slack-block-builder';
import { describe, expect, it } from 'vitest';
import { ConsoleSurface, terminalRows } from '../../bot/console/consoleSurface.ts';
import { blocks, type Message, type MessageHandle } from '../../pipeline/message.ts';

// The console (issue 20, item 6): numbers that mean one button for the whole session, updates
// drawn in place on a terminal (and only what changed elsewhere), the prompt kept below output.

/**
 * A terminal screen, enough of one for what readline's cursor functions send: text, line feeds,
 * cursor up (ESC[nA), to column (ESC[nG), clear to the end of the screen (ESC[0J) and of the line
 * (ESC[2K). Rows longer than the terminal are an error: they would wrap, and the count be off.
 */
class Screen extends Writable {
  readonly isTTY = true;
  readonly columns: number;
  rows: string[] = [''];
  row = 0;
  col = 0;
  constructor(columns: number) {
    super();
    this.columns = columns;
  }
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    const text = chunk.toString();
    for (let i = 0; i < text.length; ) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: reading terminal escapes is the point.
      const esc = /^\x1b\[(\d*)([AGJK])/.exec(text.slice(i));
      if (esc) {
        const n = Number(esc[1] || '0');
        if (esc[2] === 'A') this.row = Math.max(0, this.row - (n || 1));
        if (esc[2] === 'G') this.col = Math.max(0, (n || 1) - 1);
        if (esc[2] === 'J') {
          this.rows[this.row] = (this.rows[this.row] ?? '').slice(0, this.col);
          this.rows.length = this.row + 1;
        }
        if (esc[2] === 'K') this.rows[this.row] = '';
        i += esc[0].length;
        continue;
      }
      const ch = String.fromCodePoint(text.codePointAt(i) ?? 0);
      i += ch.length;
      if (ch === '\n') {
        this.row++;
        this.col = 0;
        this.rows[this.row] ??= '';
        continue;
      }
      const line = [...(this.rows[this.row] ?? '').padEnd(this.col)];
      line[this.col] = ch;
      this.rows[this.row] = line.join('');
      this.col++;
      if ([...(this.rows[this.row] ?? '')].length > this.columns)
        throw new Error(`row ${this.row} overflows`);
    }
    done();
  }
  text(): string {
    return this.rows.join('\n');
  }
}

class Lines extends Writable {
  out = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.out += chunk.toString();
    done();
  }
}

const progress = (step: number, withStop = true): Message => ({
  text: `step ${step}`,
  blocks: blocks(
    Blocks.Section({ text: `*Backfill #1* — step ${step} of 50` }),
    Blocks.Section({ text: 'Requested by ada@example.com · dataset=sales.orders_daily' }),
    withStop &&
      Blocks.Actions().elements(
        Elements.Button({ text: 'Stop', actionId: 'dp.run', value: 'task cancel 1' }),
      ),
  ),
});

const handle: MessageHandle = { update: async () => undefined };

describe('the console surface on a terminal', () => {
  it('redraws an updated message in place, under which the prompt stays', () => {
    const screen = new Screen(60);
    const surface = new ConsoleSurface(screen);
    surface.attachPrompt({ redraw: () => screen.write('dp> ') });
    surface.write('Acting as ada@example.com.');
    screen.write('dp> ');
    surface.promptShown(true);
    surface.post('m1', progress(0), handle, '[#ops] ');
    for (let step = 1; step <= 50; step++) surface.update('m1', progress(step), handle, '[#ops, updated] ');
    expect(screen.text()).toBe(
      [
        'Acting as ada@example.com.',
        '[#ops, updated] Backfill #1 — step 50 of 50',
        'Requested by ada@example.com · dataset=sales.orders_daily',
        '[1] Stop',
        'dp> ',
      ].join('\n'),
    );
    // The button kept its number through every update.
    expect(surface.press(1)).toMatchObject({ ok: true, button: { value: 'task cancel 1' } });
  });

  it('counts the rows of long lines with wide characters, so a redraw leaves nothing behind', () => {
    const screen = new Screen(24);
    const surface = new ConsoleSurface(screen);
    const long = (n: number): Message => ({ text: `⏳ ${'deploying orders-api '.repeat(3)}${n} 🔴🟢 done` });
    surface.post('m', long(1), handle, '');
    surface.update('m', long(2), handle, '');
    const text = screen.text();
    expect(text).not.toContain(' 1 ');
    expect(text.replaceAll('\n', '')).toBe(`⏳ ${'deploying orders-api '.repeat(3)}2 🔴🟢 done`);
    for (const row of terminalRows(`⏳ ${'x'.repeat(40)} 🔴🔴🔴`, 24)) expect(row.length).toBeLessThan(24);
  });

  it('prints only the changed lines of a message that is no longer the last thing shown', () => {
    const screen = new Screen(80);
    const surface = new ConsoleSurface(screen, { updateInterval: 0 });
    surface.post('m1', progress(1), handle, '[#ops] ');
    surface.post('m2', { text: 'something else' }, handle, '');
    surface.update('m1', progress(2), handle, '[#ops, updated] ');
    expect(screen.text()).toBe(
      [
        '[#ops] Backfill #1 — step 1 of 50',
        'Requested by ada@example.com · dataset=sales.orders_daily',
        '[1] Stop',
        'something else',
        '[#ops, updated] Backfill #1 — step 2 of 50',
        '',
      ].join('\n'),
    );
  });
});

describe('the console surface writing to a file or a pipe', () => {
  it('prints changed lines only, at most once per interval, the newest content winning', () => {
    const out = new Lines();
    const surface = new ConsoleSurface(out, { updateInterval: 60_000 });
    surface.post('m1', progress(1), handle, '[#ops] ');
    for (let step = 2; step <= 40; step++) surface.update('m1', progress(step), handle, '[#ops, updated] ');
    // Within the interval nothing more is printed; what waits is printed once, at its turn.
    expect(out.out.split('\n')).toHaveLength(4);
    surface.flush();
    expect(out.out).toBe(
      [
        '[#ops] Backfill #1 — step 1 of 50',
        'Requested by ada@example.com · dataset=sales.orders_daily',
        '[1] Stop',
        '[#ops, updated] Backfill #1 — step 40 of 50',
        '',
      ].join('\n'),
    );
    expect(out.out).not.toContain('step 2 of 50');
  });
});

describe('button numbers', () => {
  it('are never reused, and a button gone from its message no longer presses anything', () => {
    const surface = new ConsoleSurface(new Lines(), { updateInterval: 0 });
    surface.post('m1', progress(1), handle, '');
    surface.post('m2', progress(1), handle, '');
    expect(surface.press(2)).toMatchObject({ ok: true });
    // The run was stopped: its message no longer has the Stop button.
    surface.update('m1', progress(2, false), handle, '');
    expect(surface.press(1)).toEqual({
      ok: false,
      problem: 'Button 1 is no longer there: its message changed. Type the number of a button shown now.',
    });
    surface.update('m1', progress(3), handle, '');
    expect(surface.press(3)).toMatchObject({ ok: true, button: { label: 'Stop' } });
    expect(surface.press(9)).toEqual({ ok: false, problem: 'There is no button 9.' });
  });
});
