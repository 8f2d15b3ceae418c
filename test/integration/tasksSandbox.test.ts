import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { exampleConfigPath, loadConfig, parseYaml } from '../../app/config/loadConfig.ts';
import { type RunningSandbox, startSandbox } from '../../app/sandbox/index.ts';
import { projectRoot } from '../../core/paths.ts';
import { demoTemplates } from '../../sandbox/argo/demoTemplates.ts';
import { recordingResponder, startTestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { recordingNotifier } from '../support/notifier.ts';

const read = (...path: string[]) => readFileSync(join(projectRoot(), ...path), 'utf8');

let sandbox: RunningSandbox;
let fixture: Fixture;
let database: TestDatabase;
let app: App;
const notifier = recordingNotifier();

beforeAll(async () => {
  // What `npm start` does: the example configuration, the sandbox's simulators, the repository's
  // policies and sandbox directory.
  sandbox = await startSandbox(loadConfig({ path: exampleConfigPath(), env: {} }).config);
  const example = parseYaml(read('dpbot.example.yaml'), 'example') as { tasks: unknown };
  fixture = createFixture({
    config: {
      tasks: example.tasks,
      argo: { url: sandbox.config.argo.url, uiUrl: sandbox.config.argo.uiUrl, pollInterval: '500ms' },
      jira: { url: sandbox.config.jira.url, email: sandbox.config.jira.email },
      jobs: { pollInterval: '500ms' },
    },
    directory: parseYaml(read('sandbox', 'directory.yaml'), 'directory') as object,
    policies: {
      'platform.yaml': read('policies', 'platform.yaml'),
      'tasks.yaml': read('policies', 'tasks.yaml'),
    },
  });
  database = await createTestDatabase();
  app = await startTestApp(fixture, database, { env: sandbox.env, notifier, runWorkers: true });
});
afterAll(async () => {
  await app.close();
  await database.drop();
  await sandbox.stop();
  fixture.remove();
});

describe('the sandbox a newcomer starts with npm start', () => {
  it('has a simulated template for every example task', () => {
    expect(sandbox.names).toEqual(expect.arrayContaining(['Argo Workflows', 'Jira']));
    for (const task of app.services.config.tasks) {
      const template = demoTemplates.find(
        (t) => t.kind === task.template.kind && t.name === task.template.name,
      );
      expect(template, task.name).toBeDefined();
      const needed = template?.parameters.filter((p) => p.value === undefined).map((p) => p.name) ?? [];
      expect(task.parameters.map((p) => p.name)).toEqual(expect.arrayContaining(needed));
    }
  });

  it('runs the backfill from the README to its end, with a Jira ticket', async () => {
    const responder = recordingResponder();
    const outcome = await app.pipeline.handleText({
      entry: 'console',
      text: 'task run backfill dataset=sales.orders_daily from=2026-11-01 to=2026-11-07',
      caller: { email: 'ada@example.com' },
      channel: 'console',
      responder,
    });
    expect(outcome).toBe('ok');
    const announcement = notifier.posted[0];
    expect(announcement?.message.text).toContain('backfill #1');
    await eventually(
      () => expect((announcement?.updates.at(-1) ?? announcement?.message)?.text).toContain('succeeded'),
      25_000,
    );
    const { rows } = await database.query('SELECT jira_key FROM task_runs WHERE id = 1');
    expect(rows[0]?.jira_key).toMatch(/^DP-\d+$/);
  });

  it('lets an engineer backfill but not compact a table', async () => {
    const run = async (text: string) => {
      const responder = recordingResponder();
      const outcome = await app.pipeline.handleText({
        entry: 'console',
        text,
        caller: { email: 'linus@example.com' },
        channel: 'console',
        responder,
      });
      return { outcome, text: responder.texts()[0] ?? '' };
    };
    expect((await run('task list')).text).toContain('task run backfill');
    const denied = await run('task run compact-table team=team-x table=events');
    expect(denied.outcome).toBe('denied');
  });
});
