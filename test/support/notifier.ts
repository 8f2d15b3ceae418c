import type { MessageRef, Notifier } from '../../bot/notifier.ts';
import type { Message } from '../../bot/pipeline/message.ts';

export interface Posted {
  ref: MessageRef;
  message: Message;
  threadTs: string | undefined;
  /** Every edit of this message, in order. */
  updates: Message[];
}

/** A notifier that keeps what background work posted and edited, for assertions. */
export function recordingNotifier(): Notifier & {
  posted: Posted[];
  direct: Notifier['direct'];
  directs: { email: string; message: Message }[];
  /** The message at `ref` as it reads now (its last edit). */
  current(ref: MessageRef): Message | undefined;
} {
  const posted: Posted[] = [];
  const directs: { email: string; message: Message }[] = [];
  let next = 1;
  return {
    posted,
    directs,
    post: async (channel, message, options = {}) => {
      const ref = { channel, ts: `1700000000.${String(next++).padStart(6, '0')}` };
      posted.push({ ref, message, threadTs: options.threadTs, updates: [] });
      return ref;
    },
    update: async (ref, message) => {
      const entry = posted.find((p) => p.ref.channel === ref.channel && p.ref.ts === ref.ts);
      if (!entry) throw new Error(`no message ${ref.channel}/${ref.ts} to update`);
      entry.updates.push(message);
    },
    direct: async (to, message) => {
      directs.push({ email: to.email, message });
    },
    current(ref) {
      const entry = posted.find((p) => p.ref.channel === ref.channel && p.ref.ts === ref.ts);
      return entry ? (entry.updates.at(-1) ?? entry.message) : undefined;
    },
  };
}
