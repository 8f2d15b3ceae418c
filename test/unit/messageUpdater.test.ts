import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MessageUpdater } from '../../bot/slack/messageUpdater.ts';
import type { Message } from '../../pipeline/message.ts';
import type { MessageRef } from '../../pipeline/notifier.ts';

// The updater's limits, on vitest's fake clock: nothing here waits for real time.

const text = (t: string): Message => ({ text: t, visibility: 'in_channel' });
const ref = (n: number): MessageRef => ({ channel: 'C1', ts: `1700000000.00000${n}` });

let sent: { ts: string; text: string }[];
let updater: MessageUpdater;

beforeEach(() => {
  vi.useFakeTimers();
  sent = [];
  updater = new MessageUpdater(
    async (r, m) => {
      sent.push({ ts: r.ts, text: m.text });
      return 'sent';
    },
    { minIntervalMs: 1000, perMinute: 3 },
    pino({ level: 'silent' }),
  );
});
afterEach(() => {
  vi.useRealTimers();
});

describe('MessageUpdater', () => {
  it('sends no more than the minute allows, across messages; the rest wait for the minute to pass', async () => {
    for (let n = 1; n <= 5; n++) void updater.update(ref(n), text(`m${n}`));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sent.map((s) => s.text)).toEqual(['m1', 'm2', 'm3']);
    // Still waiting, a message's newer content replaces what it had queued.
    void updater.update(ref(5), text('m5, newer'));
    await vi.advanceTimersByTimeAsync(51_000);
    expect(sent.map((s) => s.text)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5, newer']);
  });

  it('does not send content a message already shows', async () => {
    void updater.update(ref(1), text('same'));
    await vi.advanceTimersByTimeAsync(2000);
    const again = updater.update(ref(1), text('same'));
    await vi.advanceTimersByTimeAsync(2000);
    await again;
    void updater.update(ref(1), text('changed'));
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent.map((s) => s.text)).toEqual(['same', 'changed']);
  });

  it('coalesces updates of one message to one per interval, sending the newest', async () => {
    void updater.update(ref(1), text('a'));
    await vi.advanceTimersByTimeAsync(0);
    void updater.update(ref(1), text('b'));
    void updater.update(ref(1), text('c'));
    await vi.advanceTimersByTimeAsync(500);
    expect(sent.map((s) => s.text)).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent.map((s) => s.text)).toEqual(['a', 'c']);
  });
});
