/**
 * The PostgreSQL store through a server restart: a write while the server is gone rejects with a
 * clear error, and once it is back the same store writes again (Bun's pool reconnects), the failed
 * batch written again, with nothing lost or doubled. The test runs its own throwaway server on a
 * free port (never the shared one), killed with `-m immediate` like a crash.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { HistoryStoreUnavailable, PostgresHistoryStore } from "../../history/postgres-store.ts";
import { CashKind, RowBatch } from "../../history/rows.ts";
import { OwnPostgres } from "./own-postgres.ts";
import { T } from "./store-contract.ts";

let pg: OwnPostgres;
const start = () => pg.start();
const stop = () => pg.stop();

/** Seqs from..to, each one deposit of 10^25 to account 7: the balance tells if any seq went in twice or not at all. */
function deposits(from: number, to: number): RowBatch {
  const b = new RowBatch();
  for (let seq = from; seq <= to; seq++) {
    b.cash.push({ seq, idx: 0, n: 0, time: T(seq), account: 7, currency: 1, kind: CashKind.DEPOSIT, amount: 10n ** 25n, balance: BigInt(seq) * 10n ** 25n, tradeId: 0, ref: "" });
    b.admin.push({ seq, idx: 0, time: T(seq), commandType: 40, account: 7, symbol: 0, actor: 2, session: 0, detail: "{}" });
  }
  b.toSeq = to;
  b.toTime = T(to);
  return b;
}

let store: PostgresHistoryStore | undefined;

beforeAll(async () => {
  pg = await OwnPostgres.create();
});

afterAll(async () => {
  await store?.close().catch(() => {});
  pg.remove();
});

test("a write while the server is down rejects; after a restart the store writes again, nothing lost or doubled", async () => {
  store = await PostgresHistoryStore.open(pg.url);
  await store.write(deposits(1, 100));
  await store.write(deposits(101, 200));
  expect(await store.progress()).toEqual({ seq: 200, time: T(200) });

  stop();
  const failed = deposits(201, 300);
  const err = await store.write(failed).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HistoryStoreUnavailable);
  expect((err as Error).message).toMatch(/^history store \(postgres\): writing through seq 300 failed \(ERR_POSTGRES_CONNECTION_\w+\)/);
  // Still down: a second try fails the same way, it does not hang.
  await expect(store.write(failed)).rejects.toBeInstanceOf(HistoryStoreUnavailable);

  start();
  await store.write(failed);
  await store.write(deposits(301, 400));
  // A batch that overlaps what is stored (the writer retrying after an unknown commit) doubles nothing.
  await store.write(deposits(250, 400));
  expect(await store.progress()).toEqual({ seq: 400, time: T(400) });
  const counts = await store.counts();
  expect(counts.cash).toBe(400);
  expect(counts.admin).toBe(400);
  const [sum] = (await store.sql.unsafe("SELECT sum(amount) AS total FROM cash")) as { total: string }[];
  expect(BigInt(sum!.total)).toBe(400n * 10n ** 25n);
  expect(await store.balancesAt(7, T(401))).toEqual([{ currency: 1, balance: 400n * 10n ** 25n }]);

  // A restart while the store sat idle is not the writer's problem: its pool's dead connections cost a retry, not an error.
  stop();
  start();
  await store.write(deposits(401, 500));
  expect(await store.progress()).toEqual({ seq: 500, time: T(500) });
  expect((await store.counts()).cash).toBe(500);
}, 20_000);
