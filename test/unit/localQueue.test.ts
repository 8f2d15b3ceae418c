import { describe, expect, it } from 'vitest';
import { LocalQueue, LocalSlots } from '../../db/stores/localQueue.ts';

describe('LocalQueue', () => {
  it('gives turns per key in arrival order, one at a time', async () => {
    const queue = new LocalQueue();
    const order: string[] = [];
    const first = await queue.enter('team-x', 1000);
    if (!first) throw new Error('the first turn should be immediate');
    const waiting = ['b', 'c', 'd'].map(async (name) => {
      const leave = await queue.enter('team-x', 5000);
      order.push(`${name} in`);
      await Promise.resolve();
      order.push(`${name} out`);
      leave?.();
    });
    // Another key does not wait for team-x.
    const other = await queue.enter('team-y', 1000);
    expect(other).not.toBeNull();
    other?.();
    order.push('a out');
    first();
    await Promise.all(waiting);
    expect(order).toEqual(['a out', 'b in', 'b out', 'c in', 'c out', 'd in', 'd out']);
  });

  it('a wait that times out gives up its place without holding up those behind it', async () => {
    const queue = new LocalQueue();
    const holder = await queue.enter('team-x', 1000);
    const impatient = queue.enter('team-x', 10);
    const patient = queue.enter('team-x', 5000);
    expect(await impatient).toBeNull();
    holder?.();
    const turn = await patient;
    expect(turn).toEqual(expect.any(Function));
    turn?.();
    // Nothing is left in line: the next comer goes straight in.
    const next = await queue.enter('team-x', 10);
    expect(next).not.toBeNull();
  });
});

describe('LocalSlots', () => {
  it('lets `capacity` holders in at once, the next in arrival order, and a timed-out waiter leaves', async () => {
    const slots = new LocalSlots(2);
    const a = await slots.take(1000);
    const b = await slots.take(1000);
    expect([a, b]).toEqual([expect.any(Function), expect.any(Function)]);
    const order: string[] = [];
    const c = slots.take(5000).then((give) => {
      order.push('c');
      return give;
    });
    expect(await slots.take(10)).toBeNull();
    const d = slots.take(5000).then((give) => {
      order.push('d');
      return give;
    });
    a?.();
    a?.(); // a second call gives nothing back twice
    (await c)?.();
    b?.();
    (await d)?.();
    expect(order).toEqual(['c', 'd']);
    // Every slot is free again.
    const all = [await slots.take(10), await slots.take(10)];
    expect(all).toEqual([expect.any(Function), expect.any(Function)]);
  });
});
