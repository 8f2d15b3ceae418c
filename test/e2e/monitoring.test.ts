import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../app/config/loadConfig.ts';
import { type RunningBot, serveSlack } from '../../app/serve.ts';
import { createLogger } from '../../core/logger.ts';
import { projectRoot } from '../../core/paths.ts';
import { SANDBOX_BOT_TOKEN, type SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { FakeSlack, SIGNING_SECRET, slackWithPeople } from '../support/slack.ts';

/**
 * The alert rules and the dashboard in deploy/kustomize/monitoring: every expression parses (the
 * Prometheus project's own PromQL grammar), and every metric and label it names is on the
 * /metrics page of a dpbot that has served a little traffic — a misspelled name fails here rather
 * than leaving an alert that can never fire.
 */

const monitoring = join(projectRoot(), 'deploy/kustomize/monitoring');

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string; description: string; runbook: string };
}

const rules = (
  parseYaml(readFileSync(join(monitoring, 'prometheusrule.yaml'), 'utf8')) as {
    spec: { groups: { rules: Rule[] }[] };
  }
).spec.groups.flatMap((g) => g.rules);

interface Panel {
  title: string;
  targets?: { expr: string }[];
}
const dashboard = JSON.parse(readFileSync(join(monitoring, 'dpbot-dashboard.json'), 'utf8')) as {
  panels: Panel[];
};

/** Every expression, named for the failure message; Grafana's interval variables made durations. */
const expressions: [string, string][] = [
  ...rules.map((r): [string, string] => [`rule ${r.alert}`, r.expr]),
  ...dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t): [string, string] => [
      `panel "${p.title}"`,
      t.expr.replaceAll('$__rate_interval', '5m').replaceAll('$__interval', '1m'),
    ]),
  ),
];

interface Referenced {
  errors: string[];
  /** Each vector selector: its metric and the labels its matchers name. */
  selectors: { metric: string; labels: string[] }[];
  /** Labels named in by/without/on/ignoring/group_left/group_right. */
  grouping: string[];
}

function referenced(expr: string): Referenced {
  const found: Referenced = { errors: [], selectors: [], grouping: [] };
  const text = (from: number, to: number) => expr.slice(from, to);
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError)
        found.errors.push(`syntax error at ${node.from}: "${text(node.from, node.to + 10)}"`);
      if (node.name === 'VectorSelector') {
        const metric = node.node.getChild('Identifier');
        const matchers = node.node.getChild('LabelMatchers');
        const labels: string[] = [];
        for (const matcher of matchers?.getChildren('UnquotedLabelMatcher') ?? []) {
          const name = matcher.getChild('LabelName');
          if (name) labels.push(text(name.from, name.to));
        }
        // A selector by __name__ alone would escape the name check: the rules use none.
        if (!metric) found.errors.push(`a selector without a metric name: "${text(node.from, node.to)}"`);
        else found.selectors.push({ metric: text(metric.from, metric.to), labels });
      }
      if (node.name === 'GroupingLabels')
        for (const name of node.node.getChildren('LabelName')) found.grouping.push(text(name.from, name.to));
    },
  });
  return found;
}

/** The /metrics page as sample name → the label names its samples carry. */
function samples(page: string): Map<string, Set<string>> {
  const families = new Map<string, Set<string>>();
  for (const line of page.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
    if (!match?.[1]) continue;
    const labels = families.get(match[1]) ?? new Set<string>();
    for (const [, name] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g))
      if (name) labels.add(name);
    families.set(match[1], labels);
  }
  return families;
}

/** What is wrong with `expr` against the page: names and labels it has no samples for. */
function problems(expr: string, page: Map<string, Set<string>>): string[] {
  const found = referenced(expr);
  const out = [...found.errors];
  const labelsOfExpr = new Set<string>();
  for (const { metric, labels } of found.selectors) {
    const present = page.get(metric);
    if (!present) {
      out.push(`${metric} is not on /metrics`);
      continue;
    }
    for (const l of present) labelsOfExpr.add(l);
    for (const l of labels) if (!present.has(l)) out.push(`${metric} has no label ${l}`);
  }
  for (const l of found.grouping)
    if (!labelsOfExpr.has(l)) out.push(`no metric of the expression has label ${l} (grouped by)`);
  return out;
}

describe('the alert rules and the dashboard (deploy/kustomize/monitoring)', () => {
  it('cover the conditions an operator is paged for, each with a runbook', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'DpbotAckLatencyNearSlackLimit',
      'DpbotAuditCheckpointStale',
      'DpbotAuditRowsHeld',
      'DpbotAuditRowsNearlyDropped',
      'DpbotDirectorySyncStale',
      'DpbotJobsFailing',
      'DpbotSystemUnreachable',
      'DpbotWatcherStalled',
    ]);
    for (const rule of rules) {
      expect(rule.labels.severity, rule.alert).toMatch(/^(warning|critical)$/);
      expect(rule.annotations.summary, rule.alert).toBeTruthy();
      expect(rule.annotations.description, rule.alert).toBeTruthy();
      // What to check first, numbered or as steps, naming a dpbot or kubectl command.
      expect(rule.annotations.runbook, rule.alert).toMatch(/`(dpbot|kubectl|\/dp) [^`]+`|Restore/);
    }
    expect(rules.find((r) => r.alert === 'DpbotAckLatencyNearSlackLimit')?.expr).toMatch(
      /histogram_quantile\(0\.99,.*dpbot_ack_latency_seconds_bucket/,
    );
  });

  it('every expression parses as PromQL', () => {
    expect(expressions.length).toBeGreaterThan(rules.length);
    for (const [where, expr] of expressions) expect(referenced(expr).errors, `${where}: ${expr}`).toEqual([]);
    // The parser does reject what is not PromQL.
    expect(referenced('sum by (le) (rate(x[5m])').errors).not.toEqual([]);
    expect(referenced('rate(x[5m]) >').errors).not.toEqual([]);
  });

  describe('against the /metrics page of a dpbot that served commands and ran jobs', () => {
    let sim: SlackSimulator;
    let fixture: Fixture;
    let database: TestDatabase;
    let bot: RunningBot;
    let page: Map<string, Set<string>>;

    beforeAll(async () => {
      sim = slackWithPeople();
      await sim.start();
      fixture = createFixture({ config: { slack: { apiUrl: sim.apiUrl } } });
      database = await createTestDatabase();
      bot = await serveSlack({
        loaded: loadConfig({ path: fixture.configPath, env: {} }),
        // A checkpoint key, so the checkpoint gauge is set by a real signing pass.
        env: {
          DATABASE_URL: database.url,
          DPBOT_AUDIT_CHECKPOINT_KEY: generateKeyPairSync('ed25519')
            .privateKey.export({ type: 'pkcs8', format: 'pem' })
            .toString(),
        },
        log: createLogger('silent'),
        settings: { botToken: SANDBOX_BOT_TOKEN, signingSecret: SIGNING_SECRET, appToken: undefined },
        port: 0,
        host: '127.0.0.1',
      });
      const slack = new FakeSlack(bot.server.url, sim);
      await slack.slash('help', 'U0ADA00001');
      await slack.slash('audit', 'U0LINUS001');
      // One job that succeeds and one that fails, through dpbot's job queue.
      const { jobs } = bot.app.services;
      await jobs.work<{ fail: boolean }>(
        'dpbot.monitoring-test',
        async ({ fail }) => {
          if (fail) throw new Error('failing on purpose');
        },
        { retryLimit: 0 },
      );
      await jobs.send('dpbot.monitoring-test', { fail: false }, { settings: { retryLimit: 0 } });
      await jobs.send('dpbot.monitoring-test', { fail: true }, { settings: { retryLimit: 0 } });
      page = await eventually(async () => {
        const text = await (await fetch(`${bot.server.url}/metrics`)).text();
        expect(text).toMatch(/dpbot_job_runs_total\{queue="dpbot\.monitoring-test",outcome="failed"\} 1/);
        expect(text).toMatch(/dpbot_job_runs_total\{queue="dpbot\.monitoring-test",outcome="ok"\} 1/);
        expect(text).toMatch(/dpbot_command_duration_seconds_count\{command="help"\} [1-9]/);
        expect(text).toMatch(/dpbot_external_call_duration_seconds_count\{system="slack"\} [1-9]/);
        expect(text).toMatch(/dpbot_directory_sync_age_seconds\{source="file"\} \d/);
        expect(text).toMatch(/^dpbot_audit_checkpoint_last_success_timestamp_seconds [1-9]/m);
        expect(text).toMatch(/^dpbot_audit_outbox_rows 0$/m);
        return samples(text);
      }, 20_000);
    }, 60_000);

    afterAll(async () => {
      await bot?.stop({ drainMs: 1000 });
      await sim?.stop();
      await database?.drop();
      fixture?.remove();
    });

    it('names only metrics and labels dpbot exports', () => {
      for (const [where, expr] of expressions) expect(problems(expr, page), `${where}: ${expr}`).toEqual([]);
    });

    it('would catch a misspelled metric or label', () => {
      expect(problems('rate(dpbot_ack_latncy_seconds_count[5m])', page)).toEqual([
        'dpbot_ack_latncy_seconds_count is not on /metrics',
      ]);
      expect(problems('sum by (sytem) (rate(dpbot_external_calls_total[5m]))', page)).toEqual([
        'no metric of the expression has label sytem (grouped by)',
      ]);
      expect(problems('dpbot_job_runs_total{queu="x"}', page)).toEqual([
        'dpbot_job_runs_total has no label queu',
      ]);
    });
  });
});
