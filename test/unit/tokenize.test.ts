import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.ts';
import { MAX_COMMAND_LENGTH, tokenize } from '../../pipeline/tokenize.ts';

describe('tokenize', () => {
  it('splits on whitespace and keeps quoted text together', () => {
    expect(tokenize('scale team-x 8   --reason "backfill lag"')).toEqual([
      'scale',
      'team-x',
      '8',
      '--reason',
      'backfill lag',
    ]);
    expect(tokenize("task run backfill note='a b'")).toEqual(['task', 'run', 'backfill', 'note=a b']);
  });

  it('treats Slack curly quotes as quotes', () => {
    expect(tokenize('scale team-x 8 --reason “late data”')).toEqual([
      'scale',
      'team-x',
      '8',
      '--reason',
      'late data',
    ]);
    expect(tokenize('x ‘it is’')).toEqual(['x', 'it is']);
  });

  it('unescapes \\" and \\\\ inside double quotes only', () => {
    expect(tokenize('say "a \\"quoted\\" word" \'c\\d\'')).toEqual(['say', 'a "quoted" word', 'c\\d']);
  });

  it('keeps empty quoted arguments', () => {
    expect(tokenize('x "" y')).toEqual(['x', '', 'y']);
  });

  it('keeps unicode, shell and SQL metacharacters as data', () => {
    expect(tokenize(`x ünïcødé 😀 $(rm -rf /) "';DROP TABLE users;--"`)).toEqual([
      'x',
      'ünïcødé',
      '😀',
      '$(rm',
      '-rf',
      '/)',
      "';DROP TABLE users;--",
    ]);
  });

  it('rejects an unterminated quote, naming where it starts', () => {
    expect(() => tokenize('scale "team-x 8')).toThrow(/quote at position 7 is not closed/);
  });

  it('rejects control characters and bidirectional overrides with their position', () => {
    expect(() => tokenize('scale\u0000team')).toThrow(InputError);
    expect(() => tokenize('a\nb')).toThrow(/\(U\+000A\) at position 2/);
    expect(() => tokenize('team\u202Ex')).toThrow(/U\+202E/);
  });

  it('rejects text over the length limit with the numbers', () => {
    const long = `scale ${'x'.repeat(MAX_COMMAND_LENGTH)}`;
    expect(() => tokenize(long)).toThrow(
      new RegExp(`${long.length} characters; at most ${MAX_COMMAND_LENGTH}`),
    );
  });
});
