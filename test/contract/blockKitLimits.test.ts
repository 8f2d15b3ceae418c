import { WebClient } from '@slack/web-api';
import { Blocks, Elements } from 'slack-block-builder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionKind, blocks } from '../../pipeline/message.ts';
import { RUN_ACTION } from '../../pipeline/views/common.ts';
import { checkMessage, checkView } from '../../sandbox/slack/blockKitLimits.ts';
import { SANDBOX_BOT_TOKEN, SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const button = (text: string, extra: Record<string, unknown> = {}) => ({
  type: 'button',
  text: { type: 'plain_text', text },
  action_id: 'a',
  ...extra,
});
const problems = (v: { path: string; problem: string }[]) => v.map((x) => `${x.path}: ${x.problem}`);

describe("Slack's Block Kit limits", () => {
  it('accepts a message at every limit', () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(150) } },
      section('s'.repeat(3000)),
      {
        type: 'actions',
        elements: Array.from({ length: 25 }, (_, i) =>
          button('b'.repeat(75), { action_id: `a${i}`, value: 'v'.repeat(2000) }),
        ),
      },
      { type: 'context', elements: Array.from({ length: 10 }, () => ({ type: 'mrkdwn', text: 'c' })) },
      ...Array.from({ length: 46 }, (_, i) => section(`row ${i}`)),
    ];
    expect(blocks).toHaveLength(50);
    expect(checkMessage({ text: 'fallback', blocks })).toEqual([]);
  });

  it('names each limit a message breaks, with its path', () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } },
      section('s'.repeat(3001)),
      {
        type: 'actions',
        block_id: 'x',
        elements: [
          button('b'.repeat(76)),
          button('ok', { value: 'v'.repeat(2001) }),
          ...Array.from({ length: 24 }, (_, i) => button('n', { action_id: `n${i}` })),
        ],
      },
      {
        type: 'context',
        block_id: 'x',
        elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' })),
      },
      ...Array.from({ length: 47 }, (_, i) => section(`row ${i}`)),
    ];
    expect(problems(checkMessage({ blocks }))).toEqual([
      'text: a message with blocks needs a plain-text `text` fallback',
      'blocks: blocks in a message: 51, more than 50',
      'blocks[0].text.text: header text: 151 characters, more than 150',
      'blocks[1].text.text: section text: 3001 characters, more than 3000',
      'blocks[2].elements: elements in an actions block: 26, more than 25',
      'blocks[2].elements[0].text.text: button text: 76 characters, more than 75',
      'blocks[2].elements[1].action_id: action_id "a" repeated in one block',
      'blocks[2].elements[1].value: button value: 2001 characters, more than 2000',
      'blocks[3].block_id: block_id "x" repeated',
      'blocks[3].elements: context elements: 11, more than 10',
    ]);
  });

  it('holds modals and the Home tab to theirs', () => {
    const modal = {
      type: 'modal',
      title: { type: 'plain_text', text: 't'.repeat(25) },
      submit: { type: 'plain_text', text: 'Run' },
      close: { type: 'plain_text', text: 'c'.repeat(25) },
      private_metadata: 'm'.repeat(3001),
      blocks: [
        {
          type: 'input',
          label: { type: 'plain_text', text: 'Dataset' },
          element: {
            type: 'static_select',
            action_id: 'pick',
            options: Array.from({ length: 101 }, (_, i) => ({
              text: { type: 'plain_text', text: `o${i}` },
              value: `v${i}`,
            })),
          },
        },
        ...Array.from({ length: 100 }, (_, i) => section(`row ${i}`)),
      ],
    };
    expect(problems(checkView(modal))).toEqual([
      'view.title.text: modal title: 25 characters, more than 24',
      'view.close.text: modal close: 25 characters, more than 24',
      'view.private_metadata: private_metadata: 3001 characters, more than 3000',
      'view.blocks: blocks in a modal: 101, more than 100',
      'view.blocks[0].element.options: options in a select: 101, more than 100',
    ]);
    const home = { type: 'home', blocks: Array.from({ length: 100 }, (_, i) => section(`row ${i}`)) };
    expect(checkView(home)).toEqual([]);
  });

  it("gives dpbot's buttons of one kind in one block distinct action ids, read back as the kind", () => {
    const built = blocks(
      Blocks.Actions().elements(
        Elements.Button({ text: 'Status', actionId: RUN_ACTION, value: 'task status 7' }),
        Elements.Button({ text: 'Logs', actionId: RUN_ACTION, value: 'task logs 7' }),
        Elements.Button({ text: 'Stop', actionId: RUN_ACTION, value: 'task cancel 7' }),
      ),
    );
    const ids = built.flatMap((b) =>
      b.type === 'actions' ? b.elements.map((e) => ('action_id' in e ? e.action_id : '')) : [],
    );
    expect(ids).toEqual(['dp.run', 'dp.run:1', 'dp.run:2']);
    expect(ids.map((id) => actionKind(id ?? ''))).toEqual(['dp.run', 'dp.run', 'dp.run']);
    expect(actionKind('dp.opt.dataset')).toBe('dp.opt.dataset');
    expect(checkMessage({ text: 'run 7', blocks: built })).toEqual([]);
  });

  describe('at the simulator, as Slack answers', () => {
    const slack = new SlackSimulator();
    let client: WebClient;
    beforeAll(async () => {
      await slack.start();
      slack.addChannel({ id: 'C0GENERAL1', name: 'general', botMember: true });
      client = new WebClient(SANDBOX_BOT_TOKEN, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    });
    afterAll(async () => {
      SlackSimulator.takeLimitViolations();
      await slack.stop();
    });

    it('refuses blocks over a limit with invalid_blocks, and posts nothing', async () => {
      const refused = client.chat.postMessage({
        channel: 'C0GENERAL1',
        text: 'x',
        blocks: [section('s'.repeat(3001))],
      });
      await expect(refused).rejects.toMatchObject({ data: { ok: false, error: 'invalid_blocks' } });
      expect(slack.messagesIn('C0GENERAL1')).toEqual([]);
      expect(SlackSimulator.takeLimitViolations().map((v) => v.method)).toEqual(['chat.postMessage']);
    });

    it('lets a message without a text fallback through, as Slack does, and records it', async () => {
      await client.chat.postMessage({ channel: 'C0GENERAL1', blocks: [section('hello')] });
      expect(slack.messagesIn('C0GENERAL1')).toHaveLength(1);
      expect(problems(SlackSimulator.takeLimitViolations())).toEqual([
        'text: a message with blocks needs a plain-text `text` fallback',
      ]);
    });
  });
});

describe('text Slack formats as mrkdwn is escaped', () => {
  it('lets control sequences through and names what was not escaped, in text, sections and context', () => {
    const fine =
      'scaled by <@U0ADA00001> in <#C0OPS00001|ops> for <!subteam^S0DATA0001|@data>, see <https://argo.example/wf?a=1&amp;b=2|the run>, ping <mailto:ada@example.com|Ada>; 1 &lt; 2 &gt; 0';
    expect(checkMessage({ text: fine, blocks: [section(fine)] })).toEqual([]);

    const raw = 'nia@company.test <nia@company.test> asked for <name>';
    expect(
      problems(
        checkMessage({
          text: raw,
          blocks: [section(raw), { type: 'context', elements: [{ type: 'mrkdwn', text: 'by <grace>' }] }],
        }),
      ),
    ).toEqual([
      'text: unescaped text in mrkdwn: <nia@company.test>, <name> (write &lt; &gt; &amp;)',
      'blocks[0].text.text: unescaped text in mrkdwn: <nia@company.test>, <name> (write &lt; &gt; &amp;)',
      'blocks[1].elements[0].text: unescaped text in mrkdwn: <grace> (write &lt; &gt; &amp;)',
    ]);
    // Plain text is shown as written; a message sent with mrkdwn off is too.
    expect(
      checkMessage({
        text: raw,
        mrkdwn: false,
        blocks: [{ type: 'header', text: { type: 'plain_text', text: '<as typed>' } }],
      }),
    ).toEqual([]);
  });
});
