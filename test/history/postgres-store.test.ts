/**
 * The PostgreSQL history store (history/postgres-store.ts) keeps the store contract, in a throwaway
 * database on the local server (BOURSE_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres)
 * with a fresh schema per test. CI guarantees the server, so an unreachable one fails the file
 * rather than skipping it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { PostgresHistoryStore } from "../../history/postgres-store.ts";
import { POSTGRES_MIGRATIONS } from "../../history/postgres-schema.ts";
import { CashKind, RowBatch, type CashRow } from "../../history/rows.ts";
import { fixture, storeContract, T } from "./store-contract.ts";

const ADMIN_URL = process.env.BOURSE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const DB = `bourse_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
const testUrl = () => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${DB}`;
  return u.toString();
};

let admin: SQL;
let schemas = 0;

beforeAll(async () => {
  admin = new SQL(ADMIN_URL, { max: 1, connectionTimeout: 5 });
  try {
    await admin.unsafe(`CREATE DATABASE ${DB}`);
  } catch (e) {
    throw new Error(`PostgreSQL is not reachable at ${ADMIN_URL} (set BOURSE_TEST_PG_URL, or start the server: .ci/run does): ${(e as Error).message}`, { cause: e });
  }
});

afterAll(async () => {
  await admin.unsafe(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin.close();
});

storeContract(
  "postgres",
  () => PostgresHistoryStore.open(testUrl(), { schema: `contract_${++schemas}` }),
  async (s) => {
    await s.sql.unsafe(`DROP SCHEMA ${s.schema} CASCADE`);
    await s.close();
  },
);

describe("PostgresHistoryStore", () => {
  test("two stores opening the same schema at once apply each migration once", async () => {
    const [a, b] = await Promise.all([PostgresHistoryStore.open(testUrl(), { schema: "race" }), PostgresHistoryStore.open(testUrl(), { schema: "race" })]);
    try {
      const rows = (await a.sql.unsafe("SELECT version FROM schema_migrations ORDER BY version")) as { version: number }[];
      expect(rows.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((_, i) => i + 1));
      await a.write(fixture());
      expect(await b.progress()).toEqual({ seq: 10, time: T(10) });
      // Opening again finds nothing to do and keeps the rows.
      const c = await PostgresHistoryStore.open(testUrl(), { schema: "race" });
      expect((await c.counts()).cash).toBe(fixture().cash.length);
      await c.close();
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("money columns are NUMERIC and id/time columns int8", async () => {
    const s = await PostgresHistoryStore.open(testUrl(), { schema: "types" });
    try {
      const rows = (await s.sql.unsafe("SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'types'")) as { table_name: string; column_name: string; data_type: string }[];
      const type = (t: string, c: string) => rows.find((r) => r.table_name === t && r.column_name === c)?.data_type;
      for (const [t, c] of [["executions", "notional"], ["executions", "fee"], ["cash", "amount"], ["cash", "balance"], ["positions", "cost"], ["positions", "realized"]]) expect(type(t!, c!)).toBe("numeric");
      for (const [t, c] of [["orders", "order_id"], ["orders", "time"], ["executions", "price"], ["executions", "qty"], ["cash", "seq"], ["candles", "start"], ["progress", "seq"]]) expect(type(t!, c!)).toBe("bigint");
    } finally {
      await s.close();
    }
  });

  test("a batch larger than one INSERT's chunk goes in whole, in one transaction", async () => {
    const s = await PostgresHistoryStore.open(testUrl(), { schema: "large" });
    try {
      const b = new RowBatch();
      const N = 25_000;
      for (let i = 0; i < N; i++) b.cash.push({ seq: 1 + (i >> 4), idx: 0, n: i & 15, time: T(1 + (i >> 4)), account: 7, currency: 1, kind: CashKind.DEPOSIT, amount: 1n, balance: BigInt(i + 1) * 10n ** 20n, tradeId: 0, ref: "" } satisfies CashRow);
      b.toSeq = 1 + ((N - 1) >> 4);
      b.toTime = T(b.toSeq);
      await s.write(b);
      expect((await s.counts()).cash).toBe(N);
      expect(await s.balancesAt(7, T(99_999))).toEqual([{ currency: 1, balance: BigInt(N) * 10n ** 20n }]);
      let seen = 0;
      for await (const _ of s.streamCash(7, {}, 4000)) seen++;
      expect(seen).toBe(N);
    } finally {
      await s.sql.unsafe("DROP SCHEMA large CASCADE");
      await s.close();
    }
  });
});
