import { describe, expect, it } from 'vitest';
import type { SimExchange } from '../../sandbox/http.ts';
import { argoCdChecker } from './checkers/argoCd.ts';
import { argoWorkflowsChecker } from './checkers/argoWorkflows.ts';
import { contractCheckers } from './checkers/index.ts';
import { jiraChecker } from './checkers/jira.ts';
import { kubernetesChecker } from './checkers/kubernetes.ts';
import { slackWebApiChecker } from './checkers/slackWebApi.ts';
import type { ContractChecker } from './support/checker.ts';
import { formatReport } from './support/contractReport.ts';
import { ExchangeJudge } from './support/exchangeJudge.ts';

/**
 * Each system's checker passes an exchange that keeps to its published description and fails a
 * planted violation, in the request and in the answer: a checker that cannot fail checks nothing.
 */

const TS = '1800000001.000001';
const CHANNEL = 'C0123456789';

const slack = (method: string, body: Record<string, string>, answer: unknown): SimExchange => ({
  method: 'POST',
  path: `/api/${method}`,
  query: '',
  body,
  contentType: 'application/x-www-form-urlencoded',
  authorized: true,
  status: 200,
  responseBody: answer,
});

const user = (id: string) => ({
  id,
  team_id: 'T0SANDBOX',
  name: 'ada',
  deleted: false,
  real_name: 'Ada Lovelace',
  is_bot: false,
  is_app_user: false,
  updated: 1_700_000_000,
  profile: {
    real_name: 'Ada Lovelace',
    real_name_normalized: 'Ada Lovelace',
    display_name: 'ada',
    display_name_normalized: 'ada',
    avatar_hash: 'g0123456789a',
    title: '',
    phone: '',
    skype: '',
    status_text: '',
    status_emoji: '',
    fields: {},
  },
});

/** The problems of an exchange, as one text to match. */
const problems = (checker: ContractChecker, exchange: SimExchange) => checker.check(exchange).join('\n');

describe('the Slack Web API checker', () => {
  const posted = {
    ok: true,
    channel: CHANNEL,
    ts: TS,
    message: { type: 'message', text: 'hi', ts: TS },
  };

  it('passes a call and an answer that keep to the document', () => {
    expect(
      slackWebApiChecker.check(slack('chat.postMessage', { channel: CHANNEL, text: 'hi' }, posted)),
    ).toEqual([]);
    const blocks = JSON.stringify([{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }]);
    expect(
      slackWebApiChecker.check(
        slack(
          'chat.update',
          { channel: CHANNEL, ts: TS, text: 'hi', blocks },
          {
            ok: true,
            channel: CHANNEL,
            ts: TS,
            text: 'hi',
            message: { text: 'hi', blocks: JSON.parse(blocks) },
          },
        ),
      ),
    ).toEqual([]);
    expect(
      slackWebApiChecker.check(
        slack(
          'users.list',
          { limit: '200' },
          { ok: true, members: [user('U0ADA')], cache_ts: 1_700_000_000 },
        ),
      ),
    ).toEqual([]);
  });

  it('fails an unknown argument, a missing one, a value of the wrong type and JSON that is not a list', () => {
    const text = problems(
      slackWebApiChecker,
      slack('chat.postMessage', { chanel: CHANNEL, text: 'hi', unfurl_links: 'yes', blocks: '{}' }, posted),
    );
    expect(text).toMatch(/unknown argument "chanel"/);
    expect(text).toMatch(/required argument "channel" missing/);
    expect(text).toMatch(/argument "unfurl_links" is "yes", not true or false/);
    expect(text).toMatch(/argument "blocks" is JSON object, not an array/);
    expect(
      problems(slackWebApiChecker, { ...slack('auth.test', {}, { ok: true }), authorized: false }),
    ).toMatch(/required argument "token" missing/);
    expect(problems(slackWebApiChecker, slack('chat.postMesage', {}, { ok: true }))).toMatch(
      /no such Web API method/,
    );
  });

  it('fails the answers the issue found: chat.update without `message`, users.list without `cache_ts`', () => {
    expect(
      problems(
        slackWebApiChecker,
        slack(
          'chat.update',
          { channel: CHANNEL, ts: TS, text: 'hi' },
          { ok: true, channel: CHANNEL, ts: TS, text: 'hi' },
        ),
      ),
    ).toMatch(/answer: required field "message" missing/);
    expect(
      problems(slackWebApiChecker, slack('users.list', {}, { ok: true, members: [user('U0ADA')] })),
    ).toMatch(/answer: required field "cache_ts" missing/);
  });

  it('fails a user without the fields Slack always sends, and an error it does not give', () => {
    const { updated: _, ...withoutUpdated } = user('U0ADA');
    expect(
      problems(
        slackWebApiChecker,
        slack('users.info', { user: 'U0ADA' }, { ok: true, user: withoutUpdated }),
      ),
    ).toMatch(/required field "updated" missing/);
    expect(
      problems(
        slackWebApiChecker,
        slack('users.info', { user: 'U0ADA' }, { ok: false, error: 'no_such_user' }),
      ),
    ).toMatch(/error answer "no_such_user"\/error: must be equal to one of the allowed values/);
  });
});

describe('the Kubernetes checker', () => {
  const scalePath = '/apis/apps/v1/namespaces/team-x/deployments/workers/scale';
  const scale = {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name: 'workers', namespace: 'team-x', resourceVersion: '7' },
    spec: { replicas: 4 },
    status: { replicas: 4, selector: 'app=workers' },
  };
  const put = (body: unknown, answer: unknown, status = 200): SimExchange => ({
    method: 'PUT',
    path: scalePath,
    query: '',
    body,
    contentType: 'application/json',
    status,
    responseBody: answer,
  });
  const hpaPatch = (contentType: string, body: unknown): SimExchange => ({
    method: 'PATCH',
    path: '/apis/autoscaling/v2/namespaces/team-x/horizontalpodautoscalers/workers',
    query: '',
    body,
    contentType,
    status: 200,
    responseBody: {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'workers', namespace: 'team-x' },
      spec: {
        minReplicas: 3,
        maxReplicas: 10,
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'workers' },
      },
    },
  });

  it('passes a scale write and a merge patch that keep to the document', () => {
    expect(kubernetesChecker.check(put(scale, scale))).toEqual([]);
    expect(
      kubernetesChecker.check(hpaPatch('application/merge-patch+json', { spec: { minReplicas: 3 } })),
    ).toEqual([]);
  });

  it('fails a wrong verb, an unknown query parameter, a patch content type and a misspelt patch field', () => {
    expect(problems(kubernetesChecker, { ...put(scale, scale), method: 'POST' })).toMatch(
      /POST is not an operation/,
    );
    expect(problems(kubernetesChecker, { ...put(scale, scale), query: '?labelselector=a' })).toMatch(
      /unknown query parameter "labelselector"/,
    );
    expect(problems(kubernetesChecker, hpaPatch('application/json', { spec: { minReplicas: 3 } }))).toMatch(
      /content type "application\/json" is not one the operation takes/,
    );
    expect(
      problems(kubernetesChecker, hpaPatch('application/merge-patch+json', { spec: { minReplica: 3 } })),
    ).toMatch(/merge patch\/spec: unknown field "minReplica"/);
  });

  it('fails an answer of the wrong type and an error that is not a Status', () => {
    expect(problems(kubernetesChecker, put(scale, { ...scale, spec: { replicas: '4' } }))).toMatch(
      /response 200\/spec\/replicas: must be integer/,
    );
    const notStatus = problems(
      kubernetesChecker,
      put(scale, { kind: 'Status', code: '409', reasons: 'x' }, 409),
    );
    expect(notStatus).toMatch(/response 409\/code: must be integer/);
    expect(notStatus).toMatch(/response 409: unknown field "reasons"/);
    expect(
      kubernetesChecker.check(
        put(
          scale,
          { apiVersion: 'v1', kind: 'Status', status: 'Failure', reason: 'Conflict', code: 409 },
          409,
        ),
      ),
    ).toEqual([]);
  });

  it('leaves custom resources, which the document does not describe, to no checker', () => {
    expect(
      kubernetesChecker.accepts('kubernetes', {
        ...put({}, {}),
        path: '/apis/flink.apache.org/v1beta1/namespaces/team-x/flinkdeployments/orders',
      }),
    ).toBe(false);
    expect(kubernetesChecker.accepts('kubernetes', put(scale, scale))).toBe(true);
  });
});

describe('the Jira checker', () => {
  const doc = (content: unknown[]) => ({ type: 'doc', version: 1, content });
  const comment = (body: unknown, answer: unknown, status = 201): SimExchange => ({
    method: 'POST',
    path: '/rest/api/3/issue/DP-1/comment',
    query: '',
    body: { body },
    contentType: 'application/json',
    status,
    responseBody: answer,
  });
  const paragraph = doc([{ type: 'paragraph', content: [{ type: 'text', text: 'shipped' }] }]);
  const created = {
    id: '10001',
    self: 'https://jira.test/rest/api/3/issue/10000/comment/10001',
    body: paragraph,
  };

  it('passes a comment in Atlassian Document Format, and its answer', () => {
    expect(jiraChecker.check(comment(paragraph, created))).toEqual([]);
  });

  it('fails a body that is not ADF, a value outside an enum and an answer of the wrong type', () => {
    expect(
      problems(
        jiraChecker,
        comment(doc([{ type: 'paragraf', content: [{ type: 'text', text: 'x' }] }]), created),
      ),
    ).toMatch(/request body\/body.*not Atlassian Document Format/);
    expect(
      problems(jiraChecker, {
        ...comment(paragraph, created),
        body: { body: paragraph, visibility: { type: 'team', value: 'admins' } },
      }),
    ).toMatch(/request body\/visibility\/type: must be equal to one of the allowed values \(group, role\)/);
    expect(problems(jiraChecker, comment(paragraph, { ...created, id: 10001 }))).toMatch(
      /response 201\/id: must be string/,
    );
  });

  it('holds an error answer to the ErrorCollection Jira sends', () => {
    expect(
      jiraChecker.check(comment(paragraph, { errorMessages: ['Issue does not exist'], errors: {} }, 404)),
    ).toEqual([]);
    expect(problems(jiraChecker, comment(paragraph, { message: 'Issue does not exist' }, 404))).toMatch(
      /response 404: unknown field "message"/,
    );
  });
});

describe('the Argo checkers', () => {
  it('fail an unknown body field and an answer of the wrong type', () => {
    const sync: SimExchange = {
      method: 'POST',
      path: '/api/v1/applications/orders/sync',
      query: '',
      body: { revison: 'main' },
      contentType: 'application/json',
      status: 200,
      responseBody: { metadata: { name: 'orders' }, spec: 'none' },
    };
    const text = problems(argoCdChecker, sync);
    expect(text).toMatch(/request body: unknown field "revison"/);
    expect(text).toMatch(/response 200\/spec: must be object/);
    expect(
      problems(argoWorkflowsChecker, {
        method: 'GET',
        path: '/api/v1/workflows/ns/wf',
        query: '',
        body: undefined,
        status: 200,
        responseBody: { metadata: { name: 'wf' }, spec: {}, status: { phaze: 'Running' } },
      }),
    ).toMatch(/response 200\/status: unknown field "phaze"/);
  });
});

/** A violation for each system: a new system's checker in checkers/index.ts needs one here. */
const PLANTED: Readonly<Record<string, { simulator: string; exchange: SimExchange }>> = {
  'Slack Web API': {
    simulator: 'Slack',
    exchange: slack('users.list', {}, { ok: true, members: [user('U0ADA00001')] }),
  },
  Kubernetes: {
    simulator: 'kubernetes',
    exchange: {
      method: 'GET',
      path: '/apis/apps/v1/namespaces/team-x/deployments/workers/scale',
      query: '',
      body: undefined,
      status: 200,
      responseBody: { kind: 'Scale', spec: { replicas: 'four' } },
    },
  },
  'Jira Cloud': {
    simulator: 'jira',
    exchange: {
      method: 'PUT',
      path: '/rest/api/3/version/10000',
      query: '',
      body: { released: 'yes' },
      contentType: 'application/json',
      status: 200,
      responseBody: { id: '10000', released: true },
    },
  },
  'Argo CD': {
    simulator: 'argocd',
    exchange: {
      method: 'GET',
      path: '/api/v1/applications/orders',
      query: '?refersh=normal',
      body: undefined,
      status: 200,
      responseBody: { metadata: { name: 'orders' } },
    },
  },
  'GitHub REST': {
    simulator: 'github',
    exchange: {
      method: 'GET',
      path: '/repos/acme/orders/pulls',
      query: '?state=closed&per_page=lots',
      body: undefined,
      status: 200,
      responseBody: [],
    },
  },
  'Argo Workflows': {
    simulator: 'argo-workflows',
    exchange: {
      method: 'PUT',
      path: '/api/v1/workflows/ns/wf/stop',
      query: '',
      body: { nmae: 'wf' },
      contentType: 'application/json',
      status: 200,
      responseBody: { metadata: { name: 'wf' }, spec: {} },
    },
  },
};

it('every checker the suite uses accepts and fails its planted violation', () => {
  for (const checker of contractCheckers) {
    const planted = PLANTED[checker.system];
    expect(planted, `no planted violation for ${checker.system}: add one to PLANTED`).toBeDefined();
    if (!planted) continue;
    expect(checker.accepts(planted.simulator, planted.exchange), checker.system).toBe(true);
    expect(checker.check(planted.exchange), checker.system).not.toEqual([]);
  }
});

describe('the judge of every exchange', () => {
  const bad = slack(
    'chat.update',
    { channel: CHANNEL, ts: TS },
    { ok: true, channel: CHANNEL, ts: TS, text: '' },
  );

  it('names the system, counts requests and answers that failed, and what no checker judges', () => {
    const judge = new ExchangeJudge(contractCheckers);
    expect(judge.judge('Slack', bad)).toEqual([
      '[Slack Web API] POST /api/chat.update: answer: required field "message" missing',
    ]);
    expect(
      judge.judge('Slack', {
        ...bad,
        body: { ts: TS },
        responseBody: { ok: false, error: 'channel_not_found' },
      }),
    ).toEqual(['[Slack Web API] POST /api/chat.update: required argument "channel" missing']);
    expect(judge.judge('google-directory', { ...bad, path: '/admin/directory/v1/users' })).toEqual([]);
    expect(judge.judge('Slack', { ...bad, path: '/response/abc' })).toEqual([]);
    expect(judge.tally.systems['Slack Web API']).toEqual({
      exchanges: 2,
      requestsFailed: 1,
      answersFailed: 1,
      failed: 0,
      injected: 0,
    });
    expect(judge.tally.unjudged).toEqual({ 'google-directory': 1, Slack: 1 });
    expect(formatReport(judge.tally)).toMatch(/Slack Web API\s+2\s+1\s+1\s+0/);
  });

  it('leaves an injected answer unjudged but still judges its request', () => {
    const judge = new ExchangeJudge(contractCheckers);
    const injected = { ...bad, status: 500, responseBody: { message: 'injected 500' }, injected: true };
    expect(judge.judge('Slack', injected)).toEqual([]);
    expect(judge.judge('Slack', { ...injected, body: { ts: TS } })).toEqual([
      '[Slack Web API] (injected answer) POST /api/chat.update: required argument "channel" missing',
    ]);
    expect(judge.tally.systems['Slack Web API']).toMatchObject({
      exchanges: 2,
      injected: 2,
      requestsFailed: 1,
    });
  });

  it('turns a checker that throws into a problem, and judges by check() a checker that does not split', () => {
    const throwing: ContractChecker = {
      system: 'Broken',
      accepts: () => true,
      check: () => {
        throw new Error('no document');
      },
    };
    const whole: ContractChecker = { system: 'Whole', accepts: () => true, check: () => ['wrong'] };
    const judge = new ExchangeJudge([throwing, whole]);
    expect(judge.judge('x', bad)).toEqual([
      '[Broken] POST /api/chat.update: the checker failed: Error: no document',
      '[Whole] wrong',
    ]);
    expect(judge.judge('x', { ...bad, injected: true })).toEqual([]);
    expect(judge.tally.systems.Whole).toEqual({
      exchanges: 1,
      requestsFailed: 0,
      answersFailed: 0,
      failed: 1,
      injected: 1,
    });
  });
});
