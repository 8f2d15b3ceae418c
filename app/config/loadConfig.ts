import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describeIssues } from '../../core/config/describeIssues.ts';
import { resolveConfigRelative } from '../../core/config/relativePath.ts';
import { parseYaml } from '../../core/config/yaml.ts';

// Kept here too for the callers that load a whole configuration.
export { parseYaml, resolveConfigRelative };

import type { Env } from '../../core/config/secrets.ts';
import { ConfigError, errorMessage } from '../../core/errors.ts';
import { projectRoot } from '../../core/paths.ts';
import { sandboxProblems } from './sandboxProblems.ts';
import { type Config, configSchema, logLevel } from './schema.ts';

export interface LoadedConfig {
  config: Config;
  /** The file the configuration came from. */
  path: string;
  /** Relative paths in the configuration are relative to this folder. */
  baseDir: string;
  /** True when no configuration was found and the committed example is in use. */
  isExample: boolean;
}

export const exampleConfigPath = (): string => join(projectRoot(), 'dpbot.example.yaml');

/** `--config`, then `DPBOT_CONFIG`, then `./dpbot.yaml`, then the committed example. */
export function resolveConfigPath(
  explicit: string | undefined,
  env: Env,
  cwd: string,
): { path: string; isExample: boolean } {
  const chosen = explicit ?? env.DPBOT_CONFIG;
  if (chosen) return { path: resolve(cwd, chosen), isExample: false };
  const local = resolve(cwd, 'dpbot.yaml');
  if (existsSync(local)) return { path: local, isExample: false };
  return { path: exampleConfigPath(), isExample: true };
}

/** Validates a parsed configuration object; every problem is reported with its path. */
export function parseConfig(raw: unknown, source: string, env: Env = {}): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(source, describeIssues(result.error));
  const config = result.data;
  const problems: string[] = sandboxProblems(config);
  const names = new Set<string>();
  config.directory.sources.forEach((s, i) => {
    if (names.has(s.name))
      problems.push(`directory.sources[${i}].name: "${s.name}" is used by another source`);
    names.add(s.name);
  });
  if (env.PORT !== undefined) {
    const port = Number(env.PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      problems.push(`PORT: expected a port number, got "${env.PORT}"`);
    else config.server.port = port;
  }
  // One configuration file, several processes each with a folder of its own (the embedded
  // database, the audit outbox, the sandbox's state): a second replica on one host, a test.
  if (env.DPBOT_DATA_DIR !== undefined) {
    if (env.DPBOT_DATA_DIR.trim() === '')
      problems.push('DPBOT_DATA_DIR: expected a folder, got an empty value');
    else config.database.dataDir = env.DPBOT_DATA_DIR;
  }
  if (env.LOG_LEVEL !== undefined) {
    const level = logLevel.safeParse(env.LOG_LEVEL);
    if (level.success) config.log.level = level.data;
    else problems.push(`LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent`);
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
  return config;
}

export function loadConfig(options: { path?: string; env?: Env; cwd?: string } = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const { path, isExample } = resolveConfigPath(options.path, env, cwd);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read the configuration file: ${errorMessage(error)}`]);
  }
  const config = parseConfig(parseYaml(text, path), path, env);
  return { config, path, baseDir: dirname(path), isExample };
}
