import { z } from 'zod';
import { duration } from '../../core/config/duration.ts';
import { integer } from '../../core/config/fields.ts';
import { sandboxSchema } from '../../core/config/sandbox.ts';
import { datasetsConfigSchema } from '../../handlers/datasets/config.ts';
import { directorySourceSchema, removalGuardSchema } from '../../handlers/directory/config.ts';
import { freezesSchema } from '../../handlers/freeze/config.ts';
import { githubSchema, releaseSchema } from '../../handlers/release/config.ts';
import { teamsSchema } from '../../handlers/scaling/config.ts';
import { tasksSchema } from '../../handlers/tasks/config.ts';
import { argoSchema } from '../../integrations/argo/config.ts';
import { argocdSchema } from '../../integrations/argocd/config.ts';
import { jiraSchema } from '../../integrations/jira/config.ts';
import { kubernetesSchema } from '../../integrations/kubernetes/config.ts';

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * A section of the file: may be left out, or left empty (YAML reads a key with only comments
 * under it as null), and then takes its defaults.
 */
function section<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null || value === undefined ? {} : value), schema);
}

export const configSchema = z.strictObject({
  /** Which external systems are simulated: true (all), false (none) or per system (core/config/sandbox.ts). */
  sandbox: sandboxSchema,
  server: section(
    z.strictObject({
      port: integer({ min: 0, max: 65535 }).default(3000),
    }),
  ),
  database: section(
    z.strictObject({
      dataDir: z.string().min(1).default('.dpbot'),
      embeddedPort: integer({ min: 0, max: 65535 }).default(0),
      poolSize: integer({ min: 1, max: 100 }).default(10),
    }),
  ),
  log: section(
    z.strictObject({
      level: logLevel.default('info'),
    }),
  ),
  access: section(
    z.strictObject({
      policies: z.string().min(1).default('policies'),
      adminContact: z.string().min(1).default('the dpbot administrators'),
      // Bounded: without a user_change event, a Slack deactivation is only seen when the entry expires.
      identityCacheTtl: duration()
        .refine(
          (ms) => ms <= 3_600_000,
          'at most 1h: a deactivated Slack account is served from this cache until it expires',
        )
        .prefault('10m'),
      removalGuard: removalGuardSchema,
    }),
  ),
  directory: section(
    z.strictObject({
      sources: z.array(directorySourceSchema).default([]),
    }),
  ),
  console: section(
    z.strictObject({
      as: z.email().optional(),
    }),
  ),
  audit: section(
    z.strictObject({
      checkpoints: section(
        z.strictObject({
          /** Where signed checkpoints of the chain head go (default: <database.dataDir>/audit-checkpoints.jsonl). */
          file: z.string().min(1).optional(),
          /** How often a serving process signs the head, when DPBOT_AUDIT_CHECKPOINT_KEY is set. */
          interval: duration().prefault('5m'),
        }),
      ),
    }),
  ),
  jobs: section(
    z.strictObject({
      pollInterval: duration().prefault('60s'),
      /** How often jobs whose process died (heartbeat lost, or expired) are found and retried. */
      superviseInterval: duration().prefault('20s'),
      /**
       * How long a watcher, revert or publish job whose process died goes unnoticed (pg-boss's
       * heartbeat; at least 10 s).
       */
      heartbeat: duration().prefault('20s'),
    }),
  ),
  confirmations: section(
    z.strictObject({
      ttl: duration().prefault('10m'),
    }),
  ),
  slack: section(
    z.strictObject({
      apiUrl: z.url().optional(),
      command: z
        .string()
        .regex(/^\/[a-z0-9_-]{1,31}$/, { error: 'expected a slash command such as "/dp"' })
        .default('/dp'),
      /** Least time between two updates of one message (chat.update is Tier 3, ~50/min). */
      updateInterval: duration().prefault('1200ms'),
      /** Answer Slack with a holding note if a request is not acknowledged by then (Slack allows 3 s). */
      ackDeadline: duration().prefault('2500ms'),
      /** Longest wait for one Web API call; failed calls are tried again a bounded number of times. */
      timeout: duration().prefault('10s'),
      channels: section(
        z.strictObject({
          admin: z.string().optional(),
          announce: z.string().optional(),
        }),
      ),
    }),
  ),
  datasets: datasetsConfigSchema,
  /** Ops tasks run as Argo Workflows (handlers/tasks), and the systems they use. */
  tasks: tasksSchema,
  argo: section(argoSchema),
  jira: section(jiraSchema),
  kubernetes: section(kubernetesSchema),
  teams: teamsSchema,
  release: releaseSchema,
  /** Deploy freezes: windows when release ship is refused, and whether rollbacks are too (handlers/freeze). */
  freezes: freezesSchema,
  github: githubSchema,
  argocd: argocdSchema,
});

export type Config = z.output<typeof configSchema>;
