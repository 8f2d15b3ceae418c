import { readFileSync } from 'node:fs';
import { ConfigError, errorMessage } from '../errors.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Secrets come only from the environment: `NAME`, or the contents of the file named by
 * `NAME_FILE` (how Kubernetes and Docker mount secrets). Never from the YAML file.
 */
export function readSecret(env: Env, name: string): string | undefined {
  const direct = env[name];
  if (direct !== undefined && direct.trim() !== '') return direct.trim();
  const file = env[`${name}_FILE`];
  if (file === undefined || file.trim() === '') return undefined;
  try {
    const value = readFileSync(file, 'utf8').trim();
    if (value === '') throw new Error('the file is empty');
    return value;
  } catch (error) {
    throw new ConfigError('environment', [`${name}_FILE: cannot read ${file}: ${errorMessage(error)}`]);
  }
}
