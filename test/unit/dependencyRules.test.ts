import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { cruise, type ICruiseResult, type IFlattenedRuleSet, type IViolation } from 'dependency-cruiser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../core/paths.ts';

/**
 * Each rule of .dependency-cruiser.cjs, proven to fail on a planted import: the real rule set
 * cruises a small tree of stub files under a temporary folder that mirrors the project's paths.
 * A clean tree (every layer importing what it may) reports nothing; the same tree with the
 * planted files reports each planted import under the rule it breaks. A rule deleted or
 * loosened until it misses its case fails here, and so does a rule added without a case.
 */

const require = createRequire(import.meta.url);
const config = require(join(projectRoot(), '.dependency-cruiser.cjs')) as IFlattenedRuleSet & {
  options: { enhancedResolveOptions: Record<string, unknown> };
};
const forbidden = config.forbidden ?? [];

/** The folders `.ci/depcheck` cruises: only product code. */
const cruised = [
  'bin',
  'core',
  'db',
  'integrations',
  'policies',
  'pipeline',
  'handlers',
  'bot',
  'app',
  'sandbox',
];

const BLOCK_BUILDER = 'slack-block-builder';

/** A stub file: its path from the project root → the paths (or the package) it imports. */
type Tree = Record<string, readonly string[]>;

/** Every layer importing only what the rules allow, so the real rule set finds nothing. */
const clean: Tree = {
  'core/errors.ts': [],
  'core/time.ts': ['core/errors.ts'],
  'db/schema.ts': ['core/errors.ts'],
  'db/stores/auditStore.ts': ['db/schema.ts', 'core/time.ts'],
  'integrations/kubernetes/types.ts': [],
  'integrations/kubernetes/client.ts': ['integrations/kubernetes/types.ts', 'core/errors.ts'],
  'integrations/argo/client.ts': ['core/errors.ts'],
  'policies/decide.ts': ['core/errors.ts', 'db/schema.ts'],
  'pipeline/pipeline.ts': [
    'core/errors.ts',
    'db/stores/auditStore.ts',
    'policies/decide.ts',
    'integrations/kubernetes/client.ts',
  ],
  'pipeline/views/blocks.ts': [BLOCK_BUILDER],
  'handlers/scaling/config.ts': [],
  'handlers/scaling/stores/scaleStore.ts': ['db/schema.ts', 'core/time.ts'],
  'handlers/scaling/views.ts': [BLOCK_BUILDER],
  'handlers/scaling/commands/scale.ts': [
    'pipeline/pipeline.ts',
    'handlers/scaling/views.ts',
    'handlers/scaling/stores/scaleStore.ts',
    'integrations/kubernetes/client.ts',
  ],
  'handlers/scaling/index.ts': [
    'handlers/scaling/commands/scale.ts',
    'handlers/scaling/stores/scaleStore.ts',
  ],
  'handlers/tasks/views/run.ts': [BLOCK_BUILDER],
  'handlers/tasks/index.ts': [
    'handlers/scaling/index.ts',
    'handlers/scaling/config.ts',
    'handlers/tasks/views/run.ts',
  ],
  'handlers/index.ts': ['handlers/scaling/index.ts', 'handlers/tasks/index.ts'],
  'bot/slack/listeners/command.ts': ['pipeline/pipeline.ts'],
  'bot/slack/slackDeps.ts': ['handlers/index.ts'],
  'bot/slack/slackApp.ts': ['bot/slack/listeners/command.ts', 'bot/slack/slackDeps.ts', BLOCK_BUILDER],
  'bot/server.ts': ['pipeline/pipeline.ts'],
  'bot/console/console.ts': ['pipeline/pipeline.ts'],
  'app/serve.ts': [
    'bot/server.ts',
    'bot/slack/slackApp.ts',
    'bot/slack/slackDeps.ts',
    'bot/console/console.ts',
    'handlers/index.ts',
    'handlers/scaling/index.ts',
  ],
  'app/cli/index.ts': ['app/serve.ts'],
  'bin/nodeCheck.ts': [],
  'bin/dpbot.ts': ['bin/nodeCheck.ts', 'app/cli/index.ts'],
  'sandbox/http.ts': [],
  'sandbox/kubernetes/server.ts': ['sandbox/http.ts'],
};

/** One planted import per rule (two where the rule has an edge worth its own case). */
const planted: ReadonlyArray<{ rule: string; from: string; to: string; also?: Tree }> = [
  {
    rule: 'no-circular',
    from: 'core/loopA.ts',
    to: 'core/loopB.ts',
    also: { 'core/loopB.ts': ['core/loopA.ts'] },
  },
  { rule: 'core-imports-only-core', from: 'core/up.ts', to: 'db/schema.ts' },
  { rule: 'db-imports-only-core', from: 'db/up.ts', to: 'policies/decide.ts' },
  {
    rule: 'integration-imports-only-core',
    from: 'integrations/argo/up.ts',
    to: 'integrations/kubernetes/client.ts',
  },
  // A file directly under integrations/ is held to the rule too (it is anchored at the folder root).
  { rule: 'integration-imports-only-core', from: 'integrations/shared.ts', to: 'db/schema.ts' },
  { rule: 'policies-below-pipeline', from: 'policies/up.ts', to: 'pipeline/pipeline.ts' },
  { rule: 'pipeline-below-capabilities', from: 'pipeline/up.ts', to: 'handlers/scaling/index.ts' },
  { rule: 'capabilities-below-bot', from: 'handlers/scaling/up.ts', to: 'bot/server.ts' },
  { rule: 'bot-below-app', from: 'bot/up.ts', to: 'app/serve.ts' },
  { rule: 'bot-public-faces', from: 'app/reach.ts', to: 'bot/slack/listeners/command.ts' },
  { rule: 'bin-through-app-face', from: 'bin/reach.ts', to: 'app/serve.ts' },
  {
    rule: 'top-through-capability-faces',
    from: 'app/wiring/reach.ts',
    to: 'handlers/scaling/commands/scale.ts',
  },
  { rule: 'top-through-capability-faces', from: 'bot/reach.ts', to: 'handlers/scaling/views.ts' },
  {
    rule: 'capability-public-modules',
    from: 'handlers/tasks/reach.ts',
    to: 'handlers/scaling/commands/scale.ts',
  },
  // handlers/index.ts, directly under handlers/, reaches the capabilities only through their faces.
  { rule: 'capability-public-modules', from: 'handlers/reach.ts', to: 'handlers/scaling/views.ts' },
  {
    rule: 'capability-store-imports-only-db',
    from: 'handlers/scaling/stores/up.ts',
    to: 'pipeline/pipeline.ts',
  },
  {
    rule: 'capability-stores-stay-inside',
    from: 'app/store.ts',
    to: 'handlers/scaling/stores/scaleStore.ts',
  },
  { rule: 'block-kit-only-in-views', from: 'handlers/scaling/logic.ts', to: BLOCK_BUILDER },
  { rule: 'sandbox-imports-no-product-code', from: 'sandbox/reach.ts', to: 'core/errors.ts' },
];

/** Where a stub import resolves in the cruise's report. */
function resolved(to: string): string {
  return to === BLOCK_BUILDER ? `node_modules/${BLOCK_BUILDER}/index.js` : to;
}

function writeTree(root: string, tree: Tree): void {
  for (const [path, imports] of Object.entries(tree)) {
    const lines = imports.map((to) => {
      const specifier =
        to === BLOCK_BUILDER ? to : `./${relative(dirname(path), to)}`.replace(/^\.\/\.\.\//, '../');
      return `import '${specifier}';`;
    });
    mkdirSync(join(root, dirname(path)), { recursive: true });
    writeFileSync(join(root, path), `${lines.join('\n')}\nexport const stub = true;\n`);
  }
  const pkg = join(root, 'node_modules', BLOCK_BUILDER);
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: BLOCK_BUILDER, main: 'index.js' }));
  writeFileSync(join(pkg, 'index.js'), 'module.exports = {};\n');
}

async function violationsIn(tree: Tree): Promise<IViolation[]> {
  const root = mkdtempSync(join(tmpdir(), 'dpbot-depcruise-'));
  roots.push(root);
  writeTree(root, tree);
  const { output } = await cruise(cruised, {
    baseDir: root,
    validate: true,
    ruleSet: { forbidden },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    enhancedResolveOptions: config.options.enhancedResolveOptions,
  });
  const result = output as ICruiseResult;
  // A stub that does not resolve would pass every rule for the wrong reason.
  const unresolved = result.modules.flatMap((m) =>
    m.dependencies.filter((d) => d.couldNotResolve).map((d) => `${m.source} → ${d.module}`),
  );
  expect(unresolved).toEqual([]);
  return result.summary.violations;
}

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe('the dependency rules', () => {
  it('every rule in .dependency-cruiser.cjs has a planted case', () => {
    const names = forbidden.map((rule) => rule.name);
    expect(names.length).toBeGreaterThan(0);
    expect([...new Set(planted.map((c) => c.rule))].sort()).toEqual([...names].sort());
  });

  it('find nothing in a tree where each layer imports only what it may', async () => {
    const found = await violationsIn(clean);
    expect(found.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  });

  describe('each fails on its planted import', () => {
    let found: IViolation[] = [];
    beforeAll(async () => {
      const tree: Tree = { ...clean };
      for (const c of planted) Object.assign(tree, { [c.from]: [c.to] }, c.also);
      found = await violationsIn(tree);
    });

    it.each(planted)('$rule: $from → $to', ({ rule, from, to }) => {
      const hits = found.filter((v) => v.rule.name === rule && v.from === from && v.to === resolved(to));
      expect(hits, `${rule} not reported for ${from} → ${to}`).toHaveLength(1);
    });
  });
});
