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
