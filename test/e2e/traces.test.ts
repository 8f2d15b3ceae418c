import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../core/paths.ts';
import type { SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { type DpbotProcess, servingSlack, startDpbotProcess } from '../support/dpbotProcess.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { type RunningKubernetes, startKubernetes } from '../support/kubernetes.ts';
import { type OtlpExport, type OtlpSpan, otlpReceiver, otlpSpans } from '../support/otlpProtobuf.ts';
import { FakeSlack, slackWithPeople } from '../support/slack.ts';
import { seedClusters, workersConfig, workersPolicies } from '../support/workers.ts';

/**
 * Traces, as an operator turns them on: `dpbot start` with the standard OTEL_* variables sends its
 * spans over OTLP/HTTP (protobuf, the default, and JSON) to a receiver on 127.0.0.1 that this test
 * runs; without them it loads no OpenTelemetry module at all.
 */

const SERVER = 2;
const CLIENT = 3;
const GRACE = 'U0GRACE001';

let kube: RunningKubernetes;
let slack: SlackSimulator;
let fixture: Fixture;
let database: TestDatabase;
let receiver: Server;
const exports: OtlpExport[] = [];
const processes: DpbotProcess[] = [];

const spans = (): OtlpSpan[] => exports.flatMap(otlpSpans);
const attribute = (span: OtlpSpan, key: string): unknown => {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value && (value.stringValue ?? value.intValue ?? value.boolValue);
};

const moduleHook = pathToFileURL(join(projectRoot(), 'test/support/loadedModules.ts')).href;

async function start(env: Record<string, string>): Promise<{ bot: DpbotProcess; slack: FakeSlack }> {
  const bot = startDpbotProcess({
    configPath: fixture.configPath,
    databaseUrl: database.url,
    logLevel: 'debug',
    env: { NODE_OPTIONS: `--import=${moduleHook}`, ...env },
  });
  processes.push(bot);
  const port = await servingSlack(bot);
  return { bot, slack: new FakeSlack(`http://127.0.0.1:${port}`, slack) };
}

/** The request id of the last `scale` attempt by Grace (the audit log is where it is kept). */
async function lastScale(): Promise<{ requestId: string; traceIds: (string | null)[] }> {
  const { rows } = await database.query<{ request_id: string; trace_id: string | null }>(
    `SELECT request_id, trace_id FROM audit_log WHERE request_id = (
       SELECT request_id FROM audit_log WHERE command = 'scale' ORDER BY id DESC LIMIT 1) ORDER BY id`,
  );
  const requestId = rows[0]?.request_id;
  if (!requestId) throw new Error('no scale audited');
  return { requestId, traceIds: rows.map((r) => r.trace_id) };
}

beforeAll(async () => {
  kube = await startKubernetes(seedClusters);
  slack = slackWithPeople();
  await slack.start();
  fixture = createFixture({
    config: { ...workersConfig(kube.kubeconfigPath), slack: { apiUrl: slack.apiUrl } },
    policies: workersPolicies,
  });
  database = await createTestDatabase();
  receiver = otlpReceiver((received, path) => {
    if (path === '/v1/traces') exports.push(received);
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
}, 60_000);

afterAll(async () => {
  for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await new Promise((resolve) => receiver?.close(resolve));
  await database?.drop();
  await slack?.stop();
  await kube?.stop();
  fixture?.remove();
});

describe('traces', () => {
  it('without OTEL_* variables, loads no OpenTelemetry module and writes no trace id', async () => {
    const { bot, slack: fake } = await start({});
    const scaled = await fake.slash('scale team-x 5 --reason "untraced"', GRACE);
    expect(scaled.status).toBe(200);
    const { requestId, traceIds } = await eventually(async () => {
      const last = await lastScale();
      expect(last.traceIds.length).toBeGreaterThanOrEqual(2);
      return last;
    });
    expect(traceIds.every((id) => id === null)).toBe(true);
    // Only the API, which prom-client (dpbot's metrics) requires for its exemplars whatever the
    // configuration: a no-op without an SDK.
    expect(
      bot.lines.filter((l) => l.msg === 'module resolved' && !String(l.url).includes('/@opentelemetry/api/')),
    ).toEqual([]);
    expect(bot.lines.filter((l) => 'traceId' in l)).toEqual([]);
    expect(requestId).toBeTruthy();
    bot.child.kill('SIGTERM');
    await bot.exited;
  }, 120_000);

  it('with them, sends one trace per Slack request: a span per stage, outbound calls, linked jobs', async () => {
    const { bot, slack: fake } = await start({
      // The default protocol, OTLP/HTTP protobuf.
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
      OTEL_SERVICE_NAME: 'dpbot-traces-test',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    // The hook sees the modules tracing loads (so its silence above means something).
    expect(bot.lines.some((l) => String(l.url).includes('/@opentelemetry/sdk-node/'))).toBe(true);

    const scaled = await fake.slash('scale team-x 6 --for 2s --reason "traced"', GRACE);
    expect(scaled.status).toBe(200);
    const { requestId, traceIds } = await eventually(async () => {
      const last = await lastScale();
      expect(last.traceIds.length).toBeGreaterThanOrEqual(2);
      return last;
    });
    const traceId = traceIds[0];
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    // Every row of the request carries its trace.
    expect(new Set(traceIds)).toEqual(new Set([traceId]));

    const request = await eventually(() => {
      const found = spans().find((s) => attribute(s, 'dpbot.request_id') === requestId);
      expect(found?.name).toBe('dpbot scale');
      expect(attribute(found as OtlpSpan, 'dpbot.outcome')).toBe('ok');
      return found as OtlpSpan;
    }, 30_000);
    expect(request.traceId).toBe(traceId);
    // The requests the start sends itself to warm its path are no one's work: not traced.
    expect(spans().filter((s) => s.name === 'verify')).toHaveLength(1);
    // Nor is the start's rehearsal of whoami as Grace, who used dpbot in the test before.
    expect(bot.lines.find((l) => l.msg === 'rehearsed whoami on the request path')).toMatchObject({
      rehearsed: 10,
    });
    expect(spans().filter((s) => s.name === 'dpbot whoami' || s.name === 'identify')).toHaveLength(1);

    // The HTTP request from Slack is the root; verify is its child, the pipeline's request too.
    const trace = () => spans().filter((s) => s.traceId === traceId);
    const root = trace().find((s) => !s.parentSpanId);
    expect(root?.kind).toBe(SERVER);
    // Named and described as OpenTelemetry's HTTP conventions have it: dpbot makes this span itself.
    expect(root?.name).toBe('POST /slack/events');
    expect(attribute(root as OtlpSpan, 'http.request.method')).toBe('POST');
    expect(attribute(root as OtlpSpan, 'http.route')).toBe('/slack/events');
    expect(attribute(root as OtlpSpan, 'url.path')).toBe('/slack/events');
    expect(String(attribute(root as OtlpSpan, 'http.response.status_code'))).toBe('200');
    expect(attribute(root as OtlpSpan, 'network.peer.address')).toBe('127.0.0.1');
    expect(request.parentSpanId).toBe(root?.spanId);
    expect(trace().find((s) => s.name === 'verify')?.parentSpanId).toBe(root?.spanId);
    expect(
      exports.every((e) =>
        e.resourceSpans.every((r) =>
          r.resource?.attributes?.some(
            (a) => a.key === 'service.name' && a.value.stringValue === 'dpbot-traces-test',
          ),
        ),
      ),
    ).toBe(true);

    // A span per stage, children of the request's.
    const stages = await eventually(() => {
      const names = trace()
        .filter((s) => s.parentSpanId === request.spanId)
        .map((s) => s.name);
      for (const stage of ['identify', 'authorize', 'audit', 'confirm', 'execute'])
        expect(names, JSON.stringify(trace().map((t) => [t.name, t.spanId, t.parentSpanId]))).toContain(
          stage,
        );
      return trace().filter((s) => s.parentSpanId === request.spanId);
    }, 30_000);
    expect(
      stages.find((s) => s.name === 'authorize') &&
        attribute(stages.find((s) => s.name === 'authorize') as OtlpSpan, 'dpbot.allowed'),
    ).toBe(true);

    // Under execute: the call to the Kubernetes simulator (from the maintained instrumentations).
    const under = (parent: OtlpSpan): OtlpSpan[] => {
      const children = trace().filter((s) => s.parentSpanId === parent.spanId);
      return children.concat(children.flatMap(under));
    };
    const execute = stages.find((s) => s.name === 'execute') as OtlpSpan;
    const kubePort = new URL(kube.sim.url).port;
    await eventually(() => {
      const calls = under(execute).filter((s) => s.kind === CLIENT);
      expect(
        calls.some(
          (s) =>
            String(attribute(s, 'url.full')).includes(`:${kubePort}/`) ||
            String(attribute(s, 'server.port')) === kubePort,
        ),
        JSON.stringify(calls.map((c) => [c.name, c.attributes])),
      ).toBe(true);
    }, 30_000);
    // The command's reply, a call to Slack's Web API.
    const slackPort = new URL(slack.apiUrl).port;
    const reply = under(execute).find((s) => s.name === 'reply');
    expect(reply).toBeDefined();
    expect(
      under(reply as OtlpSpan).some(
        (s) => s.kind === CLIENT && String(attribute(s, 'server.port')) === slackPort,
      ),
      JSON.stringify(under(reply as OtlpSpan).map((c) => [c.name, c.attributes])),
    ).toBe(true);
    // PostgreSQL queries, an audit row's among them.
    const audit = stages.find((s) => s.name === 'audit') as OtlpSpan;
    expect(under(audit).some((s) => s.name.startsWith('pg.query'))).toBe(true);

    // The jobs the scale queued (readiness, its timed revert) run in traces of their own, linked
    // to the request's.
    await eventually(() => {
      const jobs = spans().filter(
        (s) => s.name.startsWith('job ') && s.links?.some((l) => l.traceId === traceId),
      );
      expect(jobs.map((j) => j.name)).toContain('job dpbot.workers.revert');
      for (const job of jobs) expect(job.traceId).not.toBe(traceId);
    }, 30_000);

    // The request's log lines carry its trace id.
    const traced = bot.lines.filter((l) => l.traceId === traceId);
    expect(traced.length).toBeGreaterThan(0);
    expect(bot.lines.filter((l) => l.requestId === requestId && l.traceId !== traceId)).toEqual([]);

    // Behind a proxy that traces, a request joins the proxy's trace (W3C traceparent).
    const proxyTrace = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const proxySpan = '0f1e2d3c4b5a6978';
    const whoami = await fake.slash('whoami', GRACE, undefined, {
      headers: { traceparent: `00-${proxyTrace}-${proxySpan}-01` },
    });
    expect(whoami.status).toBe(200);
    await eventually(() => {
      const served = spans().find((s) => s.traceId === proxyTrace && s.kind === SERVER);
      expect(served?.parentSpanId).toBe(proxySpan);
      expect(spans().find((s) => s.traceId === proxyTrace && s.name === 'dpbot whoami')).toBeDefined();
    }, 30_000);

    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
  }, 150_000);

  it('a request the sampler leaves out sends no span, and its rows and lines still carry its trace id', async () => {
    const before = spans().length;
    const { bot, slack: fake } = await start({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'dpbot-traces-test',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_TRACES_SAMPLER: 'parentbased_always_off',
    });
    const scaled = await fake.slash('scale team-x 5 --reason "not sampled"', GRACE);
    expect(scaled.status).toBe(200);
    const { requestId, traceIds } = await eventually(async () => {
      const last = await lastScale();
      expect(last.traceIds.length).toBeGreaterThanOrEqual(2);
      return last;
    });
    const traceId = traceIds[0];
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(traceIds)).toEqual(new Set([traceId]));
    expect(bot.lines.filter((l) => l.requestId === requestId && l.traceId !== traceId)).toEqual([]);
    await eventually(() => expect(bot.lines.some((l) => l.traceId === traceId)).toBe(true));
    // Stopping flushes whatever was buffered: nothing of this trace was.
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
    expect(
      spans()
        .slice(before)
        .filter((s) => s.traceId === traceId),
    ).toEqual([]);
  }, 120_000);
});
