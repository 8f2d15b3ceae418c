import { describe, expect, it } from 'vitest';
import { announcementMessage } from '../../handlers/scaling/views.ts';
import { actorOfRow, mentionOf, nameWithEmail, personName, personToken } from '../../pipeline/people.ts';
import { tokenize } from '../../pipeline/tokenize.ts';

describe('people in messages', () => {
  it('names people by their name, not by their e-mail given as a name', () => {
    expect(nameWithEmail({ name: 'Ada Lovelace', email: 'ada@example.com' })).toBe(
      'Ada Lovelace (ada@example.com)',
    );
    expect(nameWithEmail({ name: 'nia@company.test', email: 'nia@company.test' })).toBe('nia@company.test');
    expect(
      personName({ name: 'nia@company.test', email: 'nia@company.test', slackName: 'Nia Newcomer' }),
    ).toBe('Nia Newcomer');
    expect(mentionOf({ email: 'ada@example.com', slackUserId: 'U0ADA00001' })).toBe('<@U0ADA00001>');
    expect(mentionOf({ name: 'A <b>', email: 'a@example.com' })).toBe('A &lt;b&gt;');
  });

  it("names dpbot's own rows by their work, never '?'", () => {
    expect(actorOfRow({ action: 'workers.scale' })).toBe('dpbot, scheduled revert');
    expect(actorOfRow({ action: 'something.else' })).toBe('dpbot');
    expect(actorOfRow({ slackUserId: 'U0EVE00001', slackName: 'Eve Outsider' })).toBe(
      'Eve Outsider (U0EVE00001)',
    );
  });

  it('makes a person a mention in an announcement, and typed text cannot forge one', () => {
    const message = announcementMessage({
      headline: 'scaled team-x 4 → 8',
      lines: [`Replaces 4, set by ${personToken({ email: 'ada@example.com', slackUserId: 'U0ADA00001' })}.`],
      status: '',
    });
    expect(message.text).toContain('Replaces 4, set by <@U0ADA00001>.');
    expect(() => tokenize('scale team-x 8 --reason "\uE000U0ADMIN001\uE001"')).toThrow(/U\+E000/);
  });
});
