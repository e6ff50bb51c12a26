/**
 * The PostgreSQL store through a server restart: a write while the server is gone rejects with a
 * clear error, and once it is back the same store writes again (Bun's pool reconnects), the failed
 * batch written again, with nothing lost or doubled. The test runs its own throwaway server on a
 * free port (never the shared one), killed with `-m immediate` like a crash.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chownSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HistoryStoreUnavailable, PostgresHistoryStore } from "../../history/postgres-store.ts";
import { CashKind, RowBatch } from "../../history/rows.ts";
import { T } from "./store-contract.ts";

/** The newest installed server's programs (Debian's layout: /usr/lib/postgresql/<major>/bin). */
const BIN = `/usr/lib/postgresql/${readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a))[0]}/bin`;
const dir = mkdtempSync(join(tmpdir(), "bourse-pg-outage-"));
let port = 0;

/** initdb and postgres refuse to run as root: run them as the postgres user, in a directory it owns. */
function asPostgres(args: string[]): void {
  const cmd = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...args] : args;
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${args.join(" ")} exited ${r.exitCode}: ${r.stderr.toString()}${r.stdout.toString()}`);
}

const start = () => asPostgres([`${BIN}/pg_ctl`, "-D", join(dir, "data"), "-l", join(dir, "log"), "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, "-w", "start"]);
const stop = () => asPostgres([`${BIN}/pg_ctl`, "-D", join(dir, "data"), "-m", "immediate", "-w", "stop"]);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

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
  if (process.getuid?.() === 0) chownSync(dir, Number(Bun.spawnSync(["id", "-u", "postgres"]).stdout.toString().trim()), -1);
  asPostgres([`${BIN}/initdb`, "-D", join(dir, "data"), "-U", "postgres", "--auth=trust", "--no-sync"]);
  port = await freePort();
  start();
});

afterAll(async () => {
  await store?.close().catch(() => {});
  try {
    stop();
  } catch {
    // Already stopped by a failed test: nothing left to stop.
  }
  rmSync(dir, { recursive: true, force: true });
});

test("a write while the server is down rejects; after a restart the store writes again, nothing lost or doubled", async () => {
  store = await PostgresHistoryStore.open(`postgres://postgres@127.0.0.1:${port}/postgres`);
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
