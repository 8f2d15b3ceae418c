import { describe, expect, it } from 'vitest';
import { slackPayload } from '../../bot/slack/broadcasts.ts';
import { toResponse } from '../../bot/slack/toResponse.ts';
import { announcementMessage } from '../../handlers/scaling/views.ts';
import type { Message } from '../../pipeline/message.ts';
import { approvalMessage, confirmationMessage, noticeMessage } from '../../pipeline/views/common.ts';

const INJECTED = '<!here> approve me <@U0BOSS0001> <!subteam^S123|@oncall> & co';
const live = /<!(here|channel|everyone|subteam)|<@U0BOSS/;

describe('user text dpbot posts cannot mention anyone (issue 19, mention injection)', () => {
  it('is escaped in the top-level text as well as in the blocks of approvals, confirmations, notices and announcements', () => {
    const messages = [
      approvalMessage({
        pendingId: '00000000-0000-4000-8000-000000000000',
        requester: 'Linus Torvalds',
        requesterSlackId: 'U0LINUS001',
        commandText: `scale team-x 8 --reason "${INJECTED}"`,
        approverGroup: 'file:data-platform',
        count: 1,
        expiresAt: new Date('2026-12-02T10:00:00Z'),
      }),
      confirmationMessage({
        pendingId: '00000000-0000-4000-8000-000000000000',
        summary: `Scale team-x to 8 (${INJECTED})`,
        details: [INJECTED],
        commandText: `scale team-x 8 --reason "${INJECTED}"`,
        expiresAt: new Date('2026-12-02T10:00:00Z'),
      }),
      noticeMessage(`Confirmed by ada@example.com: Scale team-x to 8 (${INJECTED})`),
      announcementMessage({
        headline: 'ada@example.com scaled team-x to 8',
        lines: [`Reason: ${INJECTED}`],
        status: '',
      }),
    ];
    for (const message of messages) {
      const sent = JSON.stringify(slackPayload(message));
      expect(sent).not.toMatch(live);
      expect(message.text).toContain('&lt;!here&gt; approve me');
      expect(message.text).toContain('&amp; co');
    }
    // dpbot's own mention of the requester it resolved stays a mention.
    expect(JSON.stringify(messages[0]?.blocks)).toContain('<@U0LINUS001>');
  });

  it('the Slack boundary defuses channel-wide mentions that a view failed to escape, in text and blocks, and in responses', () => {
    const raw: Message = {
      text: 'hi <!here> <!channel> <!everyone> <!here|here> <!subteam^S1>',
      visibility: 'in_channel',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x <!channel> <@U0ADA00001>' } }],
    };
    const sent = JSON.stringify(slackPayload(raw));
    expect(sent).not.toMatch(/<!(here|channel|everyone|subteam)/);
    expect(sent).toContain('&lt;!channel&gt;');
    expect(sent).toContain('<@U0ADA00001>');
    expect(JSON.stringify(toResponse(raw))).not.toMatch(/<!(here|channel|everyone|subteam)/);
  });
});
