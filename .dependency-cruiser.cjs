/**
 * dpbot's layers, checked by `npm run depcheck` (and in .ci/run). Each layer may import only
 * the layers below it, so a change in a lower layer never needs to know who sits above it:
 *
 *   core/          errors, config loading, time, logging, HTTP JSON client: imports only core/
 *   db/            schema and the stores several capabilities or the pipeline share: core/
 *   integrations/  one client per external system: core/ and its own folder
 *   policies/      authorization: core/, db/
 *   pipeline/      the command pipeline: core/, db/, policies/, integrations/
 *   handlers/      the capabilities: anything above, never bot/ or app/, and another
 *                  capability only through its public modules; a capability's own stores
 *                  (handlers/<capability>/stores/) sit on the db/ floor: core/ and db/
 *   bot/           the surfaces (Slack, console, HTTP server, App Home): anything above, never
 *                  app/; they take a small declared dependency object that app/ builds
 *   app/           the composition root, root configuration, CLI, doctor, sandbox launcher:
 *                  the top, may import everything, but a surface only through its face (the
 *                  modules that start it and declare what it takes, listed in bot-public-faces)
 *   bin/           the executable: its own Node check and app/'s face, the CLI (app/cli/index.ts)
 *   (Block Kit, the slack-block-builder package, only in views: handlers/<capability>/views.ts
 *   or views/, pipeline/views/, and bot/)
 *   sandbox/       loopback simulators: no product code at all, so a simulator cannot share a
 *                  mistake with the code it is there to test
 *
 * Only product code is cruised (see .ci/depcheck): tests and benchmarks may reach into
 * any layer.
 */
const local = ['local'];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import loop: split the shared part into its own module.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-imports-only-core',
      comment: 'core/ is the bottom layer: it imports nothing of dpbot outside core/.',
      severity: 'error',
      from: { path: '^core/' },
      to: { dependencyTypes: local, pathNot: '^core/' },
    },
    {
      name: 'db-imports-only-core',
      comment: 'db/ imports only core/ (and itself).',
      severity: 'error',
      from: { path: '^db/' },
      to: { dependencyTypes: local, pathNot: '^(core|db)/' },
    },
    {
      name: 'integration-imports-only-core',
      comment:
        'An integration imports only core/ and its own folder; it gets its config slice as a parameter.',
      severity: 'error',
      // Anchored at the folder root: a file placed directly under integrations/ is held to the
      // same rule (its "own folder" then matches nothing, so it may import only core/).
      from: { path: '^integrations/([^/]+)' },
      to: { dependencyTypes: local, pathNot: ['^core/', '^integrations/$1/'] },
    },
    {
      name: 'policies-below-pipeline',
      comment: 'policies/ imports only core/ and db/ (and itself).',
      severity: 'error',
      from: { path: '^policies/' },
      to: { dependencyTypes: local, pathNot: '^(core|db|policies)/' },
    },
    {
      name: 'pipeline-below-capabilities',
      comment: 'pipeline/ imports core/, db/, policies/ and integrations/, never handlers/, bot/ or app/.',
      severity: 'error',
      from: { path: '^pipeline/' },
      to: { dependencyTypes: local, pathNot: '^(core|db|policies|integrations|pipeline)/' },
    },
    {
      name: 'capabilities-below-bot',
      comment:
        'A capability never imports bot/ (the surfaces) or app/ (the composition root): it declares its deps and app/wiring/ hands them over.',
      severity: 'error',
      from: { path: '^handlers/' },
      to: { dependencyTypes: local, path: '^(bot|app|bin|sandbox)/' },
    },
    {
      name: 'bot-below-app',
      comment:
        'The surfaces never import app/ (the composition root): each declares the dependency object it needs (bot/slack/slackDeps.ts, bot/server.ts) and app/wiring/ builds it.',
      severity: 'error',
      from: { path: '^bot/' },
      to: { dependencyTypes: local, path: '^(app|bin)/' },
    },
    {
      name: 'capability-public-modules',
      comment:
        'A capability reaches another only through its public modules: index.ts (the capability), config.ts (its configuration schema) and options.ts (the option providers other forms offer).',
      severity: 'error',
      // Anchored at the folder root, so handlers/index.ts (the list of capabilities) is held to
      // the faces as well.
      from: { path: '^handlers/([^/]+)' },
      to: { path: '^handlers/(?!$1/)[^/]+/', pathNot: '^handlers/[^/]+/(index|config|options)[.]ts$' },
    },
    {
      name: 'top-through-capability-faces',
      comment:
        'The top (app/, bot/) reaches a capability only through its face: index.ts (the capability and what its wiring needs: its deps type, its stores, its sync) and config.ts (its part of the root schema), or handlers/index.ts (the list of capabilities).',
      severity: 'error',
      from: { path: '^(app|bot)/' },
      to: { path: '^handlers/[^/]+/', pathNot: '^handlers/[^/]+/(index|config)[.]ts$' },
    },
    {
      name: 'bot-public-faces',
      comment:
        'The composition root reaches a surface only through its face: the modules that start it and declare what it takes (bot/server.ts; bot/console/console.ts and consoleSurface.ts; bot/slack/slackApp.ts, slackDeps.ts, slackBudget.ts and sharedShown.ts (what replicas share), warmUp.ts, and botScopes.ts and channelDirectory.ts for the doctor). Named modules rather than an index.ts barrel: a barrel would load the Bolt app into `dpbot doctor` and the console, which import only their part.',
      severity: 'error',
      from: { path: '^app/' },
      to: {
        path: '^bot/',
        pathNot:
          '^bot/(server|console/(console|consoleSurface)|slack/(slackApp|slackDeps|slackBudget|sharedShown|warmUp|botScopes|channelDirectory))[.]ts$',
      },
    },
    {
      name: 'bin-through-app-face',
      comment:
        "bin/ is the executable: it checks the Node version (its own folder), starts tracing when asked (core/tracing.ts, core/otel.ts: before anything traced is imported, which app/ would import) and hands over to app/'s face, the CLI (app/cli/index.ts); it imports nothing else of dpbot.",
      severity: 'error',
      from: { path: '^bin/' },
      to: {
        dependencyTypes: local,
        pathNot: ['^bin/', '^app/cli/index[.]ts$', '^core/tracing[.]ts$', '^core/otel[.]ts$'],
      },
    },
    {
      name: 'capability-store-imports-only-db',
      comment:
        "A capability's store is the db/ floor moved into its slice: it imports only core/, db/ (schema, connection, shared helpers) and its own capability's stores.",
      severity: 'error',
      from: { path: '^handlers/([^/]+)/stores/' },
      to: { dependencyTypes: local, pathNot: ['^core/', '^db/', '^handlers/$1/stores/'] },
    },
    {
      name: 'capability-stores-stay-inside',
      comment:
        "Only its own capability imports a capability's store; the composition root gets the store class from the capability's index.ts.",
      severity: 'error',
      from: { pathNot: '^handlers/' },
      to: { path: '^handlers/[^/]+/stores/' },
    },
    {
      name: 'block-kit-only-in-views',
      comment:
        "Block Kit is built in views only: a capability's views.ts or views/, pipeline/views/, and the surfaces in bot/. Logic returns data or calls a view function, so a reducer or a job never needs the block builder.",
      severity: 'error',
      from: {
        pathNot: ['^handlers/[^/]+/views[.]ts$', '^handlers/[^/]+/views/', '^pipeline/views/', '^bot/'],
      },
      to: { path: '(^|/)node_modules/slack-block-builder/' },
    },
    {
      name: 'sandbox-imports-no-product-code',
      comment:
        'A simulator that reuses the code under test cannot catch its mistakes: sandbox/ imports only sandbox/.',
      severity: 'error',
      from: { path: '^sandbox/' },
      to: { dependencyTypes: local, pathNot: '^sandbox/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a layer that needs another's types depends on it all the same.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
