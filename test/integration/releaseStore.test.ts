import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../core/errors.ts';
import { PgReleaseStore } from '../../handlers/release/stores/releaseStore.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

describe('release store', () => {
  let database: TestDatabase;
  let store: PgReleaseStore;
  beforeAll(async () => {
    database = await createTestDatabase();
    store = new PgReleaseStore(database.db);
  });
  afterAll(async () => {
    await database.drop();
  });

  it('names a release or service that is not there, and where to look, as not found', async () => {
    await expect(store.update(9999, { messageTs: '1.2' })).rejects.toThrow(
      new NotFoundError('release 9999 does not exist; "release history" lists the releases there are'),
    );
    await expect(store.decide(9999, 'orders-api', 'include', 'ada@example.com', null)).rejects.toThrow(
      new NotFoundError(
        'release 9999 has no service orders-api; "release status 9999" lists the services it ships',
      ),
    );
    await expect(store.update(9999, { messageTs: '1.2' })).rejects.toBeInstanceOf(NotFoundError);
  });
});
