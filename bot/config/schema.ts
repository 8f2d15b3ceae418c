import { z } from 'zod';
import { duration } from './duration.ts';
import { integer } from './fields.ts';
import { argocdSchema, githubSchema, releaseSchema } from './release.ts';

/** A directory source's name prefixes its groups: source `file` has groups `file:<id>`. */
export const sourceName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, { error: 'expected a lower-case name such as "file" or "slack"' });

const fileSource = z.strictObject({
  name: sourceName,
  type: z.literal('file'),
  /** A YAML or JSON file of users and groups, relative to the config file. */
  path: z.string().min(1),
});

export const directorySourceSchema = z.discriminatedUnion('type', [fileSource]);
export type DirectorySourceConfig = z.output<typeof directorySourceSchema>;

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * A section of the file: may be left out, or left empty (YAML reads a key with only comments
 * under it as null), and then takes its defaults.
 */
function section<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null || value === undefined ? {} : value), schema);
}

export const configSchema = z.strictObject({
  sandbox: z.boolean().default(false),
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
      identityCacheTtl: duration().prefault('10m'),
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
  jobs: section(
    z.strictObject({
      pollInterval: duration().prefault('2s'),
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
      channels: section(
        z.strictObject({
          admin: z.string().optional(),
          announce: z.string().optional(),
        }),
      ),
    }),
  ),
  release: releaseSchema,
  github: githubSchema,
  argocd: argocdSchema,
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
