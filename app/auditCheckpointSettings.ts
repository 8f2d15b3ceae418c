import { join } from 'node:path';
import { type Env, readSecret } from '../core/config/secrets.ts';
import { ConfigError, errorMessage } from '../core/errors.ts';
import {
  type CheckpointSigner,
  checkpointPublicKey,
  checkpointSigner,
} from '../db/audit/auditCheckpoints.ts';
import { type LoadedConfig, resolveConfigRelative } from './config/loadConfig.ts';

export const CHECKPOINT_KEY = 'DPBOT_AUDIT_CHECKPOINT_KEY';
export const CHECKPOINT_PUBLIC_KEY = 'DPBOT_AUDIT_CHECKPOINT_PUBLIC_KEY';

/** Where checkpoints go: `audit.checkpoints.file`, else beside the embedded database's data. */
export function checkpointFile(loaded: Pick<LoadedConfig, 'config' | 'baseDir'>): string {
  const { audit, database } = loaded.config;
  return resolveConfigRelative(
    loaded,
    audit.checkpoints.file ?? join(database.dataDir, 'audit-checkpoints.jsonl'),
  );
}

/** The signing key from the environment, or undefined when checkpoints are not configured. */
export function checkpointSignerFromEnv(env: Env): CheckpointSigner | undefined {
  const pem = readSecret(env, CHECKPOINT_KEY);
  if (!pem) return undefined;
  try {
    return checkpointSigner(pem);
  } catch (error) {
    throw new ConfigError('environment', [
      `${CHECKPOINT_KEY}: ${errorMessage(error)}; create one with: openssl genpkey -algorithm ed25519`,
    ]);
  }
}

/**
 * The key checkpoints are verified with: the public key in DPBOT_AUDIT_CHECKPOINT_PUBLIC_KEY (what
 * an auditor holds), else the one derived from the signing key.
 */
export function checkpointVerifierFromEnv(env: Env, pemFromFile?: string) {
  const pem = pemFromFile ?? readSecret(env, CHECKPOINT_PUBLIC_KEY);
  if (pem) {
    try {
      return checkpointPublicKey(pem);
    } catch (error) {
      throw new ConfigError(pemFromFile ? '--public-key' : 'environment', [
        `${pemFromFile ? 'the file' : CHECKPOINT_PUBLIC_KEY}: ${errorMessage(error)}`,
      ]);
    }
  }
  const signer = checkpointSignerFromEnv(env);
  if (signer) return signer.publicKey;
  throw new ConfigError('audit verify --checkpoint', [
    `no key to check the checkpoints' signatures: pass --public-key <file> or set ${CHECKPOINT_PUBLIC_KEY} (or ${CHECKPOINT_KEY})`,
  ]);
}
