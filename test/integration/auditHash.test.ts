import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIT_HASHED_COLUMNS,
  auditRowCanonical,
  auditRowHash,
  canonicalAt,
  type RawAuditRow,
  stripJsonNulls,
} from '../../db/audit/auditRowHash.ts';
import { auditKinds } from '../../db/schema.ts';
import { PgAuditStore } from '../../db/stores/auditStore.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let database: TestDatabase;
let store: PgAuditStore;

beforeAll(async () => {
  database = await createTestDatabase();
  store = new PgAuditStore(database.db);
});
afterAll(() => database.drop());

/** Every row as the verifier reads it, with the database's own canonical text and hash beside it. */
async function rowsWithDatabaseCanonical(): Promise<{ raw: RawAuditRow; canonical: string; hash: string }[]> {
  const client = await database.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SET LOCAL TimeZone = 'UTC'");
    const result = await client.query<RawAuditRow & { db_canonical: string; db_hash: string }>({
      text: `SELECT ${AUDIT_HASHED_COLUMNS.join(', ')}, audit_row_canonical(a) AS db_canonical, audit_row_hash(a) AS db_hash FROM audit_log a ORDER BY id`,
      types: { getTypeParser: () => (v: string) => v },
    });
    await client.query('COMMIT');
    return result.rows.map(({ db_canonical, db_hash, ...raw }) => ({
      raw: raw as RawAuditRow,
      canonical: db_canonical,
      hash: db_hash,
    }));
  } finally {
    client.release();
  }
}

/** Text as people type it and worse: control characters, quotes, backslashes, any plane of unicode. */
const oddText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', '"', '\\', '\u007f', '\u2028\u2029', '\b\f\n\r\t\u0001\u001f', 'null', '{"a": null}'),
);

/** Number literals as jsonb keeps them: trailing zeros, exponents, big and tiny values. */
const numberLiteral = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.constantFrom(
    '1.50',
    '1e2',
    '1E+2',
    '-0',
    '-0.0',
    '0.000',
    '2.5e-7',
    '12345678901234567890.123',
    '1e-300',
  ),
);

/** JSON text with odd numbers and nulls at every depth, written as a caller might send it. */
const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    numberLiteral,
    oddText.map((s) => JSON.stringify(s.isWellFormed() ? s : s.toWellFormed()).replaceAll('\\u0000', '')),
    fc.constantFrom('null', 'true', 'false'),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
    fc
      .array(fc.tuple(oddText, tie('value')), { maxLength: 4 })
      .map(
        (members) =>
          `{ ${members.map(([k, v]) => `${JSON.stringify(k.toWellFormed().replaceAll('\u0000', ''))} :${v}`).join(' , ')} }`,
      ),
  ),
})).value;

describe("the audit hash computed in Node matches the database's, byte for byte", () => {
  it('for rows the product writes: any text, nested JSON, nulls, unicode (fuzzed)', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          kind: fc.constantFrom(...auditKinds),
          text: oddText,
          email: fc.option(oddText),
          reason: fc.option(oddText),
          args: fc.option(fc.jsonValue({ maxDepth: 3 })),
          detail: fc.option(fc.jsonValue({ maxDepth: 3 })),
          grantRef: fc.option(fc.jsonValue({ maxDepth: 2 })),
          durationMs: fc.option(fc.integer({ min: 0, max: 2 ** 31 - 1 })),
        }),
        async (r) => {
          n++;
          await store.append({
            requestId: `fuzz-${n}`,
            kind: r.kind,
            entry: 'console',
            email: r.email,
            commandText: r.text,
            args: r.args,
            reason: r.reason,
            detail: r.detail,
            grantRef: r.grantRef,
            durationMs: r.durationMs,
            decision: n % 3 === 0 ? 'deny' : null,
          });
        },
      ),
      { numRuns: 200 },
    );
    await expectSameAsDatabase();
  });

  it('for JSON the database took as text: number literals kept, whitespace, nulls in arrays', async () => {
    await fc.assert(
      fc.asyncProperty(jsonText, jsonText, async (args, detail) => {
        await database.query(
          `INSERT INTO audit_log (request_id, kind, entry, args, detail) VALUES ('raw', 'event', 'system', $1::jsonb, $2::jsonb)`,
          [args, detail],
        );
      }),
      { numRuns: 200 },
    );
    await expectSameAsDatabase();
  });

  async function expectSameAsDatabase() {
    const rows = await rowsWithDatabaseCanonical();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(auditRowCanonical(row.raw)).toBe(row.canonical);
      expect(auditRowHash(row.raw)).toBe(row.hash);
    }
    expect(await store.verify()).toMatchObject({ ok: true, rows: rows.length });
  }
});

describe('the pieces of the canonical text', () => {
  it('strips nulls from objects at every depth, never from arrays', () => {
    expect(stripJsonNulls('{"a": [null, {"b": null, "c": 1.50}], "d": null, "e": {"f": null}}')).toBe(
      '{"a": [null, {"c": 1.50}], "e": {}}',
    );
    expect(stripJsonNulls('null')).toBeUndefined();
    expect(stripJsonNulls('{"null": "null"}')).toBe('{"null": "null"}');
    expect(stripJsonNulls('"a\\"null"')).toBe('"a\\"null"');
  });

  it('prints timestamps in UTC with six fraction digits', () => {
    expect(canonicalAt('2026-11-22 10:00:00.5+00')).toBe('2026-11-22T10:00:00.500000Z');
    expect(canonicalAt('2026-11-22 10:00:00+00')).toBe('2026-11-22T10:00:00.000000Z');
    expect(canonicalAt('2026-11-22 10:00:00.123456+00')).toBe('2026-11-22T10:00:00.123456Z');
    expect(() => canonicalAt('2026-11-22 10:00:00.123456+01')).toThrow(/TimeZone UTC/);
    expect(() => canonicalAt('2026-11-22 10:00:00+01')).toThrow(/TimeZone UTC/);
  });
});
