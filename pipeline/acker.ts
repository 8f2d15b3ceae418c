import type { Logger } from 'pino';
import type { InvocationBase } from './invocation.ts';
import type { Message } from './message.ts';

export interface Acker {
  /** Acknowledges (once); later calls send the message through the responder instead. */
  say(message?: Message): Promise<void>;
  done(): Promise<void>;
}

/**
 * Replies never decide what happened: a reply that cannot be delivered (an expired response URL,
 * Slack down) is logged, and the request's outcome — already audited — stands.
 */
export function acker(inv: InvocationBase, log: Logger): Acker {
  let acked = false;
  const deliver = async (what: string, send: () => Promise<unknown>) => {
    try {
      await send();
    } catch (error) {
      log.warn({ err: error, requestId: inv.requestId }, `could not deliver the ${what}`);
    }
  };
  return {
    async say(message) {
      if (!acked && inv.ack) {
        acked = true;
        const ack = inv.ack;
        await deliver('acknowledgement', () => ack(message));
        return;
      }
      acked = true;
      if (message) await deliver('reply', () => inv.responder.send(message));
    },
    async done() {
      if (!acked) {
        acked = true;
        const ack = inv.ack;
        if (ack) await deliver('acknowledgement', () => ack());
      }
    },
  };
}
