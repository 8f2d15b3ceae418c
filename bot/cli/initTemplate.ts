export const SYSTEMS = ['kubernetes', 'argo', 'argocd', 'github', 'jira'] as const;
export type System = (typeof SYSTEMS)[number];

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

function kubernetesPart(a: InitAnswers): string[] {
  if (!a.real.has('kubernetes'))
    return [
      '# Kubernetes: not connected. Answer "real" for kubernetes in `dpbot init` (or fill in the',
      '# kubeconfig and teams below) to let dpbot scale workers.',
      'teams: []',
      '',
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
  if (!a.real.has('argo')) return ['# Argo Workflows: not connected (no ops tasks).', ''];
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
  if (!a.real.has('jira')) return ['# Jira: not connected (no tickets, no fix versions).', ''];
  return [
    'jira:',
    '  # Your Jira site; the token comes from JIRA_API_TOKEN (or JIRA_API_TOKEN_FILE).',
    '  url: https://example.atlassian.net',
    '  # The account the token belongs to (basic auth); leave out to send the token as a bearer token.',
    '  email: dpbot@example.com',
    '',
  ];
}

function githubPart(a: InitAnswers): string[] {
  if (!a.real.has('github')) return ['# GitHub: not connected (no release notes).', ''];
  return [
    'github:',
    '  # GitHub Enterprise: https://<host>/api/v3. The token comes from GITHUB_TOKEN (or GITHUB_TOKEN_FILE).',
    '  apiUrl: https://api.github.com',
    '',
  ];
}

function argocdPart(a: InitAnswers): string[] {
  if (!a.real.has('argocd')) return ['# Argo CD: not connected (shipping and rollbacks say so).', ''];
  return [
    'argocd:',
    '  # Your Argo CD server; the token comes from ARGOCD_TOKEN (or ARGOCD_TOKEN_FILE).',
    '  url: https://argocd.example.com',
    '',
  ];
}

function releasePart(a: InitAnswers): string[] {
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

/** The commented `dpbot.yaml` of a deployment with real systems, from the answers of `dpbot init`. */
export function renderConfig(a: InitAnswers): string {
  const allSimulated = a.real.size === 0;
  return [
    '# dpbot configuration, written by `dpbot init`. dpbot.example.yaml documents every key.',
    '# Secrets never go here: they come from the environment (NAME or NAME_FILE), see README.',
    '# Check it with `dpbot config check` and `dpbot policies check`, then `dpbot start`.',
    '',
    allSimulated
      ? '# Every system is simulated: Slack talks to the sandbox, nothing real is changed.'
      : '# Real systems: the simulators stay off.',
    `sandbox: ${allSimulated ? 'true' : 'false'}`,
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
    'directory:',
    '  # Where users and groups come from (file, google, github, slack); see dpbot.example.yaml.',
    '  # Until a source is added, grants name users by e-mail.',
    '  sources: []',
    '',
    'console:',
    '  # Who `dpbot console` acts as.',
    `  as: ${q(a.admin)}`,
    '',
    ...slackPart(a),
    ...kubernetesPart(a),
    ...argoPart(a),
    ...jiraPart(a),
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
