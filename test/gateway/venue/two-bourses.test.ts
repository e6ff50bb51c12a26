/**
 * Two Bourse processes over FIX (docs/venues.md): a broker whose BTC-USD routes to a venue that is
 * another `bourse serve`, where the broker logs on as carol, through a proxy that can lose the
 * venue's bytes. A broker client's order crosses a venue client's resting order there, and the fill
 * comes back and settles at the broker. Then the link fails with an order in flight, twice:
 *   - the venue's answers are lost on the way: the broker's heartbeat check drops the link, the order
 *     goes PENDING_UNKNOWN and its client is told; on reconnect the venue's resend brings the fill;
 *   - the venue freezes (SIGSTOP) and, thawed, finds the session gone before it could answer: its
 *     reports never existed, its status answer says filled, and nothing here settles on that word
 *     alone — the order stays PENDING_UNKNOWN and a break is raised; an operator settles it from
 *     the venue's record (a journaled correction the engine checks like a venue's report).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseClient, type Report } from "../../../client/client.ts";
import { OrderState } from "../../../engine/order-state.ts";
import { readOperatorToken } from "../../../gateway/auth/operator-token.ts";
import { bourseServe, DEMO_CONFIG, killAll } from "../../cli/support.ts";
import { demoConfig, type Harness, secret, startServer } from "../support/harness.ts";
import { afterDelivery } from "./after-delivery.ts";
import { LinkProxy } from "./link-proxy.ts";

const STREET = 9;
const dir = mkdtempSync(join(tmpdir(), "bourse-venue-proc-"));
let venueProc: ReturnType<typeof bourseServe>;
let venueUrl = "";
let broker: Harness;
let bob: BourseClient;
let alice: BourseClient;
let proxy: LinkProxy;

beforeAll(async () => {
  venueProc = bourseServe(["--config", DEMO_CONFIG, "--data", join(dir, "venue"), "--port", "0", "--fix-port", "0"]);
  const m = await venueProc.waitFor(/"msg":"running".*"websocket":"(ws:[^"]+)".*"fix":"([^"]+):(\d+)"/);
  venueUrl = m[1]!;
  const fixPort = Number(m[3]);
  bob = await BourseClient.connect(venueUrl);
  await bob.login("bob-demo", secret("bob"));
  // Liquidity at the venue: bob sells 1 BTC at 29,990.
  await bob.placeOrder({ symbol: "BTC-USD", side: "sell", type: "limit", price: "29990", qty: "1" });

  proxy = new LinkProxy(fixPort);
  process.env.BOURSE_TEST_VENUE_PASSWORD = secret("carol");
  broker = await startServer(
    demoConfig((c) => {
      c.exchange.instruments.find((i) => i.symbol === "BTC-USD")!.venue = "V";
      c.accounts!.push({ id: STREET, name: "street-V", tier: 2 });
      c.venues = { V: { account: STREET, host: "127.0.0.1", port: proxy.port, senderCompId: "BROKER", targetCompId: "BOURSE", username: "carol-demo", passwordEnv: "BOURSE_TEST_VENUE_PASSWORD", heartBtIntSec: 1, reconnectMs: 100, maxReconnectMs: 500 } };
    }),
  );
  alice = await BourseClient.connect(broker.url);
  await alice.login("alice-demo", secret("alice"));
  await afterDelivery(broker.runtime, () => broker.runtime.exchange.routing.up.has(STREET));
}, 60_000);

afterAll(async () => {
  await alice?.close();
  await bob?.close();
  await broker?.close();
  proxy?.stop();
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

async function nextReport(c: BourseClient, pick: (r: Report) => boolean): Promise<Report> {
  for await (const r of c.reports()) if (pick(r)) return r;
  throw new Error("closed");
}

test("an order routed to the other Bourse fills there against its client's order, and settles here", async () => {
  const ack = await alice.placeOrder({ symbol: "BTC-USD", side: "buy", type: "limit", price: "30000", qty: "0.4", clientOrderId: "two-1" });
  const fill = await nextReport(alice, (r) => "cumQty" in r && r.orderId === ack.orderId);
  expect(fill).toMatchObject({ price: "29990.0", qty: "0.400", state: OrderState.FILLED });
  const ex = broker.runtime.exchange;
  expect(ex.ledger.accounts.get(1)!.positionOf(1).qty).toBeGreaterThanOrEqual(400);
  expect(ex.ledger.accounts.get(STREET)!.positionOf(1).qty).toBe(-400);
}, 30_000);

const pendingUnknown = (orderId: number) => (r: Report) => "filled" in r && r.orderId === orderId && r.state === OrderState.PENDING_UNKNOWN;

test("the venue's answers are lost on the way: PENDING_UNKNOWN, told; on reconnect its resend brings the fill, FILLED", async () => {
  proxy.mute();
  let orderId = 0;
  try {
    const ack = await alice.placeOrder({ symbol: "BTC-USD", side: "buy", type: "limit", price: "30000", qty: "0.2", clientOrderId: "two-2" });
    orderId = ack.orderId;
    expect(await nextReport(alice, pendingUnknown(orderId))).toMatchObject({ requestId: 0 });
  } finally {
    proxy.unmute();
  }
  const filled = await nextReport(alice, (r) => "cumQty" in r && r.orderId === orderId);
  expect(filled).toMatchObject({ price: "29990.0", qty: "0.200", state: OrderState.FILLED });
  expect(broker.runtime.exchange.ledger.accounts.get(STREET)!.positionOf(1).qty).toBe(-600);
}, 60_000);

test("the venue freezes and loses the session before answering: its status says filled, nothing settles on that alone, a break is raised; the operator settles it from the venue's record, once", async () => {
  const before = broker.runtime.exchange.ledger.accounts.get(1)!.cashOf(1).balance;
  venueProc.child.kill("SIGSTOP");
  let orderId = 0;
  try {
    const ack = await alice.placeOrder({ symbol: "BTC-USD", side: "buy", type: "limit", price: "30000", qty: "0.1", clientOrderId: "two-3" });
    orderId = ack.orderId;
    await nextReport(alice, pendingUnknown(orderId));
  } finally {
    venueProc.child.kill("SIGCONT");
  }
  await afterDelivery(broker.runtime, () => broker.logs.some((l) => l.includes("venue break") && l.includes(`orderId=${orderId}`)));
  const line = broker.logs.find((l) => l.includes("venue break") && l.includes(`orderId=${orderId}`))!;
  expect(line).toStartWith("ERROR ");
  expect(line).toContain("VENUE_STATUS_UNKNOWN");
  const o = broker.runtime.exchange.order(orderId)!;
  expect([o.state, o.filled]).toEqual([OrderState.PENDING_UNKNOWN, 0]);
  expect(broker.runtime.exchange.ledger.accounts.get(1)!.cashOf(1).balance).toBe(before);

  // The operator settles it from the venue's own record (its public trades stand in for the drop copy here).
  const trades = (await (await fetch(`${venueUrl.replace("ws:", "http:").replace(/\/ws$/, "")}/api/v1/instruments/BTC-USD/trades`)).json()) as { trades: { tradeId: number; price: string; qty: string }[] };
  const print = trades.trades.find((t) => t.qty === "0.100")!;
  const correct = (execId: string) =>
    fetch(`${broker.http}/api/v1/venues/V/orders/${orderId}/fills`, {
      method: "POST",
      headers: { authorization: `Bearer ${readOperatorToken(broker.dataDir)}`, "content-type": "application/json" },
      body: JSON.stringify({ symbol: "BTC-USD", execId, qty: print.qty, price: print.price }),
    });
  const r = await correct(`T-${print.tradeId}`);
  expect(r.status).toBe(200);
  expect(await r.json()).toMatchObject({ venue: "V", orderId, command: "fill" });
  const fill = await nextReport(alice, (x) => "cumQty" in x && x.orderId === orderId);
  expect(fill).toMatchObject({ state: OrderState.FILLED, qty: "0.100" });
  expect(broker.runtime.exchange.ledger.accounts.get(1)!.cashOf(1).balance < before).toBe(true);
  // The same record twice settles once.
  const again = await correct(`T-${print.tradeId}`);
  expect(again.status).toBe(400);
  expect(await again.json()).toMatchObject({ code: "VENUE_DUPLICATE_EXEC" });
}, 60_000);
