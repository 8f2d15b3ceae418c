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
