import { describe, expect, it } from 'vitest';
import { whoIs } from '../../bot/console/console.ts';

// `.as` in the console reads a word as `audit` does: an e-mail, or a name the directory knows.
const directory: Record<string, string[]> = {
  grace: ['grace@example.com'],
  'grace@example.com': ['grace@example.com'],
  ada: ['ada@example.com', 'ada.king@example.com'],
};
const people = async (word: string) => directory[word] ?? [];

describe('.as <email or name>', () => {
  it('acts as the one person a name or an e-mail names', async () => {
    expect(await whoIs('grace', people)).toEqual({ email: 'grace@example.com' });
    expect(await whoIs('grace@example.com', people)).toEqual({ email: 'grace@example.com' });
  });

  it('asks which when several people share the name, and says so when nobody has it', async () => {
    expect(await whoIs('ada', people)).toEqual({
      problem:
        '"ada" could be ada@example.com, ada.king@example.com: give the e-mail, as in .as ada@example.com.',
    });
    expect(await whoIs('linux', people)).toEqual({
      problem: 'No one in the directory is called "linux": give their e-mail, as in .as ada@example.com.',
    });
    expect(await whoIs('nobody@example.com', people)).toEqual({
      problem:
        'No one in the directory has the e-mail nobody@example.com: check the address, or run "access status" to see the directory sources.',
    });
    expect(await whoIs('', people)).toEqual({
      problem: 'Usage: .as <email>, for example .as ada@example.com.',
    });
  });
});
