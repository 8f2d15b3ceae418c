import { describe, expect, it } from 'vitest';
import { AcksFirst } from '../../pipeline/acksFirst.ts';

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('acknowledgements first', () => {
  it('work behind an acknowledgement waits while another is being prepared, then goes in order', async () => {
    const gate = new AcksFirst(60_000);
    const first = gate.arrived();
    const second = gate.arrived();
    const started: string[] = [];
    const a = gate.turn().then(() => started.push('a'));
    const b = gate.turn().then(() => started.push('b'));
    await settle();
    first();
    await settle();
    expect(started).toEqual([]);
    second();
    await Promise.all([a, b]);
    expect(started).toEqual(['a', 'b']);
  });

  it('stops letting work start as soon as a request arrives', async () => {
    const gate = new AcksFirst(60_000);
    const acked = gate.arrived();
    const started: number[] = [];
    const turns = [1, 2, 3, 4].map((n) => gate.turn().then(() => started.push(n)));
    acked();
    // One piece per turn of the event loop: the first goes, then a request arrives.
    await settle();
    const again = gate.arrived();
    for (let i = 0; i < 5; i++) await settle();
    expect(started.length).toBeLessThan(4);
    again();
    await Promise.all(turns);
    expect(started).toEqual([1, 2, 3, 4]);
  });

  it('never starves: after its longest wait, work starts during a burst', async () => {
    const gate = new AcksFirst(5);
    const burst = gate.arrived();
    await gate.turn();
    expect(gate.acking).toBe(1);
    burst();
  });

  it('counts an acknowledgement once, however often it is said to be done', async () => {
    const gate = new AcksFirst(60_000);
    const a = gate.arrived();
    gate.arrived();
    a();
    a();
    expect(gate.acking).toBe(1);
  });
});
