import type { MessageRef, Notifier } from '../../bot/notifier.ts';
import type { Message } from '../../bot/pipeline/message.ts';

/** A notifier that keeps what background work posted, for assertions. */
export class RecordingNotifier implements Notifier {
  readonly posts: { channel: string; message: Message }[] = [];

  async post(channel: string, message: Message): Promise<MessageRef> {
    this.posts.push({ channel, message });
    return { channel, ts: `${this.posts.length}.000000` };
  }

  async update(): Promise<void> {}

  async direct(): Promise<void> {}
}
