import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { applicationName } from '../../core/applicationName.ts';
import { type ChainAnchor, type VerifyResult, verifyAuditChain } from './verifyAuditChain.ts';

/**
 * Checkpoints anchor the audit chain outside the database: a line per checkpoint in a file,
 * saying "row N had hash H", signed with an Ed25519 key the database never sees. Whoever can
 * rewrite the database (its owner, a superuser) can recompute a consistent chain, but cannot sign
 * a checkpoint for it; and a verifier needs only the public key, so auditors hold nothing that
 * could forge one.
 */

/** One line of a checkpoint file. */
interface CheckpointLine {
  v: 1;
  id: number;
  hash: string;
  signedAt: string;
  /** The signing key's fingerprint (its public key's SHA-256, 16 hex digits), to tell keys apart. */
  key: string;
  sig: string;
}

export interface CheckpointSigner {
  privateKey: KeyObject;
  publicKey: KeyObject;
  fingerprint: string;
}

const message = (id: number, hash: string, signedAt: string) =>
  Buffer.from(`dpbot audit checkpoint v1\n${id}\n${hash}\n${signedAt}`);

export function keyFingerprint(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

function ed25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(
      `${what} is a ${key.asymmetricKeyType ?? key.type} key; checkpoints are signed with Ed25519`,
    );
  return key;
}

/** The signing key from its PEM text (`openssl genpkey -algorithm ed25519`). */
export function checkpointSigner(pem: string): CheckpointSigner {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (error) {
    throw new Error(`the checkpoint key is not a PEM private key (${(error as Error).message})`);
  }
  ed25519(privateKey, 'the checkpoint key');
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, fingerprint: keyFingerprint(publicKey) };
}

/** The verifying key from its PEM text (a public key, or the private key it belongs to). */
export function checkpointPublicKey(pem: string): KeyObject {
  try {
    return ed25519(createPublicKey(pem), 'the checkpoint public key');
  } catch (error) {
    throw new Error(`the checkpoint public key cannot be read: ${(error as Error).message}`);
  }
}

export function signCheckpoint(
  anchor: { id: number; hash: string },
  signer: CheckpointSigner,
  now: Date,
): string {
  const signedAt = now.toISOString();
  const line: CheckpointLine = {
    v: 1,
    id: anchor.id,
    hash: anchor.hash,
    signedAt,
    key: signer.fingerprint,
    sig: sign(null, message(anchor.id, anchor.hash, signedAt), signer.privateKey).toString('base64'),
  };
  return JSON.stringify(line);
}

export interface ReadCheckpoints {
  checkpoints: (ChainAnchor & { signedAt: string })[];
  /** Lines that are not checkpoints signed with the key: each one means the file was altered. */
  problems: string[];
}

/** The checkpoints of a file's text whose signatures hold under `publicKey`. */
export function readCheckpoints(text: string, publicKey: KeyObject): ReadCheckpoints {
  const fingerprint = keyFingerprint(publicKey);
  const result: ReadCheckpoints = { checkpoints: [], problems: [] };
  for (const [i, raw] of text.split('\n').entries()) {
    if (raw.trim() === '') continue;
    const where = `line ${i + 1}`;
    let line: Partial<CheckpointLine>;
    try {
      line = JSON.parse(raw) as Partial<CheckpointLine>;
    } catch {
      result.problems.push(`${where} is not a checkpoint`);
      continue;
    }
    if (
      line.v !== 1 ||
      !Number.isSafeInteger(line.id) ||
      typeof line.hash !== 'string' ||
      typeof line.signedAt !== 'string' ||
      typeof line.sig !== 'string'
    ) {
      result.problems.push(`${where} is not a checkpoint`);
      continue;
    }
    if (line.key !== fingerprint) {
      result.problems.push(`${where} is signed with another key (${String(line.key)}, not ${fingerprint})`);
      continue;
    }
    const id = line.id as number;
    if (!verify(null, message(id, line.hash, line.signedAt), publicKey, Buffer.from(line.sig, 'base64'))) {
      result.problems.push(`${where} has a signature that does not match it: the line was altered`);
      continue;
    }
    result.checkpoints.push({ id, hash: line.hash, signedAt: line.signedAt });
  }
  return result;
}

export async function readCheckpointFile(file: string, publicKey: KeyObject): Promise<ReadCheckpoints> {
  return readCheckpoints(await readFile(file, 'utf8'), publicKey);
}

export type CheckpointWritten =
  | { written: ChainAnchor & { signedAt: string } }
  | { unchanged: ChainAnchor }
  | { empty: true }
  | { broken: Extract<VerifyResult, { ok: false }> };

/**
 * Signs the chain's current head into `file`, after checking in Node that every row since the
 * last checkpoint in the file chains onto it (the whole log when there is none), so a checkpoint
 * never vouches for a log that was already altered. Nothing is written when the head has not
 * moved. A line is appended and synced to disk before this resolves.
 */
export async function writeCheckpoint(
  pool: pg.Pool,
  options: { file: string; signer: CheckpointSigner; now: Date },
): Promise<CheckpointWritten> {
  const { file, signer } = options;
  const existing = existsSync(file)
    ? await readCheckpointFile(file, signer.publicKey)
    : { checkpoints: [], problems: [] };
  const last = existing.checkpoints.reduce<ChainAnchor | undefined>(
    (best, c) => (best && best.id >= c.id ? best : c),
    undefined,
  );
  const result = await verifyAuditChain(pool, last ? { after: last } : {});
  if (!result.ok) return { broken: result };
  if (result.lastId === 0) return { empty: true };
  if (last && result.lastId === last.id) return { unchanged: last };
  const line = signCheckpoint({ id: result.lastId, hash: result.lastHash }, signer, options.now);
  await mkdir(dirname(file), { recursive: true });
  const handle = await open(file, 'a');
  try {
    await handle.write(`${line}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { written: { id: result.lastId, hash: result.lastHash, signedAt: options.now.toISOString() } };
}

/**
 * Any constant shared by every dpbot process: it names the advisory lock the replica that signs
 * checkpoints holds, so one replica signs at a time however many run.
 */
export const CHECKPOINT_SIGNER_LOCK = 7_211_093_457;

/**
 * Signs a checkpoint every `intervalMs`, in one replica at a time: each replica tries, at every
 * tick, to take a session advisory lock on a connection of its own; the one holding it signs, the
 * others do nothing (one query per tick). The lock goes with its connection, so when the signing
 * replica stops, dies or loses the database, the next replica to tick takes over: one checkpoint
 * per interval across replicas, not one per replica. A failed attempt (the database away) is
 * logged and tried at the next tick; a chain found broken is logged as an error every time.
 */
export function scheduleCheckpoints(options: {
  pool: pg.Pool;
  /** Where the signer's own connection goes (credentials: never logged). */
  url: string;
  file: string;
  signer: CheckpointSigner;
  intervalMs: number;
  log: Logger;
  now?: () => Date;
  /** Told when a pass leaves the checkpoint current (written, or the head had not moved). */
  onCurrent?: (at: Date) => void;
}): { stop(): Promise<void> } {
  const { log } = options;
  let running: Promise<void> | undefined;
  let held: pg.Client | undefined;
  let stopped = false;
  const release = async (client: pg.Client) => {
    if (held === client) held = undefined;
    await client.end().catch(() => undefined);
  };
  /** Whether this replica holds the signer's lock, taking it when it is free. */
  const lead = async (): Promise<boolean> => {
    if (held) {
      const client = held;
      try {
        await client.query('SELECT 1');
        return true;
      } catch {
        // Its connection is gone, and the lock with it: another replica may hold it now.
        await release(client);
      }
    }
    const client = new pg.Client({
      connectionString: options.url,
      application_name: applicationName('dpbot-checkpoints'),
    });
    client.on('error', () => void release(client));
    try {
      await client.connect();
      const { rows } = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1) AS held', [
        CHECKPOINT_SIGNER_LOCK,
      ]);
      if (rows[0]?.held && !stopped) {
        held = client;
        log.info({ file: options.file }, 'this replica signs the audit checkpoints');
        return true;
      }
    } catch (error) {
      log.debug({ err: error }, 'could not ask for the audit checkpoint lock');
    }
    await release(client);
    return false;
  };
  const tick = () => {
    if (running || stopped) return;
    running = lead()
      .then(async (leading) => {
        if (!leading) return;
        const now = options.now?.() ?? new Date();
        const result = await writeCheckpoint(options.pool, {
          file: options.file,
          signer: options.signer,
          now,
        });
        if (!('broken' in result)) options.onCurrent?.(now);
        if ('broken' in result)
          log.error(
            { brokenAt: result.broken.brokenAt, problem: result.broken.problem, file: options.file },
            'audit log BROKEN: no checkpoint written; run dpbot audit verify --checkpoint',
          );
        else if ('written' in result)
          log.debug({ ...result.written, file: options.file }, 'audit checkpoint written');
      })
      .catch((error: unknown) =>
        log.warn({ err: error, file: options.file }, 'could not write an audit checkpoint'),
      )
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  tick();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
      if (held) await release(held);
    },
  };
}
