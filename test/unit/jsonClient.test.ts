import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NotJsonAnswerError, TruncatedAnswerError, UpstreamError } from '../../core/errors.ts';
import { CACHED_READ_RETRY } from '../../core/http/httpJson.ts';
import { type JsonCall, JsonClient, type JsonClientOptions } from '../../core/http/jsonClient.ts';
import { isIdempotent, retryWaitMs } from '../../core/http/retryPolicy.ts';
import { createMetrics } from '../../core/metrics.ts';
import { Simulator } from '../../sandbox/http.ts';

const sim = new Simulator('echo')
  .route('GET', '/base/things', (req) => ({ body: { query: Object.fromEntries(req.query) } }))
  .route('GET', '/html', () => ({ text: '<html>sign in</html>' }))
  .route('GET', '/empty', () => ({ status: 204 }))
  .route('GET', '/secret', (req) =>
    req.headers.authorization === 'Bearer fresh'
      ? { body: { ok: true } }
      : { status: 401, body: { message: 'token expired' } },
  );
for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'])
  sim.route(method, '/thing', (req) => ({ body: { method, echo: req.body ?? null } }));

/** Sends headers and half a body, then drops the connection. */
let broken: Server;
let brokenUrl = '';

beforeAll(async () => {
  await sim.start();
  broken = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    res.write('{"items": [1, 2,');
    setTimeout(() => res.destroy(), 20);
  });
  await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', () => resolve()));
  brokenUrl = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await sim.stop();
  await new Promise<void>((resolve) => broken.close(() => resolve()));
});
beforeEach(() => {
  sim.requests.length = 0;
  sim.clearFaults();
});

const fast = { retries: 2, baseDelayMs: 10, maxWaitMs: 1000 };

function client(options: Partial<JsonClientOptions> = {}): JsonClient {
  return new JsonClient({
    system: 'Echo',
    metricsSystem: 'other',
    baseUrl: sim.url,
    timeoutMs: 2000,
    retry: fast,
    ...options,
  });
}

async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

const call = (method: string): JsonCall =>
  method === 'GET' ? { method, url: '/thing' } : { method, url: '/thing', json: { n: 1 } };

describe('the retry policy', () => {
  it('retries idempotent methods only', () => {
    expect(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'get'].map(isIdempotent)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['POST', 'PATCH'].map(isIdempotent)).toEqual([false, false]);
  });

  it('waits what Retry-After asks (seconds or a date), else backs off, and refuses waits past the cap', () => {
    const policy = { retries: 3, baseDelayMs: 500, maxWaitMs: 5000 };
    expect([1, 2, 3, 5].map((n) => retryWaitMs(policy, n, null))).toEqual([500, 1000, 2000, 5000]);
    expect(retryWaitMs(policy, 1, '2')).toBe(2000);
    const now = Date.parse('2026-12-01T10:00:00Z');
    expect(retryWaitMs(policy, 1, 'Tue, 01 Dec 2026 10:00:03 GMT', now)).toBe(3000);
    expect(retryWaitMs(policy, 1, '60')).toBeUndefined();
  });
});

describe('JsonClient against a loopback server', () => {
  it('joins paths to the base URL path and sends JSON bodies', async () => {
    const base = client({ baseUrl: `${sim.url}/base/` });
    expect(await base.request({ url: '/things', query: { page: '2' } })).toEqual({ query: { page: '2' } });
    expect(await client().request(call('POST'))).toEqual({ method: 'POST', echo: { n: 1 } });
    expect(sim.requests.at(-1)?.headers['content-type']).toBe('application/json');
  });

  it('retries GET, PUT and DELETE on 429, 502, 503 and 504, a bounded number of times', async () => {
    for (const [method, status] of [
      ['GET', 429],
      ['PUT', 502],
      ['DELETE', 503],
      ['GET', 504],
    ] as const) {
      sim.requests.length = 0;
      sim.inject({ method, path: /\/thing$/, status, times: 2 });
      expect(await client().request(call(method))).toMatchObject({ method });
      expect(sim.requests).toHaveLength(3);
    }
    sim.requests.length = 0;
    sim.inject({ path: /\/thing$/, status: 503, body: { message: 'overloaded' }, times: 5 });
    const error = await failure(client().request(call('GET')));
    expect([error.status, error.message, sim.requests.length]).toEqual([
      503,
      'Echo: answered HTTP 503: overloaded',
      3,
    ]);
  });

  it('never retries POST or PATCH, nor a 500 or a 4xx', async () => {
    for (const [method, status] of [
      ['POST', 503],
      ['PATCH', 429],
      ['GET', 500],
      ['GET', 400],
    ] as const) {
      sim.requests.length = 0;
      sim.inject({ method, path: /\/thing$/, status, times: 1 });
      expect((await failure(client().request(call(method)))).status).toBe(status);
      expect(sim.requests).toHaveLength(1);
    }
  });

  it('waits out a short Retry-After and reports a long one instead of waiting', async () => {
    sim.inject({ path: /\/thing$/, status: 429, headers: { 'retry-after': '0' }, times: 1 });
    expect(await client().request(call('GET'))).toMatchObject({ method: 'GET' });
    expect(sim.requests).toHaveLength(2);

    sim.requests.length = 0;
    sim.inject({
      path: /\/thing$/,
      status: 429,
      body: { message: 'slow down' },
      headers: { 'retry-after': '120' },
      times: 1,
    });
    const error = await failure(client().request(call('GET')));
    expect(error.message).toBe('Echo: answered HTTP 429: slow down; try again in 2m');
    expect(sim.requests).toHaveLength(1);
  });

  it('cuts a slow answer at the timeout and does not ask again', async () => {
    sim.inject({ path: /\/thing$/, delayMs: 500, times: 1 });
    const error = await failure(
      client({ timeoutMs: 100 }).request({ ...call('GET'), context: 'GET /thing' }),
    );
    expect([error.status, error.message]).toEqual([undefined, 'Echo: GET /thing: no answer within 100ms']);
    expect(sim.requests).toHaveLength(1);
  });

  it('reports a 2xx answer that is not JSON, and reads an empty one as undefined', async () => {
    const error = await failure(client().request({ url: '/html' }));
    expect(error).toBeInstanceOf(NotJsonAnswerError);
    expect([error.status, error.message]).toEqual([200, 'Echo: answered with something that is not JSON']);
    expect(await client().request({ url: '/empty' })).toBeUndefined();
    expect(await failure(client().request({ url: '/empty', expectBody: true }))).toBeInstanceOf(
      NotJsonAnswerError,
    );
  });

  it('reports a body that broke off as an incomplete answer', async () => {
    const error = await failure(client().request({ url: `${brokenUrl}/list` }));
    expect(error).toBeInstanceOf(TruncatedAnswerError);
    expect(error.message).toMatch(/^Echo: incomplete answer: the answer broke off/);
  });

  it('retries a refused connection, then says the system is unreachable', async () => {
    const gone = new Simulator('gone');
    const url = await gone.start();
    await gone.stop();
    const error = await failure(client({ baseUrl: url }).request(call('GET')));
    expect(error.message).toMatch(/^Echo: unreachable \(.*ECONNREFUSED/);
    expect(error.status).toBeUndefined();
  });

  it('counts and times every attempt under its metrics system, in every app listening', async () => {
    const metrics = createMetrics();
    try {
      sim.inject({ path: /\/thing$/, status: 503, times: 1 });
      await client({ metricsSystem: 'argocd' }).request(call('GET'));
      const gone = new Simulator('gone');
      const url = await gone.start();
      await gone.stop();
      await failure(
        client({ baseUrl: url, metricsSystem: 'argocd', retry: { ...fast, retries: 0 } }).request(
          call('GET'),
        ),
      );
      // A name outside the fixed list is counted as "other": the label's values stay bounded.
      await client({ metricsSystem: 'somewhere' }).request(call('GET'));
      const page = await metrics.registry.metrics();
      expect(page).toMatch(/^dpbot_external_calls_total\{system="argocd",status="503"\} 1$/m);
      expect(page).toMatch(/^dpbot_external_calls_total\{system="argocd",status="200"\} 1$/m);
      expect(page).toMatch(/^dpbot_external_calls_total\{system="argocd",status="error"\} 1$/m);
      expect(page).toMatch(/^dpbot_external_call_duration_seconds_count\{system="argocd"\} 3$/m);
      expect(page).toMatch(/^dpbot_external_calls_total\{system="other",status="200"\} 1$/m);
      expect(page).not.toContain('somewhere');
    } finally {
      metrics.close();
    }
    const after = createMetrics();
    await client({ metricsSystem: 'argocd' }).request(call('GET'));
    expect(await after.registry.metrics()).toMatch(
      /dpbot_external_calls_total\{system="argocd",status="200"\} 1/,
    );
    after.close();
  });

  it('renews credentials once on a 401, and names the credential when it stays refused', async () => {
    let token = 'stale';
    let renewals = 0;
    const renewing = client({
      authorization: () => `Bearer ${token}`,
      onUnauthorized: () => {
        renewals++;
        token = 'fresh';
        return true;
      },
    });
    expect(await renewing.request({ url: '/secret' })).toEqual({ ok: true });
    expect(renewals).toBe(1);

    const refused = client({
      authorization: () => 'Bearer stale',
      onUnauthorized: () => {
        renewals++;
        return true;
      },
      credential: 'ECHO_TOKEN',
    });
    const error = await failure(refused.request({ url: '/secret' }));
    expect(error.message).toBe(
      'Echo: answered HTTP 401: token expired (check ECHO_TOKEN: it was refused, it may have expired)',
    );
    expect(renewals).toBe(2);
  });

  it("takes the API's own rate-limit answers and error mapping", async () => {
    sim.inject({ path: /\/thing$/, status: 403, body: { reason: 'rateLimitExceeded' }, times: 1 });
    sim.inject({ path: /\/thing$/, status: 403, body: { reason: 'forbidden' }, times: 1 });
    const mapped = client({
      rateLimited: (answer) =>
        answer.status === 403 && (answer.json as { reason?: string }).reason === 'rateLimitExceeded',
      errorFor: (answer, c) =>
        new UpstreamError('Echo', `${c.context} refused (${answer.status})`, answer.status),
    });
    const error = await failure(mapped.request({ ...call('GET'), context: 'reading the thing' }));
    expect(error.message).toBe('Echo: reading the thing refused (403)');
    expect(sim.requests).toHaveLength(2);
  });

  it("takes a call's own retry policy, and maps the calls it chooses, leaving the rest to the default", async () => {
    sim.inject({ path: /\/thing$/, status: 503, times: 3 });
    const chosen = client({
      errorFor: (answer, c) =>
        c.context === undefined
          ? undefined
          : new UpstreamError('Echo', `${c.context} failed (${answer.status})`),
      failureFor: (f, c) =>
        c.context === undefined ? undefined : new UpstreamError('Echo', `${c.context}: ${f.kind}`),
    });
    const once = await failure(
      chosen.request({
        ...call('GET'),
        context: 'one try',
        retry: { retries: 0, baseDelayMs: 0, maxWaitMs: 0 },
      }),
    );
    expect(once.message).toBe('Echo: one try failed (503)');
    expect(sim.requests).toHaveLength(1);
    const plain = await failure(
      chosen.request({ ...call('GET'), retry: { retries: 1, baseDelayMs: 10, maxWaitMs: 100 } }),
    );
    expect(plain.message).toBe('Echo: answered HTTP 503: injected 503');
    expect(sim.requests).toHaveLength(3);
    expect((await failure(chosen.request({ url: '/html', context: 'a page' }))).message).toBe(
      'Echo: a page: notJson',
    );
    expect(await failure(chosen.request({ url: '/html' }))).toBeInstanceOf(NotJsonAnswerError);
  });

  it("stops waiting when the caller's signal fires", async () => {
    sim.inject({ path: /\/thing$/, status: 503, headers: { 'retry-after': '1' }, times: 1 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await failure(client().request({ ...call('GET'), signal: controller.signal }));
    expect(error.message).toBe('Echo: cancelled');
    expect(sim.requests).toHaveLength(1);
  });
});

describe('CACHED_READ_RETRY (reads behind a cache)', () => {
  const getJson = (req: { system: string; url: URL; timeoutMs: number }) =>
    new JsonClient({
      system: req.system,
      metricsSystem: 'other',
      timeoutMs: req.timeoutMs,
      retry: CACHED_READ_RETRY,
    }).request({
      url: req.url,
      expectBody: true,
    });

  it('tries once more, no more, and keeps its messages', async () => {
    const url = new URL('/thing', sim.url);
    sim.inject({ path: /\/thing$/, status: 503, times: 1 });
    expect(await getJson({ system: 'Echo', url, timeoutMs: 2000 })).toMatchObject({ method: 'GET' });
    sim.requests.length = 0;
    sim.inject({ path: /\/thing$/, status: 503, times: 2 });
    await expect(getJson({ system: 'Echo', url, timeoutMs: 2000 })).rejects.toThrow(
      'Echo: answered HTTP 503: injected 503',
    );
    expect(sim.requests).toHaveLength(2);
    await expect(
      getJson({ system: 'Echo', url: new URL('/empty', sim.url), timeoutMs: 2000 }),
    ).rejects.toThrow('Echo: answered with something that is not JSON');
  });
});
