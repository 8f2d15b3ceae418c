import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command as Program } from 'commander';
import { stringify } from 'yaml';
import { ConfigError, InputError } from '../../core/errors.ts';
import { projectRoot } from '../../core/paths.ts';
import { TEAM_NAME } from '../../handlers/scaling/config.ts';
import { exampleConfigPath, parseConfig, parseYaml } from '../config/loadConfig.ts';
import { ADMIN_GROUPS } from '../sandbox/installer.ts';
import { type Cli, Exit, selfCommand } from './context.ts';
import {
  DIRECTORY_FILE,
  type InitAnswers,
  type InitTeam,
  renderAdminPolicy,
  renderConfig,
  SYSTEMS,
  type System,
  serviceNameOf,
} from './initTemplate.ts';

interface InitOptions {
  out: string;
  force?: boolean;
  ask?: boolean;
  slack?: string;
  database?: string;
  real: string[];
  team: string[];
  repo: string[];
  app: string[];
  admin?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const K8S_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

function parseTeam(spec: string): InitTeam {
  const match = /^([^=]+)=([^/]+)(?:\/(.+))?$/.exec(spec);
  const [, name, namespace, deployment] = match ?? [];
  if (!name || !namespace || !TEAM_NAME.test(name) || !K8S_NAME.test(namespace))
    throw new InputError(
      `--team ${spec}: expected team=namespace[/deployment], such as team-x=ingest/workers`,
    );
  if (deployment !== undefined && !K8S_NAME.test(deployment))
    throw new InputError(`--team ${spec}: "${deployment}" is not a Kubernetes name`);
  return deployment === undefined ? { name, namespace } : { name, namespace, deployment };
}

function parseSystems(values: readonly string[]): Set<System> {
  const real = new Set<System>();
  for (const value of values.flatMap((v) => v.split(','))) {
    const name = value.trim();
    if (name === '') continue;
    const system = SYSTEMS.find((s) => s === name);
    if (!system) throw new InputError(`--real ${name}: expected one of ${SYSTEMS.join(', ')}`);
    real.add(system);
  }
  return real;
}

function answersFrom(o: InitOptions): InitAnswers {
  if (o.slack !== undefined && o.slack !== 'http' && o.slack !== 'socket')
    throw new InputError(`--slack ${o.slack}: expected http or socket`);
  if (o.database !== undefined && o.database !== 'embedded' && o.database !== 'url')
    throw new InputError(`--database ${o.database}: expected embedded or url`);
  for (const repo of o.repo) {
    if (!REPO.test(repo) || !TEAM_NAME.test(serviceNameOf(repo)))
      throw new InputError(`--repo ${repo}: expected owner/name, such as acme/orders`);
  }
  for (const app of o.app) {
    if (!/^[a-z0-9][a-z0-9.-]{0,252}$/.test(app))
      throw new InputError(`--app ${app}: expected an Argo CD application name`);
  }
  const admin = o.admin ?? 'admin@example.com';
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(admin)) throw new InputError(`--admin ${admin}: expected an e-mail`);
  const real = parseSystems(o.real);
  const teams = o.team.map(parseTeam);
  // Teams, repositories and applications are your own, so they need the real system they live in.
  // A release ships GitHub's commits with Argo CD's applications: both must be real for yours.
  const needs: [string, readonly string[], System[]][] = [
    ['--team', o.team, ['kubernetes']],
    ['--repo', o.repo, ['github', 'argocd']],
    ['--app', o.app, ['github', 'argocd']],
  ];
  for (const [flag, values, systems] of needs) {
    const missing = systems.filter((s) => !real.has(s));
    if (values.length > 0 && missing.length > 0)
      throw new InputError(
        `${flag} ${values[0]}: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} simulated, so the demo data is used; pass --real ${systems.join(',')} to name your own`,
      );
  }
  return {
    slack: o.slack === 'socket' ? 'socket' : 'http',
    database: o.database === 'url' ? 'url' : 'embedded',
    real,
    teams,
    repos: o.repo,
    apps: o.app,
    admin,
  };
}

const answered = (o: InitOptions): boolean =>
  o.slack !== undefined ||
  o.database !== undefined ||
  o.admin !== undefined ||
  o.real.length + o.team.length + o.repo.length + o.app.length > 0;

/**
 * Asks each question; an empty answer takes the default in brackets. Lines are read through the
 * interface's iterator, which buffers them, so answers piped in all at once are not lost between
 * two questions (rl.question would drop them).
 */
async function ask(cli: Cli): Promise<InitOptions> {
  const rl = createInterface({ input: cli.io.stdin, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  try {
    const next = async (prompt: string): Promise<string> => {
      cli.io.stdout.write(prompt);
      const read = await lines.next();
      const answer = read.done === true ? '' : String(read.value).trim();
      // A terminal echoes what was typed; piped answers are echoed so the transcript reads the same.
      if (cli.io.stdin.isTTY !== true) cli.io.stdout.write(`${answer}\n`);
      return answer;
    };
    const line = async (question: string, fallback: string): Promise<string> =>
      (await next(`${question} [${fallback}] `)) || fallback;
    const several = async (question: string): Promise<string[]> =>
      (await next(`${question} (comma-separated, empty for none) `))
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    const slack = await line('Slack mode, http or socket?', 'http');
    const database = await line('Database, embedded or url (DATABASE_URL)?', 'embedded');
    const real: string[] = [];
    for (const system of SYSTEMS) {
      if ((await line(`Is ${system} real or simulated?`, 'simulated')).startsWith('r')) real.push(system);
    }
    // Only a real system has teams, repositories or applications of yours to name.
    const team = real.includes('kubernetes') ? await several('Teams as team=namespace[/deployment]') : [];
    const release = real.includes('github') && real.includes('argocd');
    const repo = release ? await several('Release repositories as owner/name') : [];
    const app = release ? await several('Argo CD applications') : [];
    const admin = await line('Your e-mail (the first administrator)', 'admin@example.com');
    return { out: '', real, team, repo, app, slack, database, admin };
  } finally {
    rl.close();
  }
}

/** The repository's grant files (policies/*.yaml), which name the sandbox directory's groups. */
function bundledPolicies(policiesDir: string): Map<string, string> {
  const files = new Map<string, string>();
  const source = join(projectRoot(), 'policies');
  for (const name of readdirSync(source)
    .filter((n) => n.endsWith('.yaml'))
    .sort())
    files.set(join(policiesDir, name), readFileSync(join(source, name), 'utf8'));
  return files;
}

/** The bundled example and its grants, with the sandbox directory's path made absolute for another folder. */
function sandboxFiles(policiesDir: string): Map<string, string> {
  const directory = join(projectRoot(), 'sandbox', 'directory.yaml');
  const config = readFileSync(exampleConfigPath(), 'utf8').replace(
    /^(\s*path:) sandbox\/directory\.yaml$/m,
    `$1 ${JSON.stringify(directory)}`,
  );
  return new Map([['', config], ...bundledPolicies(policiesDir)]);
}

interface DirectoryFile {
  users?: { email: string; name?: string }[];
  groups?: { id: string; members?: string[] }[];
}

/** The sandbox directory's people, and the administrator in the groups the bundled grants name. */
function sandboxDirectoryWith(admin: string): string {
  const path = join(projectRoot(), 'sandbox', 'directory.yaml');
  const directory = parseYaml(readFileSync(path, 'utf8'), path) as DirectoryFile;
  const lower = admin.toLowerCase();
  const users = directory.users ?? [];
  if (!users.some((u) => u.email.toLowerCase() === lower)) users.push({ email: lower, name: lower });
  const groups = (directory.groups ?? []).map((g) =>
    (ADMIN_GROUPS as readonly string[]).includes(g.id) && !(g.members ?? []).includes(lower)
      ? { ...g, members: [...(g.members ?? []), lower] }
      : g,
  );
  return [
    "# The simulated directory, written by `dpbot init`: the sandbox's people and you, in the groups",
    '# policies/platform.yaml grants. Add your team here to let them try dpbot.',
    stringify({ ...directory, users, groups }),
  ].join('\n');
}

/**
 * The files of a configuration from answers: dpbot.yaml and the starter grant, and while the
 * directory is simulated its file and the grants that name its groups. A combination that
 * `config check` would refuse is refused here, before anything is written.
 */
function answeredFiles(answers: InitAnswers, configPath: string, policiesDir: string): Map<string, string> {
  const config = renderConfig(answers);
  try {
    parseConfig(parseYaml(config, configPath), configPath);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new InputError(
      `these real and simulated systems do not go together (change --real, or your answers):\n${error.problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  const simulatedDirectory = !answers.real.has('directory');
  return new Map([
    ['', config],
    ...(simulatedDirectory
      ? [
          [join(dirname(configPath), DIRECTORY_FILE), sandboxDirectoryWith(answers.admin)] as const,
          ...bundledPolicies(policiesDir),
        ]
      : []),
    [join(policiesDir, 'admins.yaml'), renderAdminPolicy(answers.admin)],
  ]);
}

/** Whether a file already holds exactly this text. */
function sameText(path: string, text: string): boolean {
  return existsSync(path) && readFileSync(path, 'utf8') === text;
}

/** What a real system needs before `doctor` can pass: the settings init left as placeholders, and its secrets. */
const TO_FILL: Record<System, { settings: string[]; secrets: string[] }> = {
  kubernetes: { settings: ["kubernetes.kubeconfig (or KUBECONFIG) and each team's cluster"], secrets: [] },
  argo: { settings: ['argo.url', 'argo.namespace'], secrets: ['ARGO_TOKEN'] },
  argocd: { settings: ['argocd.url'], secrets: ['ARGOCD_TOKEN'] },
  github: { settings: [], secrets: ['GITHUB_TOKEN'] },
  jira: { settings: ['jira.url', 'jira.email'], secrets: ['JIRA_API_TOKEN'] },
  catalog: { settings: ['datasets.catalog.url'], secrets: [] },
  directory: { settings: ['directory.sources'], secrets: [] },
};

/**
 * The lines after the files: what to fill in, then the commands to run, each as it runs here
 * (`npm run dpbot -- doctor` in a checkout, `dpbot doctor` with the installed binary).
 */
function nextSteps(cli: Cli, configPath: string, answers: InitAnswers | undefined): string {
  const self = selfCommand(cli.io.env);
  const shown = relative(cli.io.cwd, configPath);
  // ./dpbot.yaml is found without being named; any other file is passed along.
  const config = shown === 'dpbot.yaml' ? '' : ` --config ${shown.startsWith('..') ? configPath : shown}`;
  const real = SYSTEMS.filter((s) => answers?.real.has(s));
  const settings = real.flatMap((s) => TO_FILL[s].settings);
  const secrets = [
    ...real.flatMap((s) => TO_FILL[s].secrets),
    ...(answers?.database === 'url' ? ['DATABASE_URL'] : []),
  ];
  const fill = [
    settings.length ? `fill in ${settings.join(', ')} in ${shown}` : '',
    secrets.length ? `export ${secrets.join(', ')}` : '',
  ].filter(Boolean);
  return [
    'Next:',
    ...(fill.length ? [`  first ${fill.join(' and ')}; then`] : []),
    `  ${self.dpbot}${config} config check`,
    `  ${self.dpbot}${config} policies check --offline`,
    `  ${self.dpbot}${config} doctor`,
    `  ${self.start}${config ? `${self.start.startsWith('npm') ? ' --' : ''}${config}` : ''}`,
  ].join('\n');
}

/** `dpbot init` */
export function registerInit(program: Program, cli: Cli): void {
  program
    .command('init')
    .description('write a commented dpbot.yaml and a starter policy for a real deployment')
    .option('--out <path>', 'the configuration file to write', 'dpbot.yaml')
    .option('--force', 'overwrite files that exist')
    .option('--ask', 'ask the questions even when standard input is not a terminal')
    .option('--slack <mode>', 'http or socket')
    .option('--database <kind>', 'embedded, or url (DATABASE_URL)')
    .option('--real <systems>', `systems that are real, comma-separated: ${SYSTEMS.join(', ')}`, collect, [])
    .option('--team <team=namespace[/deployment]>', 'a team and its namespace (repeatable)', collect, [])
    .option('--repo <owner/name>', 'a release repository (repeatable)', collect, [])
    .option('--app <name>', 'an Argo CD application (repeatable)', collect, [])
    .option('--admin <email>', 'the first administrator, granted everything')
    .action(async (opts: InitOptions) => {
      const configPath = resolve(cli.io.cwd, opts.out);
      const policiesDir = join(dirname(configPath), 'policies');
      const interactive = !answered(opts) && (opts.ask === true || cli.io.stdin.isTTY === true);
      // No terminal and no flags: the sandbox configuration, every system simulated.
      const answers =
        interactive || answered(opts) ? answersFrom(interactive ? await ask(cli) : opts) : undefined;
      const files = answers ? answeredFiles(answers, configPath, policiesDir) : sandboxFiles(policiesDir);
      const written = new Map([...files].map(([path, text]) => [path === '' ? configPath : path, text]));
      // A file that already says what init would write (the checkout's own grant files) is
      // left alone; only one that says something else needs --force.
      const unchanged = new Set([...written].filter(([path, text]) => sameText(path, text)).map(([p]) => p));
      const differing = [...written.keys()].filter((path) => !unchanged.has(path) && existsSync(path));
      if (differing.length > 0 && !opts.force) {
        for (const path of differing)
          cli.err(`dpbot init: ${path} exists and says something else; pass --force to overwrite it`);
        throw new Exit(1);
      }
      for (const [path, text] of written) {
        if (unchanged.has(path)) {
          cli.out(`unchanged ${path}`);
          continue;
        }
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, text);
        cli.out(`wrote ${path}`);
      }
      cli.out(nextSteps(cli, configPath, answers));
    });
}
