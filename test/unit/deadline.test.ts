import { describe, expect, it } from 'vitest';
import { withDeadline } from '../../bot/slack/deadline.ts';
import type { Message } from '../../pipeline/message.ts';

describe('withDeadline', () => {
  it('answers with the holding note at once when the budget was spent before dispatch', async () => {
    const acks: (Message | undefined)[] = [];
    const later: Message[] = [];
    const deadline = withDeadline(
      async (message) => {
        acks.push(message);
      },
      async (message) => {
        later.push(message);
      },
      0,
    );
    // Nothing awaited yet: the holding note must already be out, before the pipeline's own ack.
    expect(acks).toEqual([{ text: 'Working on it…', visibility: 'ephemeral' }]);
    await deadline.ack({ text: 'You are Ada', visibility: 'ephemeral' });
    deadline.cancel();
    expect(acks).toHaveLength(1);
    expect(later).toEqual([{ text: 'You are Ada', visibility: 'ephemeral' }]);
  });

  it('leaves the first acknowledgement to the pipeline while the budget lasts', async () => {
    const acks: (Message | undefined)[] = [];
    const later: Message[] = [];
    const deadline = withDeadline(
      async (message) => {
        acks.push(message);
      },
      async (message) => {
        later.push(message);
      },
      60_000,
    );
    await deadline.ack(undefined);
    await deadline.ack({ text: 'done', visibility: 'ephemeral' });
    deadline.cancel();
    expect(acks).toEqual([undefined]);
    expect(later).toEqual([{ text: 'done', visibility: 'ephemeral' }]);
  });
});
