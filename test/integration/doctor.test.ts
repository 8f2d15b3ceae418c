import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DOCTOR_TIMEOUT } from '../../app/cli/doctor.ts';
import { parseConfig } from '../../app/config/loadConfig.ts';
import type { Config } from '../../app/config/schema.ts';
import { runDoctor } from '../../app/doctor/doctor.ts';
import { seedDemoCluster } from '../../app/sandbox/kubernetesSandbox.ts';
import { parseDuration } from '../../core/config/duration.ts';
import { type CheckResult, type DoctorReport, reportLine } from '../../core/doctor.ts';
import { checkpointSigner, writeCheckpoint } from '../../db/audit/auditCheckpoints.ts';
import { connect } from '../../db/connect.ts';
import { migrationsApplied } from '../../db/migrate.ts';
import { PgAuditStore } from '../../db/stores/auditStore.ts';
import { ArgoSimulator } from '../../sandbox/argo/argoSimulator.ts';
import { demoTemplates } from '../../sandbox/argo/demoTemplates.ts';
import { ArgoCdSimulator } from '../../sandbox/argocd/argoCdSimulator.ts';
import { buildRepository, generatePullRequests } from '../../sandbox/github/githubData.ts';
import { GitHubSimulator } from '../../sandbox/github/githubSimulator.ts';
import { JiraSimulator } from '../../sandbox/jira/jiraSimulator.ts';
import { KubernetesSimulator } from '../../sandbox/kubernetes/kubernetesSimulator.ts';
import { MANIFEST_SCOPES, SANDBOX_BOT_TOKEN, SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

/**
 * `dpbot doctor` against the simulators, every permission in place, then with one taken away at a
 * time: each failure names its fix, and nothing else fails.
 */
const log = pino({ level: 'silent' });
const slack = new SlackSimulator()
  .addChannel({ id: 'C0OPS00001', name: 'ops', botMember: true })
  .addChannel({ id: 'C0REL00001', name: 'releases', botMember: false })
  .addChannel({ id: 'G0ADMIN001', name: 'dpbot-admin', botMember: true, private: true });
const kube = seedDemoCluster(new KubernetesSimulator());
const argocd = new ArgoCdSimulator({ token: 'argocd-token' });
const argo = new ArgoSimulator({ token: 'argo-token' });
const github = new GitHubSimulator({ token: 'github-token' });
const jira = new JiraSimulator({
  email: 'dpbot@example.com',
  token: 'jira-token',
  projects: [
    { id: '10000', key: 'DP', name: 'Data Platform' },
    { id: '10001', key: 'DATA', name: 'Data Products' },
  ],
});
for (const t of demoTemplates) argo.addTemplate(t);
github.addRepository(
  buildRepository(
    'acme/orders',
    generatePullRequests('acme/orders', {
      count: 3,
      start: new Date('2026-01-01T00:00:00Z'),
      spacingMs: 3_600_000,
    }),
  ),
);
argocd.addApplication({
  name: 'orders-api',
  repoURL: 'https://github.com/acme/orders',
  revision: 'a'.repeat(40),
});

let database: TestDatabase;
let dir: string;
let config: Config;
const env = {
  SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN,
  ARGOCD_TOKEN: 'argocd-token',
  ARGO_TOKEN: 'argo-token',
  GITHUB_TOKEN: 'github-token',
  JIRA_API_TOKEN: 'jira-token',
};

beforeAll(async () => {
  await Promise.all([
    slack.start(),
    kube.start(),
    argocd.start(),
    argo.start(),
    github.start(),
    jira.start(),
  ]);
  database = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'dpbot-doctor-'));
  writeFileSync(join(dir, 'kubeconfig.yaml'), kube.kubeconfig(['sandbox']));
  writeFileSync(
    join(dir, 'directory.yaml'),
    'users: [{ email: ada@example.com }]\ngroups: [{ id: admins, members: [ada@example.com] }]\n',
  );
  config = parseConfig(
    {
      slack: { apiUrl: slack.apiUrl, channels: { announce: '#ops', admin: 'G0ADMIN001' } },
      directory: { sources: [{ name: 'file', type: 'file', path: 'directory.yaml' }] },
      kubernetes: { kubeconfig: 'kubeconfig.yaml', argocdNamespace: 'argocd' },
      teams: [
        {
          name: 'team-x',
          maxReplicas: 20,
          targets: [
            {
              name: 'workers',
              cluster: 'sandbox',
              namespace: 'team-x',
              kind: 'Deployment',
              object: 'ingest-workers',
            },
          ],
        },
        {
          name: 'team-spark',
          maxReplicas: 10,
          targets: [
            {
              name: 'executors',
              cluster: 'sandbox',
              namespace: 'team-spark',
              kind: 'ConfigMap',
              object: 'spark-settings',
              key: 'executors',
              selector: 'app=spark-executor',
            },
          ],
        },
      ],
      argocd: { url: argocd.url },
      argo: { url: argo.url, namespace: 'data-jobs' },
      tasks: [
        {
          name: 'backfill',
          description: 'Backfill a dataset',
          workflowTemplate: 'backfill',
          parameters: [
            { name: 'dataset', type: 'dataset' },
            { name: 'from', type: 'date' },
            { name: 'to', type: 'date' },
            { name: 'mode', type: 'enum', values: ['append', 'overwrite'], default: 'append' },
          ],
          jira: { project: 'DP' },
        },
      ],
      github: { apiUrl: github.url },
      jira: { url: jira.url, email: 'dpbot@example.com' },
      release: {
        channel: '#releases',
        githubReleases: true,
        jira: { project: 'DATA' },
        services: [
          {
            name: 'orders-api',
            repository: 'acme/orders',
            applications: ['orders-api'],
            owners: ['ada@example.com'],
          },
        ],
      },
    },
    'doctor test',
  );
});
afterAll(async () => {
  await Promise.all([slack.stop(), kube.stop(), argocd.stop(), argo.stop(), github.stop(), jira.stop()]);
  await database.drop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  kube.allowAll();
  argo.allowAll();
  argocd.denied.clear();
  github.denied.clear();
  slack.scopes.clear();
  for (const s of MANIFEST_SCOPES) slack.scopes.add(s);
});

const doctor = (
  options: { systems?: string[]; config?: Config; timeoutMs?: number } = {},
): Promise<DoctorReport> =>
  runDoctor({
    config: options.config ?? config,
    configDir: dir,
    env,
    log,
    database: { db: database.db, pool: database.pool },
    timeoutMs: options.timeoutMs ?? 10_000,
    ...(options.systems ? { systems: options.systems } : {}),
  });

const failures = (report: DoctorReport): CheckResult[] => report.checks.filter((c) => c.status === 'fail');
const lines = (checks: readonly CheckResult[]) => checks.map(reportLine);

const failing = async (systems: string[], options: { config?: Config } = {}) =>
  lines(failures(await doctor({ systems, ...options })));

describe('dpbot doctor against the simulators', () => {
  it('every permission in place: ok, one line per check, nothing run or written', async () => {
    const report = await doctor();
    expect(lines(failures(report))).toEqual([]);
    expect(report.ok).toBe(true);
    const systems = new Set(report.checks.map((c) => c.system));
    expect([...systems].sort()).toEqual(
      ['argo', 'argocd', 'database', 'directory', 'github', 'jira', 'kubernetes', 'slack'].sort(),
    );
    expect(report.checks.every((c) => !c.simulated)).toBe(true);
    const text = lines(report.checks);
    expect(text).toEqual(
      expect.arrayContaining([
        'ok   kubernetes team-x: Deployment team-x/ingest-workers exists (4 now)',
        'ok   kubernetes team-x: may update deployments/scale in team-x',
        'ok   kubernetes team-spark: may update configmaps in team-spark',
        'ok   kubernetes cluster sandbox: may get applications in argocd',
        'ok   argo task backfill: may submit it in namespace data-jobs (server dry run accepted)',
        'ok   argocd orders-api: may sync default/orders-api',
        'ok   github acme/orders: may create releases (release.githubReleases)',
        'ok   github acme/orders: may comment on pull requests (release.notices)',
        'ok   jira project DATA: may Administer Projects (create and release the fix version)',
        'ok   slack channels: in #ops (slack.channels.announce)',
        'ok   slack channels: not yet in the public channel #releases (release.channel); it joins at its first announcement (channels:join)',
        `ok   directory file: ${join(dir, 'directory.yaml')} answers: 1 user(s), 1 group(s)`,
      ]),
    );
    expect(text.find((l) => l.startsWith('ok   database migrations'))).toMatch(
      /answers; all \d+ migrations applied$/,
    );
    // The dry run created nothing, and the release probe no release.
    expect(argo.workflows()).toEqual([]);
    expect(argo.submissions.at(-1)?.submitOptions?.serverDryRun).toBe(true);
    expect(github.repository('acme/orders').tags.size).toBe(0);
  });

  it('Kubernetes: a verb taken from the Role fails with the rule to add and the service account it is bound to', async () => {
    kube.forbid({ verb: 'update', resource: 'deployments/scale', namespace: 'team-x' });
    expect(await failing(['kubernetes'])).toEqual([
      'FAIL kubernetes team-x: may not update deployments/scale in team-x (needed to change the worker count) — grant it: add verbs [get, update] on deployments/scale (API group "apps") to the Role bound to system:serviceaccount:dpbot:dpbot in namespace team-x',
    ]);
    kube.allowAll();
    kube.forbid({ verb: 'list', resource: 'pods', namespace: 'team-spark' });
    expect(await failing(['kubernetes'])).toEqual([
      'FAIL kubernetes team-spark: may not list pods in team-spark (needed to watch the pods become ready) — grant it: add verbs [list] on pods (the core API group "") to the Role bound to system:serviceaccount:dpbot:dpbot in namespace team-spark',
    ]);
    kube.allowAll();
    kube.forbid({ verb: 'get', resource: 'applications', namespace: 'argocd' });
    expect(await failing(['kubernetes'])).toEqual([
      'FAIL kubernetes cluster sandbox: may not get applications in argocd (needed to see whether Argo CD self-heals a workload (kubernetes.argocdNamespace)) — grant it: add verbs [get] on applications (API group "argoproj.io") to the Role bound to system:serviceaccount:dpbot:dpbot in namespace argocd',
    ]);
  });

  it('Kubernetes: a target that does not exist names the setting to correct', async () => {
    const wrong = structuredClone(config);
    const target = wrong.teams[0]?.targets[0];
    if (target) target.object = 'no-such-workers';
    expect(await failing(['kubernetes'], { config: wrong })).toEqual([
      'FAIL kubernetes team-x: Deployment team-x/no-such-workers does not exist on cluster "sandbox" — create it, or correct teams[0].targets[0] (namespace, object, kind)',
    ]);
  });

  it('Slack: a missing scope names it and where to add it; a private channel dpbot is not in, the /invite', async () => {
    slack.scopes.delete('groups:read');
    expect(await failing(['slack'])).toEqual([
      'FAIL slack scopes: the token lacks the scope groups:read (finding the configured private channels by name, and checking that it is in them) — add groups:read under OAuth & Permissions → Bot Token Scopes of the app at api.slack.com/apps (or paste deploy/slack-manifest.yaml), then reinstall the app to the workspace',
      'FAIL slack channels: cannot tell whether dpbot is in its announcement channels: the token lacks groups:read — add groups:read under OAuth & Permissions → Bot Token Scopes of the app at api.slack.com/apps (or paste deploy/slack-manifest.yaml), then reinstall the app to the workspace',
    ]);
    slack.scopes.add('groups:read');
    const admin = slack.channels.get('G0ADMIN001');
    if (admin) admin.botMember = false;
    try {
      expect(await failing(['slack'])).toEqual([
        'FAIL slack channels: G0ADMIN001 (slack.channels.admin) is neither a public channel nor a private one dpbot is in — create G0ADMIN001, or invite dpbot to it (in G0ADMIN001: /invite @dpbot), or correct slack.channels.admin',
      ]);
    } finally {
      if (admin) admin.botMember = true;
    }
  });

  it('Slack: channels by name — one that does not exist, and a private one dpbot is not in, each with its fix', async () => {
    const wrong = structuredClone(config);
    wrong.slack.channels.announce = '#no-such-channel';
    wrong.slack.channels.admin = 'dpbot-admin';
    const admin = slack.channels.get('G0ADMIN001');
    if (admin) admin.botMember = false;
    try {
      expect(await failing(['slack'], { config: wrong })).toEqual([
        'FAIL slack channels: #no-such-channel (slack.channels.announce) is neither a public channel nor a private one dpbot is in — create #no-such-channel, or invite dpbot to it (in #no-such-channel: /invite @dpbot), or correct slack.channels.announce',
        'FAIL slack channels: dpbot-admin (slack.channels.admin) is neither a public channel nor a private one dpbot is in — create dpbot-admin, or invite dpbot to it (in dpbot-admin: /invite @dpbot), or correct slack.channels.admin',
      ]);
    } finally {
      if (admin) admin.botMember = true;
    }
    // Invited, the private channel is found by its name.
    expect(await failing(['slack'], { config: wrong })).toEqual([
      expect.stringContaining('FAIL slack channels: #no-such-channel'),
    ]);
  });

  it('Argo CD: an action the policy leaves out names the policy.csv line to add', async () => {
    argocd.denied.add('sync orders-api');
    expect(await failing(['argocd'])).toEqual([
      'FAIL argocd orders-api: may not sync default/orders-api (needed to ship it, roll it back, stop a running operation) — add `p, dpbot, applications, sync, default/orders-api, allow` to policy.csv in the argocd-rbac-cm ConfigMap',
    ]);
    argocd.denied.clear();
    argocd.denied.add('update *');
    expect(await failing(['argocd'])).toEqual([
      'FAIL argocd orders-api: may not update default/orders-api (needed to turn auto-sync off before a rollback) — add `p, dpbot, applications, update, default/orders-api, allow` to policy.csv in the argocd-rbac-cm ConfigMap',
    ]);
  });

  it('Argo Workflows: no right to create workflows, or a template that is not there, each with its fix', async () => {
    argo.deny({ verb: 'create', resource: 'workflows', namespace: 'data-jobs' });
    expect(await failing(['argo'])).toEqual([
      'FAIL argo task backfill: may not submit it in namespace data-jobs — grant it: add verbs [create] on workflows (API group "argoproj.io") in namespace data-jobs to the Role bound to system:serviceaccount:argo:dpbot',
    ]);
    argo.allowAll();
    const wrong = structuredClone(config);
    const task = wrong.tasks[0];
    if (task) task.template = { kind: 'WorkflowTemplate', name: 'backfil' };
    expect(await failing(['argo'], { config: wrong })).toEqual([
      'FAIL argo task backfill: WorkflowTemplate backfil does not exist in namespace data-jobs — create it in namespace data-jobs, or correct tasks[0].workflowTemplate (and tasks[0].namespace)',
    ]);
  });

  it('GitHub: a permission the token lacks names it, as GitHub asks for it', async () => {
    github.denied.add('contents:write acme/orders');
    expect(await failing(['github'])).toEqual([
      'FAIL github acme/orders: may not create releases (release.githubReleases) (403: Resource not accessible by personal access token - https://docs.github.com/rest) — give the fine-grained token (or the GitHub App installation) Contents: Read and write on acme/orders (GitHub asks for contents=write)',
    ]);
    github.denied.clear();
    github.denied.add('pull_requests:write acme/orders');
    expect(await failing(['github'])).toEqual([
      'FAIL github acme/orders: may not comment on pull requests (release.notices) (403: Resource not accessible by personal access token - https://docs.github.com/rest) — give the fine-grained token (or the GitHub App installation) Pull requests: Read and write on acme/orders (GitHub asks for pull_requests=write)',
    ]);
    github.denied.clear();
    github.denied.add('metadata acme/orders');
    expect(await failing(['github'])).toEqual([
      'FAIL github acme/orders: GITHUB_TOKEN cannot see acme/orders (GitHub answers 404 for a repository a token may not see) — add acme/orders to the repositories the fine-grained token (or the GitHub App installation) may access, or correct its name in release.services',
    ]);
  });

  it('Jira: a project permission the account lacks names the permission and the project', async () => {
    jira.denyPermission('ADMINISTER_PROJECTS', 'DATA');
    expect(await failing(['jira'])).toEqual([
      'FAIL jira project DATA: dpbot@example.com lacks Administer Projects in DATA (needed to create and release the fix version) — grant dpbot@example.com (or a role it has) "Administer Projects" in DATA: Project settings → Permissions',
    ]);
  });

  it('systems that are not configured are skipped, and simulated ones are marked', async () => {
    const bare = parseConfig({}, 'bare');
    const report = await runDoctor({
      config: bare,
      configDir: dir,
      env: {},
      log,
      timeoutMs: 5000,
      simulated: new Set(['kubernetes']),
    });
    expect(report.ok).toBe(true);
    expect(lines(report.checks)).toEqual([
      'skip slack: not configured (SLACK_BOT_TOKEN is not set)',
      'skip kubernetes (simulated): not configured (no teams)',
      'skip argocd: not configured (no release applications)',
      'skip argo: not configured (no tasks)',
      'skip github: not configured (no release.services)',
      'skip jira: not configured (jira.url is not set)',
      'skip directory: not configured (no directory.sources)',
    ]);
  });

  it('a system that does not answer fails within the time bound, the rest are checked', async () => {
    jira.sim.inject({ path: /mypermissions/, delayMs: 3000, times: 2 });
    const report = await doctor({ systems: ['jira', 'argocd'], timeoutMs: 500 });
    expect(lines(failures(report))).toEqual([
      'FAIL jira project DP: no answer within 500ms — make sure dpbot can reach jira from where it runs, then run dpbot doctor again',
      'FAIL jira project DATA: no answer within 500ms — make sure dpbot can reach jira from where it runs, then run dpbot doctor again',
    ]);
    expect(report.checks.filter((c) => c.system === 'argocd' && c.status === 'ok').length).toBe(4);
  });

  it('a refused connection is reported as refused at once, naming the setting to correct', async () => {
    // A port nothing listens on: taken, then let go.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const closed = `http://127.0.0.1:${port}`;
    const nowhere = structuredClone(config);
    writeFileSync(
      join(dir, 'nowhere.kubeconfig.yaml'),
      kube.kubeconfig(['sandbox']).replaceAll(kube.url, closed),
    );
    nowhere.kubernetes.kubeconfig = 'nowhere.kubeconfig.yaml';
    nowhere.slack.apiUrl = `${closed}/api/`;
    nowhere.argocd.url = closed;
    nowhere.argo.url = closed;
    nowhere.github.apiUrl = closed;
    nowhere.jira.url = closed;
    // The default bound: a client that retried a refused connection would still be waiting at it.
    const report = await doctor({
      config: nowhere,
      systems: ['slack', 'argocd', 'argo', 'github', 'jira'],
      timeoutMs: parseDuration(DOCTOR_TIMEOUT) ?? 0,
    });
    const failed = failures(report);
    expect(report.checks.filter((c) => c.status !== 'fail')).toEqual([]);
    expect([...new Set(failed.map((c) => c.system))].sort()).toEqual([
      'argo',
      'argocd',
      'github',
      'jira',
      'slack',
    ]);
    const setting = {
      slack: 'slack.apiUrl',
      argocd: 'argocd.url',
      argo: 'argo.url',
      github: 'github.apiUrl',
      jira: 'jira.url',
    };
    // Kubernetes' client says so itself, at once; its fix names the kubeconfig.
    const cluster = await doctor({ config: nowhere, systems: ['kubernetes'], timeoutMs: 60_000 });
    expect(failures(cluster).length).toBeGreaterThan(0);
    for (const check of failures(cluster)) {
      expect(check.message).toBe(
        `Kubernetes: cannot reach cluster "sandbox" at ${closed}: connection refused`,
      );
      expect(check.fix).toContain("correct the cluster's server in the kubeconfig");
    }
    for (const check of failed) {
      expect(check.message).toBe(
        `connection refused at 127.0.0.1:${port} (${setting[check.system as keyof typeof setting]}): nothing listens there`,
      );
      expect(check.fix).toContain(`set ${setting[check.system as keyof typeof setting]} to the address`);
    }
  }, 60_000);

  it('every failing line names its fix', async () => {
    const report = await runDoctor({
      config,
      configDir: dir,
      env: { ...env, SLACK_BOT_TOKEN: 'xoxb-not-the-token' },
      log,
      systems: ['slack'],
      timeoutMs: 10_000,
    });
    expect(failures(report).length).toBeGreaterThan(1);
    expect(failures(report).filter((c) => !c.fix)).toEqual([]);
  });

  it('a simulated system never fails a reachability check because the machine is busy', async () => {
    // A busy machine, as the simulator in this process sees it: answers come late.
    jira.sim.inject({ path: /mypermissions/, delayMs: 1500, times: 2 });
    const report = await runDoctor({
      config,
      configDir: dir,
      env,
      log,
      systems: ['jira'],
      timeoutMs: 500,
      simulated: new Set(['jira']),
    });
    // (An earlier test took a permission in DATA away: that finding may stand, a timeout may not.)
    expect(lines(failures(report)).filter((l) => l.includes('no answer'))).toEqual([]);
    expect(lines(report.checks)).toContain(
      'ok   jira project DP (simulated): may Browse Projects (read issues)',
    );
  });

  it('the database: unapplied migrations fail with `dpbot migrate`, and the doctor applies none', async () => {
    const bare = await createTestDatabase();
    try {
      await bare.query(
        'DROP SCHEMA public CASCADE; CREATE SCHEMA public; DROP SCHEMA IF EXISTS drizzle CASCADE',
      );
      const c = connect(bare.url, 2, log);
      try {
        const report = await runDoctor({
          config,
          configDir: dir,
          env,
          log,
          database: c,
          timeoutMs: 5000,
          systems: ['database'],
        });
        expect(lines(report.checks)).toEqual([
          'FAIL database migrations: answers, but not every migration is applied — run `dpbot migrate` (dpbot start applies them too)',
          'FAIL database audit: cannot verify the audit chain before every migration is applied — run `dpbot migrate`, then `dpbot doctor` again',
        ]);
        expect(await migrationsApplied(c.pool)).toBe(false);
      } finally {
        await c.pool.end();
      }
    } finally {
      await bare.drop();
    }
  });

  it('the audit log: held to its signed checkpoints when a key is set, a warning without one, left out at start', async () => {
    const audit = new PgAuditStore(database.db);
    const row = (requestId: string) =>
      audit.append({
        requestId,
        kind: 'attempt',
        entry: 'console',
        email: 'ada@example.com',
        commandText: 'help',
        decision: 'allow',
      });
    const auditLine = (report: DoctorReport) =>
      lines(report.checks.filter((c) => c.system === 'database' && c.subject === 'audit'));
    await row('anchor-1');
    await row('anchor-2');
    // No key: intact, and the doctor says how to anchor it outside the database.
    expect(auditLine(await doctor({ systems: ['database'] }))).toEqual([
      expect.stringMatching(
        /^warn database audit: audit chain intact \(\d+ row\(s\)\), but not anchored outside the database: its owner could rewrite it undetected — set DPBOT_AUDIT_CHECKPOINT_KEY/,
      ),
    ]);
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const file = join(dir, 'checkpoints.jsonl');
    const anchored = {
      ...config,
      audit: { ...config.audit, checkpoints: { ...config.audit.checkpoints, file } },
    };
    const written = await writeCheckpoint(database.pool, {
      file,
      signer: checkpointSigner(pem),
      now: new Date(),
    });
    expect('written' in written).toBe(true);
    const withKey = (short?: boolean) =>
      runDoctor({
        config: anchored,
        configDir: dir,
        env: { ...env, DPBOT_AUDIT_CHECKPOINT_KEY: pem },
        log,
        database: { db: database.db, pool: database.pool },
        timeoutMs: 10_000,
        systems: ['database'],
        ...(short ? { short } : {}),
      });
    expect(auditLine(await withKey())).toEqual([
      expect.stringMatching(
        /^ok {3}database audit: audit chain intact \(\d+ row\(s\)\); 1 signed checkpoint\(s\) matched$/,
      ),
    ]);
    // The owner removes the tail the checkpoint vouched for: the chain alone still verifies, the checkpoint does not.
    await database.query(
      "BEGIN; ALTER TABLE audit_log DISABLE TRIGGER USER; DELETE FROM audit_log WHERE request_id = 'anchor-2'; UPDATE audit_head SET last_id = (SELECT max(id) FROM audit_log), last_hash = (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1); ALTER TABLE audit_log ENABLE TRIGGER USER; COMMIT",
    );
    expect(auditLine(await withKey())).toEqual([
      expect.stringMatching(/^FAIL database audit: audit chain broken at row \d+/),
    ]);
    // At start (the short form), no full pass over the chain.
    expect((await withKey(true)).checks.map((c) => `${c.system} ${c.subject}`)).toEqual([
      'database migrations',
    ]);
  });

  it('the database: a broken audit chain fails', async () => {
    await new PgAuditStore(database.db).append({
      requestId: 'req-1',
      kind: 'attempt',
      entry: 'console',
      email: 'ada@example.com',
      commandText: 'help',
      decision: 'allow',
    });
    await database.query(
      "BEGIN; ALTER TABLE audit_log DISABLE TRIGGER USER; UPDATE audit_log SET command_text = 'changed'; ALTER TABLE audit_log ENABLE TRIGGER USER; COMMIT",
    );
    expect(await failing(['database'])).toEqual([
      'FAIL database audit: audit chain broken at row 1: row 1 was changed after it was written: its hash does not match its contents — the audit log was changed outside dpbot: restore audit_log from a backup taken before it, then run `dpbot audit verify`',
    ]);
  });
});
