import { and, desc, eq, gte, isNull, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../../db/connect.ts';
import { taskRuns } from '../../../db/schema.ts';

type Row = typeof taskRuns.$inferSelect;
/** A run as handlers see it: parameters as a record, in the task's order. */
export type TaskRun = Omit<Row, 'params'> & { params: Record<string, string> };
export type NewTaskRun = { params: Record<string, string> } & Pick<
  typeof taskRuns.$inferInsert,
  | 'task'
  | 'templateKind'
  | 'templateName'
  | 'namespace'
  | 'requestId'
  | 'requesterEmail'
  | 'requesterSlackId'
  | 'channel'
  | 'jiraKey'
>;
export type TaskRunPatch = Partial<
  Pick<
    TaskRun,
    | 'workflowName'
    | 'messageChannel'
    | 'messageTs'
    | 'phase'
    | 'progress'
    | 'message'
    | 'failedStep'
    | 'startedAt'
    | 'finishedAt'
    | 'jiraKey'
    | 'cancelledBy'
    | 'cancelMode'
    | 'renderedKey'
  >
>;

/** dpbot's record of task runs (the `task_runs` table). */
export interface TaskRunStore {
  create(run: NewTaskRun): Promise<TaskRun>;
  get(id: number): Promise<TaskRun | undefined>;
  /** `12`, `#12` or a workflow name. */
  find(ref: string): Promise<TaskRun | undefined>;
  update(id: number, patch: TaskRunPatch): Promise<TaskRun | undefined>;
  /** Applies the patch and marks the run closed, only if nobody has: true for the one caller that did. */
  close(id: number, patch: TaskRunPatch): Promise<TaskRun | undefined>;
  /** Records the Jira comment once: true for the one caller that did. */
  markJiraCommented(id: number): Promise<boolean>;
  recent(filter: {
    task?: string | undefined;
    email?: string | undefined;
    /** Runs asked for at or after this time. */
    since?: Date | undefined;
    limit: number;
  }): Promise<TaskRun[]>;
  /**
   * Runs whose end has not been announced yet (to re-arm their watchers), with or without a
   * workflow: one without was left mid-submission.
   */
  open(): Promise<TaskRun[]>;
}

const toRun = (row: Row): TaskRun => ({ ...row, params: Object.fromEntries(row.params) });
const one = (row: Row | undefined): TaskRun | undefined => (row ? toRun(row) : undefined);

export class PgTaskRunStore implements TaskRunStore {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  async create(run: NewTaskRun): Promise<TaskRun> {
    const [row] = await this.db
      .insert(taskRuns)
      .values({ ...run, params: Object.entries(run.params) })
      .returning();
    if (!row) throw new Error('the insert returned no row');
    return toRun(row);
  }

  async get(id: number): Promise<TaskRun | undefined> {
    if (!Number.isSafeInteger(id) || id <= 0 || id > 2_147_483_647) return undefined;
    const [row] = await this.db.select().from(taskRuns).where(eq(taskRuns.id, id));
    return one(row);
  }

  async find(ref: string): Promise<TaskRun | undefined> {
    const trimmed = ref.trim().replace(/^#/, '');
    if (/^\d{1,10}$/.test(trimmed)) return this.get(Number(trimmed));
    const [row] = await this.db
      .select()
      .from(taskRuns)
      .where(eq(taskRuns.workflowName, trimmed))
      .orderBy(desc(taskRuns.id))
      .limit(1);
    return one(row);
  }

  async update(id: number, patch: TaskRunPatch): Promise<TaskRun | undefined> {
    const [row] = await this.db
      .update(taskRuns)
      .set({ ...patch, updatedAt: sql`now()` })
      .where(eq(taskRuns.id, id))
      .returning();
    return one(row);
  }

  async close(id: number, patch: TaskRunPatch): Promise<TaskRun | undefined> {
    const [row] = await this.db
      .update(taskRuns)
      .set({ ...patch, closedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(taskRuns.id, id), isNull(taskRuns.closedAt)))
      .returning();
    return one(row);
  }

  async markJiraCommented(id: number): Promise<boolean> {
    const rows = await this.db
      .update(taskRuns)
      .set({ jiraCommentedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(taskRuns.id, id), isNull(taskRuns.jiraCommentedAt)))
      .returning({ id: taskRuns.id });
    return rows.length === 1;
  }

  async recent(filter: {
    task?: string | undefined;
    email?: string | undefined;
    since?: Date | undefined;
    limit: number;
  }): Promise<TaskRun[]> {
    const where: SQL[] = [];
    if (filter.since) where.push(gte(taskRuns.createdAt, filter.since));
    if (filter.task) where.push(eq(taskRuns.task, filter.task));
    if (filter.email) where.push(eq(taskRuns.requesterEmail, filter.email.toLowerCase()));
    const rows = await this.db
      .select()
      .from(taskRuns)
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(taskRuns.id))
      .limit(filter.limit);
    return rows.map(toRun);
  }

  async open(): Promise<TaskRun[]> {
    const rows = await this.db.select().from(taskRuns).where(isNull(taskRuns.closedAt)).orderBy(taskRuns.id);
    return rows.map(toRun);
  }
}
