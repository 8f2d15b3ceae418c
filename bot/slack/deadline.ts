import type { Message } from '../../pipeline/message.ts';

/**
 * Slack wants an answer within 3 seconds. The pipeline acknowledges as soon as the attempt is
 * recorded, which is normally milliseconds; if that is slow (a sluggish database), this answers
 * at the deadline with a holding note, and whatever the pipeline says later goes through
 * `fallback` (respond / chat.postEphemeral) instead.
 */
export function withDeadline(
  ack: (message?: Message) => Promise<void>,
  fallback: (message: Message) => Promise<unknown>,
  deadlineMs: number,
): { ack: (message?: Message) => Promise<void>; cancel(): void } {
  let acked = false;
  const hold = () => {
    if (acked) return;
    acked = true;
    void ack({ text: 'Working on it…', visibility: 'ephemeral' }).catch(() => undefined);
  };
  // A budget already spent (a body that took the whole deadline to arrive) is answered now: a
  // zero timer would race the pipeline's own first acknowledgement, and an empty 200 tells the
  // user nothing.
  if (deadlineMs <= 0) hold();
  const timer = setTimeout(hold, Math.max(0, deadlineMs));
  return {
    ack: async (message) => {
      if (!acked) {
        acked = true;
        clearTimeout(timer);
        await ack(message);
        return;
      }
      if (message) await fallback(message);
    },
    cancel: () => clearTimeout(timer),
  };
}
