import { describe, expect, it } from 'vitest';
import { SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';

// Slack's answer to an app's view_submission answer (docs.slack.dev/surfaces/modals, "Handling
// submissions"), as the simulator judges it.
const view = {
  id: 'V0FORM0001',
  blocks: [
    { type: 'section', block_id: 'intro', text: { type: 'mrkdwn', text: 'Run backfill' } },
    { type: 'input', block_id: 'from', element: { type: 'datepicker', action_id: 'value' } },
    { type: 'input', block_id: 'to', element: { type: 'datepicker', action_id: 'value' } },
  ],
};

describe('view_submission answers', () => {
  it('an empty 200 closes the view; errors keyed by input block ids keep it open with each message', () => {
    const sim = new SlackSimulator();
    expect(sim.judgeViewSubmission(view, { status: 200, body: '' })).toEqual({ open: false });
    const errors = { from: 'comes after to' };
    expect(
      sim.judgeViewSubmission(view, {
        status: 200,
        body: JSON.stringify({ response_action: 'errors', errors }),
      }),
    ).toEqual({ open: true, errors });
    expect(sim.refused).toEqual([]);
  });

  it('refuses errors for a block that is not an input of the view, empty errors, and unknown actions', () => {
    const sim = new SlackSimulator();
    const answer = (body: unknown) => ({ status: 200, body: JSON.stringify(body) });
    expect(
      sim.judgeViewSubmission(view, answer({ response_action: 'errors', errors: { intro: 'x' } })),
    ).toEqual({ open: true, refused: 'invalid_errors' });
    expect(
      sim.judgeViewSubmission(view, answer({ response_action: 'errors', errors: { ticket: 'x' } })),
    ).toEqual({ open: true, refused: 'invalid_errors' });
    expect(sim.judgeViewSubmission(view, answer({ response_action: 'errors', errors: {} }))).toEqual({
      open: true,
      refused: 'invalid_errors',
    });
    expect(sim.judgeViewSubmission(view, answer({ response_action: 'close' }))).toEqual({
      open: true,
      refused: 'invalid_response_action',
    });
    expect(sim.refused.map((r) => r.error)).toEqual([
      'invalid_errors',
      'invalid_errors',
      'invalid_errors',
      'invalid_response_action',
    ]);
  });
});

describe('response_url messages', () => {
  const post = (url: string, body: Record<string, unknown>) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('replace_original replaces the message clicked, an ephemeral one too; delete_original removes it', async () => {
    const sim = new SlackSimulator();
    await sim.start();
    try {
      const command = sim.responseUrl('cmd');
      await post(command, { text: 'page 1', response_type: 'ephemeral' });
      const [page] = sim.shownResponses();
      if (!page) throw new Error('nothing shown');
      // A click on that message: its response_url acts on it.
      const click = sim.responseUrl('click', { channel: 'C0OPS00001', ts: page.ts });
      await post(click, { text: 'page 2', replace_original: true });
      expect(sim.shownResponses().map((m) => m.body.text)).toEqual(['page 2']);
      expect(page.history.map((b) => b.text)).toEqual(['page 1', 'page 2']);
      // Without replace_original, a new message.
      await post(click, { text: 'also this', replace_original: false });
      expect(sim.shownResponses().map((m) => m.body.text)).toEqual(['page 2', 'also this']);
      // A slash command's URL replaces the newest message it produced.
      await post(command, { text: 'progress 2', replace_original: true });
      expect(sim.shownResponses().map((m) => m.body.text)).toEqual(['progress 2', 'also this']);
      await post(click, { delete_original: true });
      expect(sim.shownResponses().map((m) => m.body.text)).toEqual(['also this']);
    } finally {
      await sim.stop();
    }
  });
});
