import { existsSync } from 'node:fs';
import type pg from 'pg';
import type { Logger } from 'pino';
import { type Env, readSecret } from '../../core/config/secrets.ts';
import { type DoctorCheck, type DoctorReport, runChecks } from '../../core/doctor.ts';
import { readCheckpointFile } from '../../db/audit/auditCheckpoints.ts';
import type { Db } from '../../db/connect.ts';
import {
  CHECKPOINT_KEY,
  CHECKPOINT_PUBLIC_KEY,
  checkpointFile,
  checkpointVerifierFromEnv,
} from '../auditCheckpointSettings.ts';
import type { Config } from '../config/schema.ts';
import { argoCdChecks } from './argoCdChecks.ts';
import { argoChecks } from './argoChecks.ts';
import type { DoctorContext } from './context.ts';
import { type AuditAnchors, databaseChecks } from './databaseChecks.ts';
import { directoryChecks } from './directoryChecks.ts';
import { githubChecks } from './githubChecks.ts';
import { jiraChecks } from './jiraChecks.ts';
import { kubernetesChecks } from './kubernetesChecks.ts';
import { slackChecks } from './slackChecks.ts';

/** Where each system's address lives in the configuration: what the sandbox rewrites to simulate it. */
const ADDRESSES: Record<string, (c: Config) => unknown> = {
  slack: (c) => c.slack.apiUrl,
  kubernetes: (c) => c.kubernetes.kubeconfig,
  argocd: (c) => c.argocd.url,
  argo: (c) => c.argo.url,
  github: (c) => c.github.apiUrl,
  jira: (c) => c.jira.url,
};

/**
 * The systems (and directory sources, as `directory:<name>`) a sandbox simulates: those whose
 * address the sandbox changed in the configuration it returned. It works whatever the `sandbox`
 * setting says — every system at once or some of them — because it looks at what the running
 * configuration points at, not at the setting.
 */
export function pointedAtSimulators(configured: Config, running: Config): Set<string> {
  const out = new Set<string>();
  for (const [system, address] of Object.entries(ADDRESSES))
    if (JSON.stringify(address(configured)) !== JSON.stringify(address(running))) out.add(system);
  const before = new Map(configured.directory.sources.map((s) => [s.name, JSON.stringify(s)]));
  for (const s of running.directory.sources)
    if (before.get(s.name) !== JSON.stringify(s)) out.add(`directory:${s.name}`);
  return out;
}

export interface DoctorInput {
  /** The configuration dpbot runs with (after the sandbox, if any, pointed it at its simulators). */
  config: Config;
  configDir: string;
  env: Env;
  log: Logger;
  /** From pointedAtSimulators; empty when nothing is simulated. */
  simulated?: ReadonlySet<string>;
  /** An open database (never migrated here), or why it could not be opened; leave out to skip it. */
  database?: { db: Db; pool: pg.Pool } | Error;
  /** Longest time one check may take. */
  timeoutMs: number;
  /** Only these systems (`slack`, `kubernetes`, ...); default all. */
  systems?: readonly string[];
  /** The short form run at start: everything but a full pass over the audit chain. */
  short?: boolean;
}

/** The signed checkpoints the audit chain is held to, when a checkpoint key is configured. */
function auditAnchors(input: DoctorInput): AuditAnchors {
  return {
    read: async () => {
      if (!readSecret(input.env, CHECKPOINT_KEY) && !readSecret(input.env, CHECKPOINT_PUBLIC_KEY))
        return undefined;
      const publicKey = checkpointVerifierFromEnv(input.env);
      const file = checkpointFile({ config: input.config, baseDir: input.configDir });
      return existsSync(file) ? readCheckpointFile(file, publicKey) : { checkpoints: [], problems: [] };
    },
  };
}

/** The checks of every system, in the order they are printed. */
export function doctorChecks(input: DoctorInput): DoctorCheck[] {
  const simulated = input.simulated ?? new Set<string>();
  const ctx: DoctorContext = {
    config: input.config,
    configDir: input.configDir,
    env: input.env,
    log: input.log.child({ component: 'doctor' }),
    simulated: (system) => simulated.has(system),
  };
  const planned: [string, () => DoctorCheck[]][] = [
    [
      'database',
      () =>
        input.database
          ? databaseChecks(input.database, { chain: !input.short, anchors: auditAnchors(input) })
          : [],
    ],
    ['slack', () => slackChecks(ctx)],
    ['kubernetes', () => kubernetesChecks(ctx)],
    ['argocd', () => argoCdChecks(ctx)],
    ['argo', () => argoChecks(ctx)],
    ['github', () => githubChecks(ctx)],
    ['jira', () => jiraChecks(ctx)],
    ['directory', () => directoryChecks(ctx)],
  ];
  return planned
    .filter(([system]) => !input.systems || input.systems.includes(system))
    .flatMap(([, plan]) => plan());
}

/** Proxy settings some HTTP clients honour: with one set, a direct connection proves nothing. */
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'];

/** Runs every check with the credentials dpbot uses; see core/doctor.ts for the report. */
export function runDoctor(input: DoctorInput): Promise<DoctorReport> {
  return runChecks(doctorChecks(input), {
    timeoutMs: input.timeoutMs,
    probeEndpoints: !PROXY_VARIABLES.some((name) => input.env[name]),
  });
}
