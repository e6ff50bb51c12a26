/**
 * The history store in the running exchange (app/exchange.ts): the writer follows what is traded,
 * and after a restart a finished order still answers its status on both doors (from the store,
 * not UNKNOWN_ORDER) — to its own account only — and candle history is still there.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseExchange } from "../../app/exchange.ts";
import { BourseClient } from "../../client/client.ts";
import { FixInitiator } from "../../gateway/fix/initiator.ts";
import { silentLogger } from "../../log/logger.ts";
import { OrderState } from "../../engine/order-state.ts";
import { demoConfig, secret } from "../gateway/support/harness.ts";
import { copyFileSync, existsSync } from "node:fs";
import { historyRebuild } from "../../cli/history-tools.ts";
import { SqliteHistoryStore } from "../../history/sqlite-store.ts";
import { memoryLogger } from "../../log/memory.ts";
import { dumpStore } from "./dump-store.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function login(url: string, name: string): Promise<BourseClient> {
  const c = await BourseClient.connect(url);
  await c.login(`${name}-demo`, secret(name));
  return c;
}

describe.each([0, 1])("workers %d", (workers) => {
  test("a finished order answers its status after a restart, on both doors and to its owner only; candles survive", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bourse-history-app-"));
    dirs.push(dir);
    const start = () => new BourseExchange({ dataDir: dir, config: demoConfig(), workers, port: 0, fixPort: 0, host: "127.0.0.1", log: silentLogger }).start();
    let x = await start();
    expect(x.parts.map((p) => p.name)).toContain("history");
    let alice = await login(x.gateway!.url, "alice");
    let bob = await login(x.gateway!.url, "bob");
    await alice.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2010", qty: "1", clientOrderId: "done-1" });
    const fill = await bob.placeOrder({ symbol: "ETH-USD", side: "buy", price: "2010", qty: "1", tif: "IOC", clientOrderId: "bob-1" });
    expect(fill.type).toBeDefined();
    // The store follows: wait until it holds everything journaled.
    expect(await x.historyWriter!.reach(x.engine.host.lastSeq)).toBe(true);
    const rec = await x.history!.orderByClientId(1, "done-1");
    expect(rec?.order.state).toBe(OrderState.FILLED);
    alice.close();
    bob.close();
    await x.stop();

    x = await start();
    alice = await login(x.gateway!.url, "alice");
    const st = await alice.orderStatus("ETH-USD", { clientOrderId: "done-1" });
    expect({ state: st.state, filled: st.filledLots, leaves: st.leavesLots, cid: st.clientOrderId }).toEqual({ state: OrderState.FILLED, filled: 100, leaves: 0, cid: "done-1" });
    // Bob asking for alice's order by its id: as if it did not exist.
    bob = await login(x.gateway!.url, "bob");
    await expect(bob.orderStatus("ETH-USD", { orderId: st.orderId })).rejects.toThrow(/UNKNOWN_ORDER/);
    // FIX: OrderStatusRequest by ClOrdID → an ExecutionReport with OrdStatus 2 (filled).
    const fix = await FixInitiator.connect({ host: "127.0.0.1", port: x.fix!.port, senderCompId: `HIST-A${workers}` });
    await fix.logon("alice-demo", secret("alice"));
    fix.send([[35, "H"], [11, "done-1"], [55, "ETH-USD"], [54, "2"]]);
    const er = await fix.next("8");
    expect(Object.fromEntries([39, 14, 151, 6].map((t) => [t, er.get(t)]))).toEqual({ 39: "2", 14: "1.00", 151: "0.00", 6: "2010" });
    await fix.logout();
    // The candle of the trade before the restart is what a new candle subscriber sees first.
    const candle = (await alice.candles("ETH-USD", "1d").next()).value!;
    expect(candle).toMatchObject({ open: "2010.00", close: "2010.00", volumeLots: 100, trades: 1 });
    alice.close();
    bob.close();
    await x.stop();
  });
});

const symbols = [1, 2];
const accounts = [0, 1, 2, 3, 4];

test("the live store, written while clients traded, equals one rebuilt from the journal, row for row", async () => {
  const dir = mkdtempSync(join(tmpdir(), "bourse-history-live-"));
  dirs.push(dir);
  const x = await new BourseExchange({ dataDir: dir, config: demoConfig(), workers: 0, port: 0, fixPort: 0, host: "127.0.0.1", log: silentLogger }).start();
  const alice = await login(x.gateway!.url, "alice");
  const bob = await login(x.gateway!.url, "bob");
  for (let i = 0; i < 60; i++) {
    await alice.placeOrder({ symbol: "ETH-USD", side: "sell", price: String(2000 + (i % 7)), qty: "0.5", clientOrderId: `a-${i}` });
    await bob.placeOrder({ symbol: "ETH-USD", side: "buy", price: String(2000 + (i % 5)), qty: "0.3", tif: i % 2 ? "IOC" : "GTC" });
    if (i % 10 === 9) await alice.cancel("ETH-USD", { clientOrderId: `a-${i}` }).catch(() => {});
  }
  alice.close();
  bob.close();
  await x.stop();
  const rebuilt = join(dir, "rebuilt.db");
  await historyRebuild(dir, demoConfig(), rebuilt, () => {});
  const live = new SqliteHistoryStore(join(dir, "history.db"), { readonly: true });
  const again = new SqliteHistoryStore(rebuilt, { readonly: true });
  const a = await dumpStore(live, symbols, accounts);
  expect(a.counts.executions).toBeGreaterThan(40);
  expect(a.progress.seq).toBe(x.engine.host.lastSeq);
  expect(await dumpStore(again, symbols, accounts)).toEqual(a);
  await live.close();
  await again.close();
});

test("a store from another data directory: the exchange trades on without history, says why, and is not ready", async () => {
  const other = mkdtempSync(join(tmpdir(), "bourse-history-other-"));
  const dir = mkdtempSync(join(tmpdir(), "bourse-history-mismatch-"));
  dirs.push(other, dir);
  // A longer journal elsewhere: its store is ahead of this directory's journal.
  let x = await new BourseExchange({ dataDir: other, config: demoConfig(), workers: 0, port: 0, fixPort: 0, host: "127.0.0.1", log: silentLogger }).start();
  const c = await login(x.gateway!.url, "alice");
  for (let i = 0; i < 20; i++) await c.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2100", qty: "0.1" });
  c.close();
  await x.stop();
  for (const f of ["history.db", "history.db-wal"]) if (existsSync(join(other, f))) copyFileSync(join(other, f), join(dir, f));
  const mem = memoryLogger();
  x = await new BourseExchange({ dataDir: dir, config: demoConfig(), workers: 0, port: 0, fixPort: 0, host: "127.0.0.1", log: mem.log }).start();
  expect(x.historyWriter).toBeNull();
  expect(mem.lines().some((l) => /running without history/.test(l))).toBe(true);
  expect(mem.lines().some((l) => /another data directory/.test(l))).toBe(true);
  // Orders are still taken (below), but an orchestrator is told the history writer is not alive.
  const ready = await fetch(`http://127.0.0.1:${x.gateway!.server.port}/ready`);
  expect(ready.status).toBe(503);
  expect(await ready.json()).toMatchObject({ status: "not ready", reason: expect.stringMatching(/history writer has failed.*history rebuild/), checks: { engine: "running", journal: "writable", history: "failed" } });
  expect((await fetch(`http://127.0.0.1:${x.gateway!.server.port}/health`)).status).toBe(200);
  const alice = await login(x.gateway!.url, "alice");
  expect((await alice.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2100", qty: "0.1" })).orderId).toBeGreaterThan(0);
  alice.close();
  await x.stop();
});
