import { SANDBOX_SYSTEMS, type SandboxSystem } from '../../core/config/sandbox.ts';
import { exampleSections } from './exampleSections.ts';

/** The systems `--real` may name: every one the sandbox can simulate. */
export const SYSTEMS = SANDBOX_SYSTEMS;
export type System = SandboxSystem;

export interface InitTeam {
  name: string;
  namespace: string;
  deployment?: string;
}

/** What `dpbot init` asked or was told; everything the written configuration depends on. */
export interface InitAnswers {
  slack: 'http' | 'socket';
  database: 'embedded' | 'url';
  real: ReadonlySet<System>;
  teams: readonly InitTeam[];
  repos: readonly string[];
  apps: readonly string[];
  /** The e-mail of the first administrator, granted everything by the starter policy. */
  admin: string;
}

/** JSON strings are YAML strings too, and quoting every value keeps odd input from changing the structure. */
const q = (value: string): string => JSON.stringify(value);
const list = (values: readonly string[]): string => `[${values.map(q).join(', ')}]`;

/** A release service's name from its repository: `acme/Orders_API` → `orders-api`. */
export function serviceNameOf(repo: string): string {
  const name = repo.slice(repo.indexOf('/') + 1);
  return name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function slackPart(a: InitAnswers): string[] {
  const how =
    a.slack === 'socket'
      ? [
          '# Slack in Socket Mode: set SLACK_BOT_TOKEN and SLACK_APP_TOKEN (an app-level token with',
          '# connections:write) in the environment; no public URL is needed.',
        ]
      : [
          '# Slack over HTTP: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET in the environment and point',
          "# the app's request URLs at https://<your host>/slack/events (see deploy/slack-manifest.yaml).",
        ];
  return [
    ...how,
    'slack:',
    '  command: /dp',
    '  channels:',
    '    # Where directory sync refusals and failures are posted; fill in your channel.',
    '    admin: "#dpbot-admin"',
    '',
  ];
}

function databasePart(a: InitAnswers): string[] {
  if (a.database === 'url')
    return [
      'database:',
      '  # Set DATABASE_URL (or DATABASE_URL_FILE) in the environment to your PostgreSQL, e.g.',
      '  # postgres://dpbot@db.example.com:5432/dpbot; dpbot applies its migrations at start.',
      '  poolSize: 10',
      '',
    ];
  return [
    'database:',
    '  # DATABASE_URL is unset: dpbot starts an embedded PostgreSQL whose data lives in this folder.',
    '  # Back it up, or set DATABASE_URL to a managed PostgreSQL for anything beyond a trial.',
    '  dataDir: .dpbot',
    '  embeddedPort: 0',
    '',
  ];
}

const simulated = (what: string): string[] => [`# ${what}`];

function kubernetesPart(a: InitAnswers): string[] {
  if (!a.real.has('kubernetes'))
    return [
      ...simulated(
        'Kubernetes is simulated: the demo cluster and its teams, as in dpbot.example.yaml. Set sandbox.kubernetes: false and list your teams (`dpbot init --real kubernetes --team ...`) to scale your own.',
      ),
      exampleSections(['kubernetes', 'teams']),
    ];
  const teams = a.teams.flatMap((t) => [
    `  - name: ${q(t.name)}`,
    '    # Bounds for any change; adjust to what the workload can take.',
    '    minReplicas: 1',
    '    maxReplicas: 20',
    '    targets:',
    '      - name: workers',
    '        # The kubeconfig context of the cluster this namespace lives in; fill in yours.',
    '        cluster: "my-cluster"',
    `        namespace: ${q(t.namespace)}`,
    '        kind: Deployment',
    ...(t.deployment
      ? [`        object: ${q(t.deployment)}`]
      : ['        # object: <the Deployment; default: workers>']),
  ]);
  return [
    'kubernetes:',
    '  # The kubeconfig whose contexts the teams name (relative to this file). Unset: KUBECONFIG,',
    '  # then the in-cluster service account, then ~/.kube/config. See the README for the RBAC dpbot needs.',
    '  # kubeconfig: kubeconfig.yaml',
    '  requestTimeout: 10s',
    '',
    '# The teams whose workers dpbot scales. Who may scale a team is a grant of workers.scale on',
    '# team:<name> (see policies/).',
    ...(teams.length > 0 ? ['teams:', ...teams] : ['teams: []']),
    '',
  ];
}

function argoPart(a: InitAnswers): string[] {
  if (!a.real.has('argo'))
    return [
      ...simulated(
        'Argo Workflows is simulated: the demo ops tasks (backfill, reprocess-partition, compact-table) run on it.',
      ),
      exampleSections(['argo', 'tasks']),
    ];
  return [
    'argo:',
    '  # Your argo-server; the bearer token comes from ARGO_TOKEN (or ARGO_TOKEN_FILE).',
    '  url: https://argo.example.com',
    '  namespace: argo',
    '',
    '# Ops tasks (Argo WorkflowTemplates) people may run from Slack; see dpbot.example.yaml.',
    'tasks: []',
    '',
  ];
}

function jiraPart(a: InitAnswers): string[] {
  if (!a.real.has('jira'))
    return [
      ...simulated('Jira is simulated (projects DP and DATA on 127.0.0.1): nothing real is ticketed.'),
      '',
    ];
  return [
    'jira:',
    '  # Your Jira site; the token comes from JIRA_API_TOKEN (or JIRA_API_TOKEN_FILE).',
    '  url: https://example.atlassian.net',
    '  # The account the token belongs to (basic auth); leave out to send the token as a bearer token.',
    '  email: dpbot@example.com',
    '',
  ];
}

function datasetsPart(a: InitAnswers): string[] {
  if (!a.real.has('catalog')) {
    // The demo datasets' producers are CronWorkflows of the simulated Argo only.
    const argoReal = a.real.has('argo');
    return [
      ...simulated(
        `The dataset catalog is simulated: a few hundred demo datasets${argoReal ? ' (their producers are demo CronWorkflows, which your Argo does not have, so none are mapped)' : ' and, on the simulated Argo, the CronWorkflows producing them'}.`,
      ),
      exampleSections(['datasets'], argoReal ? ['datasets.producers', 'datasets.argo'] : []),
    ];
  }
  return [
    'datasets:',
    '  catalog:',
    '    # Your dataset catalog; a bearer token, if it needs one, comes from DATASET_CATALOG_TOKEN.',
    '    # Map its fields (fields:, itemsPath:, pagination:) as dpbot.example.yaml shows.',
    '    url: https://catalog.example.com',
    ...(a.real.has('argo')
      ? [
          '  # The Argo Workflows server whose CronWorkflows produce the datasets, and which produces which:',
          '  # argo: { url: https://argo.example.com }',
          '  # producers: { sales.orders_daily: { namespace: data-sales, cronWorkflow: orders-daily-refresh } }',
        ]
      : []),
    '',
  ];
}

function githubPart(a: InitAnswers): string[] {
  if (!a.real.has('github'))
    return [...simulated('GitHub is simulated: the demo repositories acme/orders and acme/platform.'), ''];
  return [
    'github:',
    '  # GitHub Enterprise: https://<host>/api/v3. The token comes from GITHUB_TOKEN (or GITHUB_TOKEN_FILE).',
    '  apiUrl: https://api.github.com',
    '',
  ];
}

function argocdPart(a: InitAnswers): string[] {
  if (!a.real.has('argocd'))
    return [...simulated("Argo CD is simulated: the demo services' applications."), ''];
  return [
    'argocd:',
    '  # Your Argo CD server; the token comes from ARGOCD_TOKEN (or ARGOCD_TOKEN_FILE).',
    '  url: https://argocd.example.com',
    '',
  ];
}

function releasePart(a: InitAnswers): string[] {
  const github = a.real.has('github');
  if (!github && !a.real.has('argocd'))
    return [
      ...simulated(
        `The weekly release runs on the simulated GitHub and Argo CD, with the demo services${a.real.has('jira') ? " (without the Jira steps: the demo pull requests' issues are in the simulated Jira only)" : ''}.`,
      ),
      exampleSections(['release'], a.real.has('jira') ? ['release.jira'] : []),
    ];
  if (github !== a.real.has('argocd'))
    return [
      '# The weekly release needs GitHub and Argo CD on one side, both real or both simulated: a',
      '# release ships the commits GitHub has with the applications Argo CD has. No services until then.',
      '',
    ];
  if (a.repos.length === 0) return ['# The weekly release: no repositories yet (release.services).', ''];
  const paired = a.apps.length === a.repos.length;
  const services = a.repos.flatMap((repo, i) => {
    const name = serviceNameOf(repo);
    const apps = paired ? [a.apps[i] ?? name] : a.apps.length > 0 ? a.apps : [name];
    return [
      `    - name: ${q(name)}`,
      `      repository: ${q(repo)}`,
      '      # The Argo CD applications that deploy this service; keep only its own.',
      `      applications: ${list(apps)}`,
      '      # Who decides whether it ships: Slack ids, e-mails or directory groups <source>:<id>.',
      `      owners: ${list([a.admin])}`,
    ];
  });
  return ['release:', '  channel: "#releases"', '  services:', ...services, ''];
}

function directoryPart(a: InitAnswers): string[] {
  if (!a.real.has('directory'))
    return [
      'directory:',
      "  # The directory is simulated: directory.yaml (next to this file) holds the sandbox's people",
      `  # and ${a.admin}, in the groups the starter policies grant; the sandbox adds simulated`,
      '  # google and github sources (try `access sync google`).',
      '  sources:',
      '    - name: file',
      '      type: file',
      `      path: ${DIRECTORY_FILE}`,
      '',
    ];
  return [
    'directory:',
    '  # Where users and groups come from (file, google, github, slack); see dpbot.example.yaml.',
    '  # Until a source is added, grants name users by e-mail.',
    '  sources: []',
    '',
  ];
}

/** The directory file written beside the configuration while the directory is simulated. */
export const DIRECTORY_FILE = 'directory.yaml';

/** The commented `dpbot.yaml` of a deployment, real and simulated systems mixed, from the answers of `dpbot init`. */
export function renderConfig(a: InitAnswers): string {
  return [
    '# dpbot configuration, written by `dpbot init`. dpbot.example.yaml documents every key.',
    '# Secrets never go here: they come from the environment (NAME or NAME_FILE), see README.',
    '# Check it with `dpbot config check` and `dpbot policies check`, then `dpbot start`.',
    '',
    '# Which systems are simulated (true: simulators on 127.0.0.1 with demo data, nothing real',
    '# changes) and which are real (false). Make one real at a time: set it to false, fill in its',
    '# section below, and run `dpbot config check` and `dpbot doctor`.',
    'sandbox:',
    ...SYSTEMS.map((s) => `  ${s}: ${a.real.has(s) ? 'false' : 'true'}`),
    '',
    'server:',
    '  # HTTP port for Slack, /healthz and /readyz; the PORT variable overrides it.',
    '  port: 3000',
    '',
    ...databasePart(a),
    'log:',
    '  level: info',
    '',
    'access:',
    '  # Grant files (*.yaml), applied at start.',
    '  policies: policies',
    '  # Who to ask for access; named in every denial. Fill in your team or channel.',
    `  adminContact: ${q(a.admin)}`,
    '',
    ...directoryPart(a),
    'console:',
    '  # Who `dpbot console` acts as.',
    `  as: ${q(a.admin)}`,
    '',
    ...slackPart(a),
    ...kubernetesPart(a),
    ...argoPart(a),
    ...jiraPart(a),
    ...datasetsPart(a),
    ...githubPart(a),
    ...argocdPart(a),
    ...releasePart(a),
  ].join('\n');
}

/** The starter grant: the first administrator may do everything, so the rest can be granted from Slack. */
export function renderAdminPolicy(admin: string): string {
  return [
    '# Written by `dpbot init`. Grants are policy as code: review them like code and check them',
    '# with `dpbot policies check`. Replace the user with a directory group once a source is set up.',
    'grants:',
    `  - user: ${q(admin)}`,
    '    description: The first administrator of dpbot may do everything.',
    '    actions: ["*"]',
    '',
  ].join('\n');
}
