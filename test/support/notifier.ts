import type { Message } from '../../pipeline/message.ts';
import type { MessageRef, Notifier } from '../../pipeline/notifier.ts';

export interface Posted {
  ref: MessageRef;
  /** The same as `ref.channel` and `ref.ts`, for brevity in assertions. */
  channel: string;
  ts: string;
  threadTs: string | undefined;
  message: Message;
  /** Every edit of this message, in order. */
  updates: Message[];
}

/** A notifier that keeps what background work posted, edited and sent directly, for assertions. */
export function recordingNotifier(): Notifier & {
  posted: Posted[];
  /** The same list as `posted`. */
  posts: Posted[];
  /** Every edit, in order, including edits of messages a responder posted. */
  updates: { ref: MessageRef; message: Message }[];
  directs: { email: string; message: Message }[];
  /** Every text a message had, in order: posted, then edited. */
  history(ref: MessageRef): string[];
  /** The message at `ref` as it reads now (its last edit). */
  current(ref: MessageRef): Message | undefined;
  /** The latest version of the message posted with `ts`. */
  latest(ts: string): Message | undefined;
} {
  const posted: Posted[] = [];
  const updates: { ref: MessageRef; message: Message }[] = [];
  const directs: { email: string; message: Message }[] = [];
  const at = (ref: MessageRef) => posted.find((p) => p.channel === ref.channel && p.ts === ref.ts);
  const now = (p: Posted | undefined) => (p ? (p.updates.at(-1) ?? p.message) : undefined);
  let next = 1;
  return {
    posted,
    posts: posted,
    updates,
    directs,
    post: async (channel, message, options = {}) => {
      const ref = { channel, ts: `1700000000.${String(next++).padStart(6, '0')}` };
      posted.push({ ref, ...ref, threadTs: options.threadTs, message, updates: [] });
      return ref;
    },
    update: async (ref, message) => {
      // The message may have been posted by a responder rather than by this notifier.
      at(ref)?.updates.push(message);
      updates.push({ ref, message });
      return ref;
    },
    direct: async (to, message) => {
      directs.push({ email: to.email, message });
    },
    history: (ref) => [
      ...posted.filter((p) => p.channel === ref.channel && p.ts === ref.ts).map((p) => p.message.text),
      ...updates
        .filter((u) => u.ref.channel === ref.channel && u.ref.ts === ref.ts)
        .map((u) => u.message.text),
    ],
    current: (ref) => now(at(ref)),
    latest: (ts) => now(posted.find((p) => p.ts === ts)),
  };
}
