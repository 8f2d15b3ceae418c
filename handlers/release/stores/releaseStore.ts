import { and, desc, eq, inArray, ne, sql } from 'drizzle-orm';
import { ConflictError, NotFoundError } from '../../../core/errors.ts';
import type { Db, Tx } from '../../../db/connect.ts';
import {
  confirmations,
  releaseApps,
  releasePrs,
  releaseServices,
  releases,
  rollbacks,
} from '../../../db/schema.ts';

/**
 * How long a rollback's claim holds while `started`. Claiming, stopping an operation, turning
 * auto-sync off and asking Argo CD take seconds; a claim older than this was left by a process
 * that stopped, and the next Rollback takes it over.
 */
export const ROLLBACK_LEASE_SECONDS = 300;
export type Release = typeof releases.$inferSelect;
export type ReleaseService = typeof releaseServices.$inferSelect;
export type ReleasePr = typeof releasePrs.$inferSelect;
export type Confirmation = typeof confirmations.$inferSelect;
export type ReleaseApp = typeof releaseApps.$inferSelect;
export type Rollback = typeof rollbacks.$inferSelect;
export type Decision = Confirmation['decision'];

export interface ReleaseSnapshot {
  release: Release;
  services: ReleaseService[];
  confirmations: Confirmation[];
  prs: ReleasePr[];
  apps: ReleaseApp[];
}

export type RollbackClaim = { won: true; rollback: Rollback } | { won: false; rollback: Rollback };

export interface ReleaseStore {
  /**
   * Runs `work` in one transaction, with a store whose writes belong to it, and the transaction
   * itself for a job that must commit with them (Jobs.send's `tx`).
   */
  inTransaction<T>(work: (store: ReleaseStore, tx: Tx) => Promise<T>): Promise<T>;
  /** Creates the release with its services, confirmations and pull requests in one transaction. */
  create(input: {
    startedBy: string;
    since: string | null;
    channel: string;
    services: (typeof releaseServices.$inferInsert)[];
    prs: (typeof releasePrs.$inferInsert)[];
  }): Promise<Release>;
  active(): Promise<Release | undefined>;
  get(id: number): Promise<Release | undefined>;
  snapshot(id: number): Promise<ReleaseSnapshot | undefined>;
  history(limit: number): Promise<(Release & { services: number; prs: number })[]>;
  /**
   * The last revision of a service that shipped: its release_services row with status done, or
   * rolled back since (it shipped all the same; what runs now is for Argo CD to say).
   */
  lastShipped(service: string): Promise<ReleaseService | undefined>;
  /** The latest release that deployed (or began to deploy) an application, with its row. */
  lastDeployment(application: string): Promise<{ release: Release; app: ReleaseApp } | undefined>;
  /** Every release that deployed (or began to deploy) an application, with its row, oldest first. */
  deploymentsOf(application: string): Promise<{ release: Release; app: ReleaseApp }[]>;
  /** Finished rollbacks of these applications, newest first. */
  doneRollbacks(applications: readonly string[]): Promise<Rollback[]>;
  /** Pull request numbers of a repository shipped for a service by earlier releases. */
  shippedPrNumbers(service: string, repository: string, releaseId: number): Promise<Set<number>>;
  update(id: number, values: Partial<typeof releases.$inferInsert>): Promise<Release>;
  /** Moves a release from one status to another; false when it was not in `from` (a race lost). */
  transition(
    id: number,
    from: Release['status'][],
    values: Partial<typeof releases.$inferInsert>,
  ): Promise<boolean>;
  updateService(
    id: number,
    service: string,
    values: Partial<typeof releaseServices.$inferInsert>,
  ): Promise<void>;
  decide(
    id: number,
    service: string,
    decision: Decision,
    by: string,
    reason: string | null,
  ): Promise<Confirmation>;
  markReminded(id: number, services: readonly string[]): Promise<void>;
  /** Adds pull requests found by a refresh; returns the ones that were new. */
  addPrs(prs: (typeof releasePrs.$inferInsert)[]): Promise<ReleasePr[]>;
  createApps(apps: (typeof releaseApps.$inferInsert)[]): Promise<void>;
  updateApp(id: number, application: string, values: Partial<typeof releaseApps.$inferInsert>): Promise<void>;
  /** Claims a rollback by key: inserted, or a failed one taken over; otherwise who has it. */
  claimRollback(input: typeof rollbacks.$inferInsert): Promise<RollbackClaim>;
  updateRollback(key: string, values: Partial<typeof rollbacks.$inferInsert>): Promise<void>;
  getRollback(key: string): Promise<Rollback | undefined>;
}

function isUniqueViolation(error: unknown): boolean {
  const code =
    (error as { code?: string; cause?: { code?: string } })?.code ??
    (error as { cause?: { code?: string } })?.cause?.code;
  return code === '23505';
}

export class PgReleaseStore implements ReleaseStore {
  private readonly db: Db | Tx;

  constructor(db: Db | Tx) {
    this.db = db;
  }

  async create(input: {
    startedBy: string;
    since: string | null;
    channel: string;
    services: (typeof releaseServices.$inferInsert)[];
    prs: (typeof releasePrs.$inferInsert)[];
  }): Promise<Release> {
    try {
      return await this.db.transaction(async (tx) => {
        const [release] = await tx
          .insert(releases)
          .values({ startedBy: input.startedBy, since: input.since, channel: input.channel })
          .returning();
        if (!release) throw new Error('the insert returned no row');
        if (input.services.length) {
          await tx
            .insert(releaseServices)
            .values(input.services.map((s) => ({ ...s, releaseId: release.id })));
          await tx
            .insert(confirmations)
            .values(input.services.map((s) => ({ releaseId: release.id, service: s.service })));
        }
        if (input.prs.length)
          await tx.insert(releasePrs).values(input.prs.map((p) => ({ ...p, releaseId: release.id })));
        return release;
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        const active = await this.active();
        throw new ConflictError(
          `release #${active?.id ?? '?'} is still ${active?.status ?? 'open'}; ship it or cancel it ("release cancel") before starting another`,
        );
      }
      throw error;
    }
  }

  async active(): Promise<Release | undefined> {
    const [row] = await this.db.select().from(releases).where(eq(releases.active, true));
    return row;
  }

  async get(id: number): Promise<Release | undefined> {
    const [row] = await this.db.select().from(releases).where(eq(releases.id, id));
    return row;
  }

  async snapshot(id: number): Promise<ReleaseSnapshot | undefined> {
    const release = await this.get(id);
    if (!release) return undefined;
    const [services, confirms, prs, apps] = await Promise.all([
      this.db
        .select()
        .from(releaseServices)
        .where(eq(releaseServices.releaseId, id))
        .orderBy(releaseServices.service),
      this.db
        .select()
        .from(confirmations)
        .where(eq(confirmations.releaseId, id))
        .orderBy(confirmations.service),
      this.db
        .select()
        .from(releasePrs)
        .where(eq(releasePrs.releaseId, id))
        .orderBy(releasePrs.repository, releasePrs.mergedAt, releasePrs.number),
      this.db
        .select()
        .from(releaseApps)
        .where(eq(releaseApps.releaseId, id))
        .orderBy(releaseApps.wave, releaseApps.application),
    ]);
    return { release, services, confirmations: confirms, prs, apps };
  }

  async history(limit: number): Promise<(Release & { services: number; prs: number })[]> {
    const rows = await this.db
      .select({
        release: releases,
        services: sql<number>`(SELECT count(*)::int FROM release_services s WHERE s.release_id = ${releases.id} AND s.ship_status <> 'skipped')`,
        prs: sql<number>`(SELECT count(*)::int FROM release_prs p WHERE p.release_id = ${releases.id})`,
      })
      .from(releases)
      .orderBy(desc(releases.id))
      .limit(limit);
    return rows.map((r) => ({ ...r.release, services: r.services, prs: r.prs }));
  }

  async lastShipped(service: string): Promise<ReleaseService | undefined> {
    const [row] = await this.db
      .select()
      .from(releaseServices)
      .where(
        and(
          eq(releaseServices.service, service),
          inArray(releaseServices.shipStatus, ['done', 'rolled_back']),
        ),
      )
      .orderBy(desc(releaseServices.releaseId))
      .limit(1);
    return row;
  }

  async lastDeployment(application: string): Promise<{ release: Release; app: ReleaseApp } | undefined> {
    const [row] = await this.db
      .select({ release: releases, app: releaseApps })
      .from(releaseApps)
      .innerJoin(releases, eq(releases.id, releaseApps.releaseId))
      .where(and(eq(releaseApps.application, application), ne(releaseApps.status, 'waiting')))
      .orderBy(desc(releaseApps.releaseId))
      .limit(1);
    return row;
  }

  async deploymentsOf(application: string): Promise<{ release: Release; app: ReleaseApp }[]> {
    return this.db
      .select({ release: releases, app: releaseApps })
      .from(releaseApps)
      .innerJoin(releases, eq(releases.id, releaseApps.releaseId))
      .where(and(eq(releaseApps.application, application), ne(releaseApps.status, 'waiting')))
      .orderBy(releaseApps.releaseId);
  }

  async doneRollbacks(applications: readonly string[]): Promise<Rollback[]> {
    if (!applications.length) return [];
    return this.db
      .select()
      .from(rollbacks)
      .where(and(inArray(rollbacks.application, [...applications]), eq(rollbacks.status, 'done')))
      .orderBy(desc(rollbacks.createdAt));
  }

  async shippedPrNumbers(service: string, repository: string, releaseId: number): Promise<Set<number>> {
    const rows = await this.db
      .select({ number: releasePrs.number })
      .from(releasePrs)
      .where(
        and(
          eq(releasePrs.releaseId, releaseId),
          eq(releasePrs.repository, repository),
          sql`${service} = ANY(${releasePrs.services})`,
        ),
      );
    return new Set(rows.map((r) => r.number));
  }

  inTransaction<T>(work: (store: ReleaseStore, tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(new PgReleaseStore(tx), tx));
  }

  async update(id: number, values: Partial<typeof releases.$inferInsert>): Promise<Release> {
    const [row] = await this.db
      .update(releases)
      .set({ ...values, updatedAt: sql`now()` })
      .where(eq(releases.id, id))
      .returning();
    if (!row)
      throw new NotFoundError(`release ${id} does not exist; "release history" lists the releases there are`);
    return row;
  }

  async transition(
    id: number,
    from: Release['status'][],
    values: Partial<typeof releases.$inferInsert>,
  ): Promise<boolean> {
    const rows = await this.db
      .update(releases)
      .set({ ...values, updatedAt: sql`now()` })
      .where(and(eq(releases.id, id), inArray(releases.status, from)))
      .returning({ id: releases.id });
    return rows.length > 0;
  }

  async updateService(
    id: number,
    service: string,
    values: Partial<typeof releaseServices.$inferInsert>,
  ): Promise<void> {
    await this.db
      .update(releaseServices)
      .set(values)
      .where(and(eq(releaseServices.releaseId, id), eq(releaseServices.service, service)));
  }

  async decide(
    id: number,
    service: string,
    decision: Decision,
    by: string,
    reason: string | null,
  ): Promise<Confirmation> {
    const [row] = await this.db
      .update(confirmations)
      .set({ decision, decidedBy: decision === 'pending' ? null : by, decidedAt: sql`now()`, reason })
      .where(and(eq(confirmations.releaseId, id), eq(confirmations.service, service)))
      .returning();
    if (!row)
      throw new NotFoundError(
        `release ${id} has no service ${service}; "release status ${id}" lists the services it ships`,
      );
    return row;
  }

  async markReminded(id: number, services: readonly string[]): Promise<void> {
    if (!services.length) return;
    await this.db
      .update(confirmations)
      .set({ remindedAt: sql`now()`, reminders: sql`${confirmations.reminders} + 1` })
      .where(and(eq(confirmations.releaseId, id), inArray(confirmations.service, [...services])));
  }

  async addPrs(prs: (typeof releasePrs.$inferInsert)[]): Promise<ReleasePr[]> {
    if (!prs.length) return [];
    return this.db.insert(releasePrs).values(prs).onConflictDoNothing().returning();
  }

  async createApps(apps: (typeof releaseApps.$inferInsert)[]): Promise<void> {
    if (!apps.length) return;
    await this.db.insert(releaseApps).values(apps).onConflictDoNothing();
  }

  async updateApp(
    id: number,
    application: string,
    values: Partial<typeof releaseApps.$inferInsert>,
  ): Promise<void> {
    await this.db
      .update(releaseApps)
      .set(values)
      .where(and(eq(releaseApps.releaseId, id), eq(releaseApps.application, application)));
  }

  async claimRollback(input: typeof rollbacks.$inferInsert): Promise<RollbackClaim> {
    const [row] = await this.db
      .insert(rollbacks)
      .values({ ...input, status: 'started' })
      .onConflictDoUpdate({
        target: rollbacks.key,
        set: {
          status: 'started',
          error: null,
          requestedBy: input.requestedBy,
          historyId: input.historyId,
          revision: input.revision,
          updatedAt: sql`now()`,
        },
        // A claim still `started` after the lease was left by a process that stopped part-way:
        // a rollback takes seconds, and without this nobody could press Rollback again.
        setWhere: sql`${rollbacks.status} = 'failed' OR (${rollbacks.status} = 'started' AND ${rollbacks.updatedAt} < now() - make_interval(secs => ${ROLLBACK_LEASE_SECONDS}))`,
      })
      .returning();
    if (row) return { won: true, rollback: row };
    const existing = await this.getRollback(input.key);
    // Only a concurrent delete of the row just conflicted with can get here.
    if (!existing)
      throw new ConflictError(
        `rollback ${input.key} changed while it was being started; press Rollback again`,
      );
    return { won: false, rollback: existing };
  }

  async updateRollback(key: string, values: Partial<typeof rollbacks.$inferInsert>): Promise<void> {
    await this.db
      .update(rollbacks)
      .set({ ...values, updatedAt: sql`now()` })
      .where(eq(rollbacks.key, key));
  }

  async getRollback(key: string): Promise<Rollback | undefined> {
    const [row] = await this.db.select().from(rollbacks).where(eq(rollbacks.key, key));
    return row;
  }
}
