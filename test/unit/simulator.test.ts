import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Simulator } from '../../sandbox/http.ts';

const sim = new Simulator('test')
  .route('GET', '/things/:id', (req) => ({ body: { id: req.params.id, q: req.query.get('q') } }))
  .route('POST', '/form', (req) => ({ body: { got: req.body } }));

beforeAll(() => sim.start());
afterAll(() => sim.stop());

describe('loopback simulator harness', () => {
  it('binds to 127.0.0.1, routes with parameters, parses JSON and forms, records requests', async () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${sim.url}/things/a%20b?q=1`)).json()).toEqual({ id: 'a b', q: '1' });
    const form = await fetch(`${sim.url}/form`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&b=two',
    });
    expect(await form.json()).toEqual({ got: { a: '1', b: 'two' } });
    expect(sim.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /things/a%20b', 'POST /form']);
  });

  it('answers 404 for unknown routes and applies injected faults a bounded number of times', async () => {
    expect((await fetch(`${sim.url}/nope`)).status).toBe(404);
    sim.inject({ path: /^\/things\//, status: 429, headers: { 'retry-after': '1' }, times: 2 });
    const first = await fetch(`${sim.url}/things/x`);
    expect([first.status, first.headers.get('retry-after')]).toEqual([429, '1']);
    expect((await fetch(`${sim.url}/things/x`)).status).toBe(429);
    expect((await fetch(`${sim.url}/things/x`)).status).toBe(200);
  });

  it('counts requests by route, each path parameter by its name', () => {
    const counts = sim.countByRoute();
    expect(counts.get('GET /things/:id')).toBe(
      sim.requests.filter((r) => r.path.startsWith('/things/')).length,
    );
    expect(counts.get('POST /form')).toBe(1);
    expect(counts.get('GET /nope')).toBe(1);
    // Stamped on one monotonic clock, in the order they arrived.
    const times = sim.requests.map((r) => r.at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});
