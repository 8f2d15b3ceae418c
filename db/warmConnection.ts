import type pg from 'pg';
import { warmDeliveryRecord } from './stores/actionKeyStore.ts';
import { warmAuditAppend } from './stores/auditStore.ts';

/**
 * Makes a connection ready for a Slack request's first statements, so that the first command
 * after a start is acknowledged about as fast as the next ones: each per-connection first cost of
 * the acknowledgement's path (a delivery recorded, an attempt audited) is paid here, in one
 * transaction that is rolled back. The chain head's lock is held for those few milliseconds, as
 * any audit write holds it.
 */
export async function warmConnection(client: pg.ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    await warmDeliveryRecord(client);
    await warmAuditAppend(client);
  } finally {
    await client.query('ROLLBACK');
  }
}
