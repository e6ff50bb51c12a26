/**
 * After a restart of the exchange on the same data directory, the doors know the recovered open
 * orders: status and cancel by client order id work on both doors, a partial fill's quantities and
 * average price survive, and a resend claims the order back so its fills reach the new session.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseClient } from "../../client/client.ts";
import { FixInitiator } from "../../gateway/fix/initiator.ts";
import { serve } from "../../app/serve.ts";
import { demoConfig, localDepth, secret } from "./support/harness.ts";
import { silentLogger } from "../../log/logger.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.each([0, 1])("workers %d", (workers) => {
test("recovered open orders answer status, cancel and fills on both doors after a restart; market data starts from the recovered book", async () => {
  const dir = mkdtempSync(join(tmpdir(), "bourse-restart-"));
  dirs.push(dir);
  const start = () => serve({ dataDir: dir, config: demoConfig(), workers, port: 0, host: "127.0.0.1", log: silentLogger });
  let running = await start();
  const alice = await BourseClient.connect(running.gateway.url);
  await alice.login("alice-demo", secret("alice"));
  const bob = await BourseClient.connect(running.gateway.url);
  await bob.login("bob-demo", secret("bob"));
  await alice.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2010", qty: "2", clientOrderId: "keep-1" });
  await alice.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2020", qty: "1", clientOrderId: "keep-2" });
  await alice.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2030", qty: "1", clientOrderId: "keep-3" });
  // Bob takes 0.5 at 2010 and 0.25 more: keep-1 is partly filled at one price.
  await bob.placeOrder({ symbol: "ETH-USD", side: "buy", price: "2010", qty: "0.5", tif: "IOC" });
  await bob.placeOrder({ symbol: "ETH-USD", side: "buy", price: "2010", qty: "0.25", tif: "IOC" });
  const viewer = await BourseClient.connect(running.gateway.url);
  const before = (await viewer.book("ETH-USD").next()).value!;
  const depthBefore = JSON.stringify(localDepth(before));
  viewer.close();
  alice.close();
  bob.close();
  await running.close();

  running = await start();
  const viewer2 = await BourseClient.connect(running.gateway.url);
  const after = (await viewer2.book("ETH-USD").next()).value!;
  expect(JSON.stringify(localDepth(after))).toBe(depthBefore);
  expect(localDepth(after).asks.length).toBe(3);
  viewer2.close();
  const a2 = await BourseClient.connect(running.gateway.url);
  await a2.login("alice-demo", secret("alice"));
  const st = await a2.orderStatus("ETH-USD", { clientOrderId: "keep-1" });
  expect({ filled: st.filledLots, leaves: st.leavesLots, qty: st.qtyLots, cid: st.clientOrderId }).toEqual({ filled: 75, leaves: 125, qty: 200, cid: "keep-1" });
  const cancelled = await a2.cancel("ETH-USD", { clientOrderId: "keep-2" });
  expect(cancelled.leavesLots).toBe(0);

  // FIX: status by ClOrdID, with the exact average price of the fills before the restart.
  const fix = await FixInitiator.connect({ host: "127.0.0.1", port: running.fix!.port, senderCompId: "RESTART-A" });
  await fix.logon("alice-demo", secret("alice"), [[141, "Y"]]);
  fix.send([[35, "H"], [11, "keep-1"], [55, "ETH-USD"], [54, "2"]]);
  const er = await fix.next("8");
  expect(Object.fromEntries([39, 14, 151, 6].map((t) => [t, er.get(t)]))).toEqual({ 39: "1", 14: "0.75", 151: "1.25", 6: "2010" });

  // A resend of keep-3 claims it for this WebSocket session: its fill arrives here.
  const again = await a2.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2030", qty: "1", clientOrderId: "keep-3" });
  expect(again.type).toBe(0x56);
  const b2 = await BourseClient.connect(running.gateway.url);
  await b2.login("bob-demo", secret("bob"));
  // Sweep keep-1's remainder first (price-time), then keep-3.
  await b2.placeOrder({ symbol: "ETH-USD", side: "buy", price: "2030", qty: "2.25", tif: "IOC" });
  const fill = await a2.nextReport((r) => r.type === 0x52 && r.clientOrderId === "keep-3");
  expect(fill.clientOrderId).toBe("keep-3");
  await fix.logout();
  a2.close();
  b2.close();
  await running.close();
});
});
