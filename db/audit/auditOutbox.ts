import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, truncate } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { pidAlive } from '../../core/pidAlive.ts';

/** The fields of an audit row the outbox reads; it keeps and writes back the rest as given. */
interface AuditEntry {
  requestId: string;
  kind: string;
  detail?: unknown;
  idempotencyKey?: string;
}

/** What the outbox needs of the audit log. */
export interface OutboxLog<E extends AuditEntry> {
  /** Writes a row; throws AuditUnavailableError when the database cannot take it now. */
  append(entry: E): Promise<unknown>;
  /** Whether a row held under `key` was already written (a flush cut short, a restart). */
  writtenLate(requestId: string, key: string): Promise<boolean>;
}

export interface OutboxOptions {
  /** The spool file; without one, held rows live only as long as this process. */
  file?: string;
  /** Rows held at most (default 10,000); past that a row is dropped and the caller told. */
  max?: number;
  /** How often held rows are tried again (default 5 s). */
  retryMs?: number;
  log: Logger;
}

interface Held<E> {
  key: string;
  entry: E;
}

/** How a held row says it was written late, and when the thing it records happened. */
export interface RecordedLate {
  key: string;
  happenedAt: string;
}

function withRecordedLate<E extends AuditEntry>(entry: E, late: RecordedLate): E {
  const detail = entry.detail;
  const base =
    detail === undefined || detail === null
      ? {}
      : typeof detail === 'object' && !Array.isArray(detail)
        ? (detail as Record<string, unknown>)
        : { value: detail };
  return { ...entry, detail: { ...base, recordedLate: late } };
}

/**
 * Rows recording what already happened (a command's outcome, a change made) that the audit log
 * could not take when it happened: held here and written as soon as the database answers again,
 * each with `detail.recordedLate` (a key and when it happened), so none is written twice.
 *
 * Held rows are kept in memory and appended (synced) to a spool file under the data folder
 * before the caller is answered, so a restart does not lose them: the next process with that
 * folder writes them. One process at a time owns a spool file (a lock file beside it); another
 * process with the same folder holds rows in memory only. What is not covered: a process killed
 * with its memory-only rows, a data folder that does not survive the restart (a pod without a
 * volume), more than `max` rows held at once.
 */
export class AuditOutbox<E extends AuditEntry> {
  readonly #log: OutboxLog<E>;
  readonly #o: OutboxOptions;
  readonly #held: Held<E>[] = [];
  #spool: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;

  constructor(log: OutboxLog<E>, options: OutboxOptions) {
    this.#log = log;
    this.#o = options;
  }

  get size(): number {
    return this.#held.length;
  }

  /** Takes the spool file (when free) and schedules what an earlier process left in it. */
  open(): void {
    const file = this.#o.file;
    if (!file) return;
    try {
      mkdirSync(dirname(file), { recursive: true });
      if (!this.#lock(`${file}.lock`)) {
        this.#o.log.warn(
          { file },
          'another dpbot process owns the audit outbox file; held rows stay in memory',
        );
        return;
      }
      this.#spool = file;
      if (!existsSync(file)) return;
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          this.#held.push(JSON.parse(line) as Held<E>);
        } catch {
          this.#o.log.error({ file, line }, 'an unreadable line in the audit outbox file was skipped');
        }
      }
      if (this.#held.length) {
        this.#o.log.warn(
          { rows: this.#held.length, file },
          'audit rows held by an earlier process; writing them',
        );
        this.#schedule();
      }
    } catch (error) {
      this.#spool = undefined;
      this.#o.log.error(
        { err: error, file },
        'the audit outbox file cannot be used; held rows stay in memory',
      );
    }
  }

  #lock(lockFile: string): boolean {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const pid = Number(readFileSync(lockFile, 'utf8'));
        if (pid === process.pid) return true;
        if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) return false;
        // Its owner is gone: the file is ours to take over.
        unlinkSync(lockFile);
      }
    }
    return false;
  }

  /**
   * Keeps a row to write later; resolves once it is in the spool file (or in memory, without
   * one), false when the outbox is full and the row was dropped.
   */
  async hold(entry: E, happenedAt: Date): Promise<boolean> {
    if (this.#held.length >= (this.#o.max ?? 10_000)) {
      this.#o.log.error(
        { requestId: entry.requestId, kind: entry.kind },
        'the audit outbox is full; a row was dropped',
      );
      return false;
    }
    // The row's own key when it has one: its first try may have been written after all.
    const key = entry.idempotencyKey ?? randomUUID();
    const held: Held<E> = {
      key,
      entry: withRecordedLate(
        { ...entry, idempotencyKey: key },
        { key, happenedAt: happenedAt.toISOString() },
      ),
    };
    if (this.#spool) {
      try {
        const handle = await open(this.#spool, 'a');
        try {
          await handle.write(`${JSON.stringify(held)}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
      } catch (error) {
        this.#o.log.error(
          { err: error, file: this.#spool },
          'could not spool a held audit row; it is kept in memory',
        );
      }
    }
    this.#held.push(held);
    this.#schedule();
    return true;
  }

  #schedule(): void {
    if (this.#timer || this.#held.length === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#o.retryMs ?? 5000);
    this.#timer.unref();
  }

  /** Writes the held rows in order, up to the first the database cannot take. */
  flush(): Promise<void> {
    this.#flushing ??= this.#flushHeld().finally(() => {
      this.#flushing = undefined;
      this.#schedule();
    });
    return this.#flushing;
  }

  async #flushHeld(): Promise<void> {
    while (this.#held.length > 0) {
      const next = this.#held[0] as Held<E>;
      try {
        if (!(await this.#log.writtenLate(next.entry.requestId, next.key)))
          // A spool written before rows had keys: the held key serves as one.
          await this.#log.append({ ...next.entry, idempotencyKey: next.entry.idempotencyKey ?? next.key });
      } catch (error) {
        // The database away: try again later. It answered and refused this row: trying again
        // would not change that.
        if (!refused(error)) return;
        this.#o.log.error(
          { err: error, requestId: next.entry.requestId, row: next.entry },
          'a held audit row was refused by the database and dropped',
        );
      }
      this.#held.shift();
    }
    if (this.#spool) {
      try {
        await truncate(this.#spool, 0);
      } catch (error) {
        this.#o.log.warn({ err: error, file: this.#spool }, 'could not empty the audit outbox file');
      }
    }
    this.#o.log.info('held audit rows written');
  }

  /** Stops retrying after one last try; what is still held stays in the spool file. */
  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#held.length) await this.flush().catch(() => undefined);
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    // Said once, at the end: where the rows the database never took wait, or that they are lost.
    if (this.#held.length)
      this.#o.log.error(
        { held: this.#held.length, file: this.#spool },
        this.#spool
          ? 'audit rows still held at shutdown stay in the outbox file: a process started with this data folder writes them'
          : 'audit rows still held at shutdown are lost: no outbox file kept them',
      );
    if (this.#spool) {
      try {
        unlinkSync(`${this.#spool}.lock`);
      } catch {
        // Already gone: nothing to release.
      }
    }
  }
}

/** A data or constraint error (SQLSTATE class 22 or 23) under the store's wrapper. */
function refused(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^2[23]/.test(code)) return true;
  }
  return false;
}

/** The outbox file beside a data folder. */
export const outboxFile = (dataDir: string) => join(dataDir, 'audit-outbox.jsonl');
