import { Blocks, Elements } from 'slack-block-builder';
import { describe, expect, it } from 'vitest';
import { plainText, type RenderedButton, renderMessage } from '../../bot/console/renderText.ts';
import { blocks } from '../../pipeline/message.ts';
import { confirmationMessage } from '../../pipeline/views/common.ts';

describe('console rendering', () => {
  it('turns mrkdwn into plain text', () => {
    expect(
      plainText('*Scaled* `team-x` to _8_ by <@U123> in <#C1|ops>: <https://x.test/a|details> &lt;ok&gt;'),
    ).toBe('Scaled team-x to 8 by @U123 in #ops: details (https://x.test/a) <ok>');
    expect(plainText('first_last@example.com keeps its underscores')).toBe(
      'first_last@example.com keeps its underscores',
    );
    expect(plainText('schedule `0 * * * *` and *bold*')).toBe('schedule 0 * * * * and bold');
    // Slack decodes entities inside code spans too: `task list` showed `&lt;dataset&gt;` here.
    expect(plainText('`task run backfill dataset=&lt;dataset&gt; a=&amp;b`')).toBe(
      'task run backfill dataset=<dataset> a=&b',
    );
    expect(plainText('&amp;lt; stays &lt; once decoded')).toBe('&lt; stays < once decoded');
  });

  it('renders headers, sections, fields and context, and numbers every button', () => {
    const pressed: RenderedButton[] = [];
    const text = renderMessage(
      {
        text: 'fallback',
        blocks: blocks(
          Blocks.Header({ text: 'Workers' }),
          Blocks.Section({ text: '*team-x*' }).fields('desired 8', 'ready 6'),
          Blocks.Divider(),
          Blocks.Context().elements('updated now'),
          Blocks.Actions().elements(
            Elements.Button({ text: 'Scale to 10', actionId: 'dp.run', value: 'scale team-x 10' }),
            Elements.Button({ text: 'Scale to 4', actionId: 'dp.run', value: 'scale team-x 4' }),
          ),
        ),
      },
      (b) => pressed.push(b),
    );
    expect(text).toBe(
      [
        '== Workers ==',
        'team-x',
        '  desired 8\n  ready 6',
        '----',
        'updated now',
        '[1] Scale to 10  [2] Scale to 4',
      ].join('\n'),
    );
    expect(pressed.map((b) => b.value)).toEqual(['scale team-x 10', 'scale team-x 4']);
  });

  it('falls back to the text when there are no blocks', () => {
    expect(renderMessage({ text: '*done*' }, () => 0)).toBe('done');
  });

  it('shows a confirmation with Confirm and Cancel buttons', () => {
    const numbers: string[] = [];
    const text = renderMessage(
      confirmationMessage({
        pendingId: 'abc',
        summary: 'Scale team-x 4 → 0',
        details: ['stops every worker'],
        commandText: 'scale team-x 0',
        expiresAt: new Date('2026-11-21T10:10:00Z'),
      }),
      (b) => numbers.push(`${b.actionId}:${b.value}`),
    );
    expect(text).toContain('Please confirm: Scale team-x 4 → 0\n• stops every worker');
    expect(text).toContain('[1] Confirm  [2] Cancel');
    expect(numbers).toEqual(['dp.confirm:abc', 'dp.cancel:abc']);
  });
});
