/**
 * API key scopes, enforced at each door (gateway/auth/keys.ts SCOPES): a `read` key may ask for its
 * orders' status but not place, cancel, amend or mass-cancel — the WebSocket door answers
 * NOT_PERMITTED, the FIX door a BusinessMessageReject with reason 6 (not authorized) — and nothing
 * reaches the engine. A key configured without scopes reads and trades; an unknown scope is a
 * configuration error.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { OperatorError } from "../../../actors/operator-error.ts";
import { BourseClient } from "../../../client/client.ts";
import { ApiKeys } from "../../../gateway/auth/keys.ts";
import { FixInitiator } from "../../../gateway/fix/initiator.ts";
import { ErrorCode } from "../../../protocol/index.ts";
import { demoConfig, type Harness, secret, startServer } from "../support/harness.ts";

const READ_SECRET = "dave-read-only-secret-0123456789";
let h: Harness;
beforeAll(async () => {
  h = await startServer(demoConfig((c) => c.accounts!.find((a) => a.name === "dave")!.apiKeys!.push({ id: "dave-read", secret: READ_SECRET, scopes: ["read"] })));
});
afterAll(() => h.close());

test("WebSocket: a read key is refused every order-changing request with NOT_PERMITTED; status is answered; nothing is journaled", async () => {
  const trader = await BourseClient.connect(h.url);
  await trader.login("dave-demo", secret("dave"));
  const placed = await trader.placeOrder({ symbol: "ETH-USD", side: "buy", price: "1990", qty: "0.1", clientOrderId: "scoped-1" });
  const reader = await BourseClient.connect(h.url);
  await reader.login("dave-read", READ_SECRET);
  const seq = h.runtime.lastSeq;
  const notPermitted = { code: ErrorCode.NOT_PERMITTED };
  await expect(reader.placeOrder({ symbol: "ETH-USD", side: "buy", price: "1990", qty: "0.1" })).rejects.toMatchObject(notPermitted);
  await expect(reader.cancel("ETH-USD", { clientOrderId: "scoped-1" })).rejects.toMatchObject(notPermitted);
  await expect(reader.amend("ETH-USD", { clientOrderId: "scoped-1" }, { qty: "0.2" })).rejects.toMatchObject(notPermitted);
  await expect(reader.massCancel()).rejects.toMatchObject(notPermitted);
  expect(h.runtime.lastSeq).toBe(seq);
  // Reading its account's orders is what the key is for.
  expect((await reader.orderStatus("ETH-USD", { clientOrderId: "scoped-1" })).orderId).toBe(placed.orderId);
  await trader.cancel("ETH-USD", { clientOrderId: "scoped-1" });
  trader.close();
  reader.close();
});

test("FIX: a read key's NewOrderSingle, cancel, replace and mass cancel get BusinessMessageReject 380=6; its status request an ExecutionReport", async () => {
  const f = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: "DAVE-READ" });
  await f.logon("dave-read", READ_SECRET, [[141, "Y"]]);
  const seq = h.runtime.lastSeq;
  const sent: [number, string][][] = [
    [[35, "D"], [11, "r-1"], [55, "ETH-USD"], [54, "1"], [38, "0.1"], [40, "2"], [44, "1990"]],
    [[35, "F"], [11, "r-2"], [41, "r-1"], [55, "ETH-USD"], [54, "1"]],
    [[35, "G"], [11, "r-3"], [41, "r-1"], [55, "ETH-USD"], [54, "1"], [38, "0.2"], [40, "2"], [44, "1990"]],
    [[35, "q"], [11, "r-4"], [530, "7"]],
  ];
  for (const m of sent) {
    f.send(m);
    const r = await f.next("j");
    expect({ 372: r.get(372), 380: r.get(380), 58: r.get(58) }).toEqual({ 372: m[0]![1], 380: "6", 58: "this API key has no trade scope" });
  }
  expect(h.runtime.lastSeq).toBe(seq);
  f.send([[35, "H"], [11, "nope"], [55, "ETH-USD"], [54, "1"]]);
  expect((await f.next("8")).get(39)).toBe("8");
  await f.logout();
});

test("scopes in the configuration: a key without them reads and trades; an unknown or empty list is refused", () => {
  expect(new ApiKeys([{ id: "k", account: 1, secret: "s".repeat(16) }]).get("k")!.scopes).toBeUndefined();
  expect(() => new ApiKeys([{ id: "k", account: 1, secret: "s".repeat(16), scopes: ["admin" as "read"] }])).toThrow(OperatorError);
  expect(() => new ApiKeys([{ id: "k", account: 1, secret: "s".repeat(16), scopes: [] }])).toThrow(OperatorError);
});
