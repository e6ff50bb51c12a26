/**
 * FIX market data on the acceptor (docs/fix.md "Market data"), end to end over TCP with the test
 * initiator against a running server: MarketDataRequest for a snapshot and updates, the
 * snapshot (W) of the top of book and the last trade, an incremental refresh (X) for each change
 * of the top of book and each trade, the rejects (Y) for an unknown symbol, an unsupported depth
 * and a duplicate MDReqID, a snapshot-only request, and unsubscribe.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FixInitiator } from "../../../gateway/fix/initiator.ts";
import type { Field, FixMessage } from "../../../gateway/fix/message.ts";
import { demoConfig, failureLines, type Harness, secret, startServer } from "../support/harness.ts";

let h: Harness;
let n = 0;

beforeAll(async () => {
  h = await startServer(demoConfig());
});
afterAll(async () => {
  await h.close();
});

async function logon(user: string): Promise<FixInitiator> {
  const c = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: `MD-${user.toUpperCase()}-${++n}` });
  await c.logon(`${user}-demo`, secret(user), [[141, "Y"]]);
  return c;
}

/** A MarketDataRequest: bid, offer and trade entries unless `types` says otherwise. */
function mdRequest(reqId: string, type: string, symbols: string[], o: { depth?: string; types?: string[] } = {}): Field[] {
  const types = o.types ?? ["0", "1", "2"];
  return [[35, "V"], [262, reqId], [263, type], [264, o.depth ?? "1"], [265, "1"], [267, String(types.length)], ...types.map((t): Field => [269, t]), [146, String(symbols.length)], ...symbols.map((s): Field => [55, s])];
}

function nos(clOrdId: string, side: string, qty: string, price?: string): Field[] {
  const f: Field[] = [[35, "D"], [11, clOrdId], [55, "ETH-USD"], [54, side], [60, "20261207-00:00:00.000"], [38, qty], [40, price === undefined ? "1" : "2"], [59, price === undefined ? "3" : "1"]];
  if (price !== undefined) f.push([44, price]);
  return f;
}

/** The entries of a W or X, each as an object of its fields (a group starts at 279 in X, at 269 in W). */
function entries(m: FixMessage): Record<number, string>[] {
  const out: Record<number, string>[] = [];
  const first = m.msgType === "X" ? 279 : 269;
  let cur: Record<number, string> | null = null;
  let inGroups = false;
  for (const [tag, value] of m.fields) {
    if (tag === 268) {
      inGroups = true;
      continue;
    }
    if (!inGroups) continue;
    if (tag === first) out.push((cur = {}));
    if (cur && [279, 269, 270, 271, 55].includes(tag)) cur[tag] = value;
  }
  expect(out.length).toBe(Number(m.get(268)));
  return out;
}

describe("FIX market data", () => {
  test("a subscription gets the top of book and last trade, then an X per change of the touch and per trade", async () => {
    const md = await logon("alice");
    const bob = await logon("bob");
    // Liquidity first, so the snapshot has something to say.
    bob.send(nos("md-b1", "1", "2", "1999"));
    expect((await bob.next("8")).get(150)).toBe("0");

    md.send(mdRequest("sub-1", "1", ["ETH-USD"]));
    const w = await md.next(["W", "Y"]);
    expect(w.msgType).toBe("W");
    expect(w.get(262)).toBe("sub-1");
    expect(w.get(55)).toBe("ETH-USD");
    expect(entries(w)).toEqual([{ 269: "0", 270: "1999.00", 271: "2.00" }]);

    // A new best offer: one X with the offer's New.
    bob.send(nos("md-s1", "2", "1.5", "2001"));
    let x = await md.next("X");
    expect(x.get(262)).toBe("sub-1");
    expect(entries(x)).toEqual([{ 279: "0", 269: "1", 55: "ETH-USD", 270: "2001.00", 271: "1.50" }]);

    // A better bid: Change.
    bob.send(nos("md-b2", "1", "1", "2000"));
    x = await md.next("X");
    expect(entries(x)).toEqual([{ 279: "1", 269: "0", 55: "ETH-USD", 270: "2000.00", 271: "1.00" }]);

    // A market sell of 1.5 takes the 2000 bid (1) and 0.5 of the 1999 one: the trades, and the bid that is left.
    md.send(nos("md-m1", "2", "1.5"));
    x = await md.next("X");
    expect(entries(x)).toEqual([
      { 279: "1", 269: "0", 55: "ETH-USD", 270: "1999.00", 271: "1.50" },
      { 279: "0", 269: "2", 55: "ETH-USD", 270: "2000.00", 271: "1.00" },
      { 279: "0", 269: "2", 55: "ETH-USD", 270: "1999.00", 271: "0.50" },
    ]);

    // A snapshot-only request now has both sides and the last trade, with its size.
    md.send(mdRequest("snap-1", "0", ["ETH-USD"]));
    const snap = await md.next("W");
    expect(snap.get(262)).toBe("snap-1");
    expect(entries(snap)).toEqual([
      { 269: "0", 270: "1999.00", 271: "1.50" },
      { 269: "1", 270: "2001.00", 271: "1.50" },
      { 269: "2", 270: "1999.00", 271: "0.50" },
    ]);

    // The whole offer is cancelled away: Delete.
    bob.send([[35, "F"], [11, "md-c1"], [41, "md-s1"], [55, "ETH-USD"], [54, "2"], [60, "20261207-00:00:00.000"]]);
    x = await md.next("X");
    expect(entries(x)).toEqual([{ 279: "2", 269: "1", 55: "ETH-USD", 270: "2001.00" }]);

    // Unsubscribed, it hears nothing more. A second subscriber (bob's session) sees the next change;
    // the X md would have had goes out with it, so md's next market data message is the W it asks for after.
    bob.send(mdRequest("watch", "1", ["ETH-USD"], { types: ["0"] }));
    await bob.next("W");
    md.send(mdRequest("sub-1", "2", ["ETH-USD"]));
    // A connection's messages are handled in order: once this W is back, the unsubscribe has been done.
    md.send(mdRequest("sync", "0", ["ETH-USD"]));
    await md.next("W");
    bob.send(nos("md-b3", "1", "1", "2000.5"));
    expect(entries(await bob.next("X"))).toEqual([{ 279: "1", 269: "0", 55: "ETH-USD", 270: "2000.50", 271: "1.00" }]);
    md.send(mdRequest("snap-2", "0", ["ETH-USD"]));
    const after = await md.next(["W", "X", "Y"]);
    expect(after.msgType).toBe("W");
    expect(entries(after)[0]).toEqual({ 269: "0", 270: "2000.50", 271: "1.00" });

    for (const c of [md, bob]) await c.logout();
    expect(failureLines(h.logs)).toEqual([]);
  });

  test("only the entry types asked for; rejects name the MDReqID and the MDReqRejReason", async () => {
    const md = await logon("alice");
    md.send(mdRequest("trades-only", "1", ["BTC-USD"], { types: ["2"] }));
    const w = await md.next("W");
    expect(entries(w)).toEqual([]);

    md.send(mdRequest("trades-only", "1", ["BTC-USD"]));
    let y = await md.next("Y");
    expect([y.get(262), y.get(281)]).toEqual(["trades-only", "1"]);
    expect(y.get(58)).toContain("already");

    md.send(mdRequest("nope", "1", ["NOPE-USD"]));
    y = await md.next("Y");
    expect([y.get(262), y.get(281)]).toEqual(["nope", "0"]);
    expect(y.get(58)).toContain("NOPE-USD");

    md.send(mdRequest("deep", "1", ["BTC-USD"], { depth: "5" }));
    y = await md.next("Y");
    expect([y.get(262), y.get(281)]).toEqual(["deep", "5"]);

    md.send(mdRequest("imbalance", "1", ["BTC-USD"], { types: ["A"] }));
    y = await md.next("Y");
    expect([y.get(262), y.get(281)]).toEqual(["imbalance", "8"]);

    md.send(mdRequest("never", "2", ["BTC-USD"]));
    y = await md.next("Y");
    expect(y.get(262)).toBe("never");

    // A request without MDReqID is a session Reject naming the tag.
    md.send([[35, "V"], [263, "1"], [264, "1"]]);
    const r = await md.next("3");
    expect(r.get(371)).toBe("262");
    await md.logout();
  });
});
