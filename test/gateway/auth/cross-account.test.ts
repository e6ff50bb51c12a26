/**
 * A key sees and touches only its own account's orders, on every door: alice's key cancelling,
 * amending or asking the status of bob's order — by bob's order id, or by his client order id —
 * is answered as if the order did not exist (UNKNOWN_ORDER), and bob's order is untouched.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { BourseClient } from "../../../client/client.ts";
import { FixInitiator } from "../../../gateway/fix/initiator.ts";
import { demoConfig, type Harness, secret, startServer } from "../support/harness.ts";

let h: Harness;
let bob: BourseClient;
let bobsOrderId = 0;
beforeAll(async () => {
  h = await startServer(demoConfig());
  bob = await BourseClient.connect(h.url);
  await bob.login("bob-demo", secret("bob"));
  bobsOrderId = (await bob.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2100", qty: "1", clientOrderId: "bobs-order" })).orderId;
});
afterAll(async () => {
  bob.close();
  await h.close();
});

const untouched = async () => {
  const st = await bob.orderStatus("ETH-USD", { orderId: bobsOrderId });
  expect({ leaves: st.leavesLots, price: st.price }).toEqual({ leaves: 100, price: "2100.00" });
};

test("WebSocket: alice cannot cancel, amend or read bob's order, by order id or by client order id", async () => {
  const alice = await BourseClient.connect(h.url);
  await alice.login("alice-demo", secret("alice"));
  for (const ref of [{ orderId: bobsOrderId }, { clientOrderId: "bobs-order" }]) {
    await expect(alice.cancel("ETH-USD", ref)).rejects.toMatchObject({ reasonName: "UNKNOWN_ORDER" });
    await expect(alice.amend("ETH-USD", ref, { qty: "0.5" })).rejects.toMatchObject({ reasonName: "UNKNOWN_ORDER" });
    await expect(alice.orderStatus("ETH-USD", ref)).rejects.toMatchObject({ reasonName: "UNKNOWN_ORDER" });
  }
  await untouched();
  alice.close();
});

test("FIX: alice's cancel, replace and status request for bob's order by OrderID or OrigClOrdID are refused as unknown", async () => {
  const f = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: "ALICE-XACCT" });
  await f.logon("alice-demo", secret("alice"), [[141, "Y"]]);
  for (const ref of [[37, String(bobsOrderId)], [41, "bobs-order"]] as [number, string][]) {
    f.send([[35, "F"], [11, `c-${ref[0]}`], ref, [55, "ETH-USD"], [54, "2"]]);
    const cancel = await f.next("9");
    expect(cancel.get(102)).toBe("1"); // CxlRejReason 1: unknown order
    f.send([[35, "G"], [11, `r-${ref[0]}`], ref, [55, "ETH-USD"], [54, "2"], [38, "0.5"], [40, "2"], [44, "2100"]]);
    expect((await f.next("9")).get(102)).toBe("1");
  }
  f.send([[35, "H"], [37, String(bobsOrderId)], [55, "ETH-USD"], [54, "2"]]);
  const st = await f.next("8");
  expect({ 39: st.get(39), 103: st.get(103) }).toEqual({ 39: "8", 103: "5" });
  await untouched();
  await f.logout();
});

test("FIX: a status request by OrderID alone, for an own order placed without a client order id or for none, is answered and the session stays up", async () => {
  const ws = await BourseClient.connect(h.url);
  await ws.login("carol-demo", secret("carol"));
  const placed = await ws.placeOrder({ symbol: "ETH-USD", side: "buy", price: "1900", qty: "0.1" });
  const f = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: "CAROL-BYID" });
  await f.logon("carol-demo", secret("carol"), [[141, "Y"]]);
  f.send([[35, "H"], [37, String(placed.orderId)], [55, "ETH-USD"], [54, "1"]]);
  const st = await f.next("8");
  expect({ 37: st.get(37), 11: st.get(11), 39: st.get(39) }).toEqual({ 37: String(placed.orderId), 11: "NONE", 39: "0" });
  f.send([[35, "H"], [37, "999999999"], [55, "ETH-USD"], [54, "1"]]);
  expect((await f.next("8")).get(39)).toBe("8");
  await f.logout();
  await ws.cancel("ETH-USD", { orderId: placed.orderId });
  ws.close();
});
