import { hostname } from 'node:os';

/**
 * What a connection of this process tells PostgreSQL it is (`application_name`, shown in
 * pg_stat_activity): the pool's role and the replica — the host (a pod's name in Kubernetes) and
 * the process — so each replica's connections can be counted apart. PostgreSQL keeps 63 bytes.
 */
export function applicationName(role: 'dpbot' | 'dpbot-jobs' | 'dpbot-checkpoints'): string {
  return `${role}/${replicaName()}`.slice(0, 63);
}

/** This replica: `DPBOT_REPLICA` when set, else its host and process id. */
export function replicaName(): string {
  return process.env.DPBOT_REPLICA || `${hostname()}:${process.pid}`;
}
