import type { AuditEntry } from '../../db/stores/auditStore.ts';

/** An allowed `scale team-x <n>` attempt, request `req-<n>`: a typical audit row. */
export const scaleAttempt = (n: number): AuditEntry & { kind: 'attempt'; decision: 'allow' } => ({
  requestId: `req-${n}`,
  kind: 'attempt',
  entry: 'console',
  email: 'ada@example.com',
  commandText: `scale team-x ${n}`,
  args: { team: 'team-x', replicas: String(n) },
  action: 'workers.scale',
  resource: 'team:team-x',
  decision: 'allow',
});
