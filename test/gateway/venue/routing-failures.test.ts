/**
 * Routing to a venue that fails on purpose (docs/venues.md), end to end: a client's order through
 * the broker's WebSocket door, the broker's FIX initiator, and a scripted venue (a FIX acceptor on
 * the same session layer) that answers, stays silent, drops the link, or sends fills that must not
 * settle. Each step the client is told; nothing is guessed; a bad fill leaves the account untouched.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { BourseClient, type Report } from "../../../client/client.ts";
import { OrderState } from "../../../engine/order-state.ts";
import { Reason } from "../../../engine/reasons.ts";
import { demoConfig, type Harness, secret, startServer } from "../support/harness.ts";
import { afterDelivery } from "./after-delivery.ts";
import { ScriptedVenue } from "./scripted-venue.ts";

const STREET = 9;
const BTC = 1;

let venue: ScriptedVenue | null = null;
let h: Harness | null = null;
let client: BourseClient | null = null;

afterEach(async () => {
  await client?.close();
  await h?.close();
  venue?.stop();
  client = h = venue = null;
});

async function broker(port: number): Promise<{ h: Harness; alice: BourseClient }> {
  h = await startServer(
    demoConfig((c) => {
      c.exchange.instruments.find((i) => i.symbol === "BTC-USD")!.venue = "V";
      c.accounts!.push({ id: STREET, name: "street-V", tier: 2 });
      c.venues = { V: { account: STREET, host: "127.0.0.1", port, senderCompId: "BROKER", targetCompId: "VENUE", heartBtIntSec: 1, reconnectMs: 50, maxReconnectMs: 200, marketData: false } };
    }),
  );
  client = await BourseClient.connect(h.url);
  await client.login("alice-demo", secret("alice"));
  return { h, alice: client };
}

/** A scripted venue and a broker logged on to it, the link's return journaled. */
async function connected(): Promise<{ h: Harness; alice: BourseClient; venue: ScriptedVenue }> {
  const v = (venue = new ScriptedVenue());
  const b = await broker(v.port);
  await v.loggedOn();
  await afterDelivery(b.h.runtime, () => b.h.runtime.exchange.routing.up.has(STREET));
  return { ...b, venue: v };
}

/** An account's USD (currency 1 of config/demo.json, in millionths). */
const usd = (h: Harness, account: number) => h.runtime.exchange.ledger.accounts.get(account)!.cashOf(1);

/** The next report matching `pick`, waiting as long as needed. */
async function nextReport<T extends Report>(c: BourseClient, pick: (r: Report) => boolean): Promise<T> {
  for await (const r of c.reports()) if (pick(r)) return r as T;
  throw new Error("connection closed before the report came");
}

/** An unsolicited ORDER_STATUS (a routed order's state at its venue) of `orderId` in `state`. */
const stateReport = (orderId: number, state: number) => (r: Report) => "filled" in r && r.orderId === orderId && r.state === state;

describe("a venue that answers", () => {
  test("the order goes out as a NewOrderSingle, the client hears PENDING, then NEW on the venue's ack, then the fill, settled against the street account", async () => {
    const { h, alice, venue } = await connected();
    const before = usd(h, 1).balance;
    const ack = await alice.placeOrder({ symbol: "BTC-USD", side: "buy", type: "limit", price: "30000", qty: "0.5", clientOrderId: "r-1" });
    expect(h.runtime.exchange.order(ack.orderId)!.state).toBe(OrderState.PENDING);
    const d = await venue.next("D");
    expect(d.get(11)).toBe(String(ack.orderId));
    expect([d.get(55), d.get(54), d.get(38), d.get(40), d.get(44)]).toEqual(["BTC-USD", "1", "0.500", "2", "30000.0"]);

    venue.report(String(ack.orderId), "0", "0", { symbol: "BTC-USD", side: "1", cum: "0", leaves: "0.5" });
    const accepted = await nextReport(alice, stateReport(ack.orderId, OrderState.NEW));
    expect(accepted).toMatchObject({ requestId: 0, state: OrderState.NEW });

    venue.report(String(ack.orderId), "F", "2", { symbol: "BTC-USD", side: "1", cum: "0.5", lastQty: "0.5", lastPx: "29990", execId: "EX-1" });
    const fill = await nextReport(alice, (r) => "cumQty" in r);
    expect(fill).toMatchObject({ orderId: ack.orderId, price: "29990.0", qty: "0.500", state: OrderState.FILLED });
    const paid = before - usd(h, 1).balance;
    expect(paid > 14_995_000_000n).toBe(true); // notional 14,995 USD plus the fee
    expect(h.runtime.exchange.ledger.accounts.get(STREET)!.positionOf(BTC).qty).toBe(-500);
  });
});

describe("the link drops after an order was sent and before an answer", () => {
  test("the order goes PENDING_UNKNOWN and the client is told; on reconnect a status request resolves it from the venue's word", async () => {
    const { h, alice, venue } = await connected();
    const a = await alice.placeOrder({ symbol: "BTC-USD", side: "buy", type: "limit", price: "30000", qty: "0.1", clientOrderId: "u-1" });
    const b = await alice.placeOrder({ symbol: "BTC-USD", side: "buy", type: "limit", price: "30000", qty: "0.2", clientOrderId: "u-2" });
    const taken = new Set<import("../../../gateway/fix/message.ts").FixMessage>();
    await venue.next("D", taken);
    await venue.next("D", taken);
    venue.drop();

    const unknownA = await nextReport(alice, stateReport(a.orderId, OrderState.PENDING_UNKNOWN));
    expect(unknownA).toMatchObject({ requestId: 0 });
    await nextReport(alice, stateReport(b.orderId, OrderState.PENDING_UNKNOWN));
    // Refused meanwhile, with a reason: the venue cannot be asked to cancel.
    await expect(alice.cancel("BTC-USD", { orderId: a.orderId })).rejects.toThrow(/VENUE_UNAVAILABLE/);
    // Local instruments trade on.
    await expect(alice.placeOrder({ symbol: "ETH-USD", side: "buy", type: "limit", price: "1990", qty: "0.1" })).resolves.toMatchObject({ symbol: "ETH-USD" });

    // Reconnected: the broker asks where each order stands.
    const statusA = await venue.next("H", taken);
    const statusB = await venue.next("H", taken);
    expect(new Set([statusA.get(11), statusB.get(11)])).toEqual(new Set([String(a.orderId), String(b.orderId)]));
    // The venue has the first (open) and never got the second.
    venue.report(String(a.orderId), "I", "0", { symbol: "BTC-USD", side: "1", cum: "0", leaves: "0.1" });
    venue.send([[35, "8"], [37, "NONE"], [11, String(b.orderId)], [17, "S-2"], [150, "I"], [39, "8"], [103, "5"], [55, "BTC-USD"], [54, "1"], [151, "0"], [14, "0"], [6, "0"], [58, "unknown order"]]);
    await nextReport(alice, stateReport(a.orderId, OrderState.NEW));
    const gone = await nextReport(alice, (r) => "cancelledQty" in r && r.orderId === b.orderId);
    expect(gone).toMatchObject({ state: OrderState.REJECTED, reason: Reason.VENUE_REJECTED });
    expect(usd(h, 1).reserved).toBeGreaterThan(0n); // a's reservation stays: it is open at the venue
  });
});

describe("a venue's fill that must not settle is a break: refused, the account untouched", () => {
  test("unknown order, duplicate ExecID, over-fill, price outside the limit", async () => {
    const { h, alice, venue } = await connected();
    const ack = await alice.placeOrder({ symbol: "BTC-USD", side: "buy", type: "limit", price: "30000", qty: "1", clientOrderId: "b-1" });
    await venue.next("D");
    const id = String(ack.orderId);
    venue.report(id, "F", "1", { symbol: "BTC-USD", side: "1", cum: "0.4", lastQty: "0.4", lastPx: "30000", execId: "G-1", leaves: "0.6" });
    await nextReport(alice, (r) => "cumQty" in r);
    const settled = usd(h, 1).balance;

    venue.report("424242", "F", "1", { symbol: "BTC-USD", side: "1", cum: "0.1", lastQty: "0.1", lastPx: "30000", execId: "G-2" });
    venue.report(id, "F", "1", { symbol: "BTC-USD", side: "1", cum: "0.8", lastQty: "0.4", lastPx: "30000", execId: "G-1" });
    venue.report(id, "F", "2", { symbol: "BTC-USD", side: "1", cum: "1.1", lastQty: "0.7", lastPx: "30000", execId: "G-3" });
    venue.report(id, "F", "1", { symbol: "BTC-USD", side: "1", cum: "0.5", lastQty: "0.1", lastPx: "30000.5", execId: "G-4" });
    await afterDelivery(h.runtime, () => h.logs.filter((l) => l.includes("venue break")).length === 4);
    const breaks = h.logs.filter((l) => l.includes("venue break"));
    for (const [i, reason] of ["VENUE_UNKNOWN_ORDER", "VENUE_DUPLICATE_EXEC", "VENUE_OVERFILL", "VENUE_PRICE_OUTSIDE_LIMIT"].entries()) {
      expect(breaks[i]).toStartWith("ERROR ");
      expect(breaks[i]).toContain(reason);
    }
    expect(usd(h, 1).balance).toBe(settled);
    expect(h.runtime.exchange.order(ack.orderId)!.filled).toBe(400);
    // A good fill still settles after them.
    venue.report(id, "F", "1", { symbol: "BTC-USD", side: "1", cum: "0.5", lastQty: "0.1", lastPx: "29999", execId: "G-5", leaves: "0.5" });
    await afterDelivery(h.runtime, () => h.runtime.exchange.order(ack.orderId)!.filled === 500);
  });
});

describe("the venue is down at start", () => {
  test("routed instruments are shown unavailable and refuse orders with a clear reason; local ones trade", async () => {
    const dead = new ScriptedVenue();
    const port = dead.port;
    dead.stop();
    const { alice } = await broker(port);
    await expect(alice.placeOrder({ symbol: "BTC-USD", side: "buy", type: "limit", price: "30000", qty: "0.1" })).rejects.toThrow(/VENUE_UNAVAILABLE/);
    await expect(alice.placeOrder({ symbol: "ETH-USD", side: "buy", type: "limit", price: "1990", qty: "0.1" })).resolves.toMatchObject({ symbol: "ETH-USD" });
    for await (const s of alice.marketStatus("BTC-USD")) {
      expect(s).toMatchObject({ state: "halted", reason: "VENUE_UNAVAILABLE" });
      break;
    }
  });
});

describe("a venue whose street account is not open", () => {
  test("refuses to start, naming the key", async () => {
    const config = demoConfig((c) => {
      c.exchange.instruments.find((i) => i.symbol === "BTC-USD")!.venue = "V";
      c.venues = { V: { account: 99, host: "127.0.0.1", port: 1, senderCompId: "BROKER", targetCompId: "VENUE", marketData: false } };
    });
    await expect(startServer(config)).rejects.toThrow(/^venues\.V\.account: account 99 is not open/);
  });
});
