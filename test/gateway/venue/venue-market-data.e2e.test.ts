/**
 * Market data from a venue, end to end with two Bourse servers: the venue serves FIX market data
 * (gateway/fix/market-data.ts) to the test initiator, whose messages drive our feed and guard; the
 * guard's MARKET_DATA_STATUS goes into our server's runtime. A bad tick at the venue, then silence,
 * flag our ETH-USD: our doors show it (the SDK's market status) and refuse market orders with the
 * reason (FIX OrdRejReason 11 and Text; the SDK's RejectError), limits still go in; a fresh
 * snapshot from the venue clears it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { BourseClient, RejectError } from "../../../client/client.ts";
import { makeInstrument } from "../../../engine/instrument.ts";
import { FixInitiator } from "../../../gateway/fix/initiator.ts";
import type { Field, FixMessage } from "../../../gateway/fix/message.ts";
import { MARKET_DATA_DEFAULTS } from "../../../gateway/venue/market-data-config.ts";
import { VenueMarketDataFeed } from "../../../gateway/venue/market-data-feed.ts";
import { MarketDataGuard } from "../../../gateway/venue/market-data-guard.ts";
import { demoConfig, type Harness, secret, startServer } from "../support/harness.ts";
import { runtimeSubmit } from "./submit.ts";

const ETH = 2;
let venue: Harness;
let ours: Harness;

beforeAll(async () => {
  [venue, ours] = await Promise.all([startServer(demoConfig()), startServer(demoConfig())]);
});
afterAll(async () => {
  await Promise.all([venue.close(), ours.close()]);
});

async function fixLogon(h: Harness, user: string, compId: string): Promise<FixInitiator> {
  const c = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: compId });
  await c.logon(`${user}-demo`, secret(user), [[141, "Y"]]);
  return c;
}

function nos(clOrdId: string, side: string, qty: string, price?: string): Field[] {
  const f: Field[] = [[35, "D"], [11, clOrdId], [55, "ETH-USD"], [54, side], [60, "20261207-00:00:00.000"], [38, qty], [40, price === undefined ? "1" : "2"], [59, price === undefined ? "3" : "1"]];
  if (price !== undefined) f.push([44, price]);
  return f;
}

test("a bad tick and then silence at the venue flag our instrument on every door; a fresh snapshot clears it", async () => {
  // Our side: the guard (band 1 %, so a venue order inside its own 3 % band can be a bad tick for us) and the feed.
  let now = 1_000_000;
  const guard = new MarketDataGuard({ settings: { ...MARKET_DATA_DEFAULTS, bandBps: 100 }, symbols: [ETH], submit: runtimeSubmit(ours.runtime), nowMs: now });
  const link = await fixLogon(venue, "alice", "OURS-MD");
  const feed = new VenueMarketDataFeed({
    session: { sendApp: (f) => link.send(f) },
    guard,
    instruments: [{ instrument: makeInstrument(demoConfig().exchange.instruments.find((i) => i.id === ETH)!) }],
    clock: () => now,
    checkEveryMs: 1000,
  });
  // The FIX session's onApplication hook, as the initiator session will call it: each market data message to the feed.
  const handled: FixMessage[] = [];
  const waiting: (() => void)[] = [];
  void (async () => {
    for (;;) {
      const m = await link.next(["W", "X", "Y"], 60_000).catch(() => null);
      if (!m) return;
      expect(feed.onApplication(m)).toBe(true);
      handled.push(m);
      waiting.splice(0).forEach((w) => w());
    }
  })();
  const handledOne = () => new Promise<void>((r) => waiting.push(r));

  // Our doors: a WebSocket client watching ETH-USD's market status, and a FIX trader.
  const ws = await BourseClient.connect(ours.url);
  await ws.login("carol-demo", secret("carol"));
  const status = ws.marketStatus("ETH-USD");
  expect((await status.next()).value).toMatchObject({ state: "open", reason: "OK" });
  const trader = await fixLogon(ours, "bob", "OURS-BOB");

  feed.subscribe();
  await handledOne();
  expect(handled.at(-1)!.msgType).toBe("W");

  // At the venue: a bid at 2000, an offer at 2005 (both in band), the offer cancelled, then a bid at 2030 — 1.25 % off.
  const maker = await fixLogon(venue, "bob", "VENUE-BOB");
  for (const [id, side, px] of [["v-b1", "1", "2000"], ["v-s1", "2", "2005"]] as const) {
    const seen = handledOne();
    maker.send(nos(id, side, "1", px));
    await seen;
  }
  let seen = handledOne();
  maker.send([[35, "F"], [11, "v-c1"], [41, "v-s1"], [55, "ETH-USD"], [54, "2"], [60, "20261207-00:00:00.000"]]);
  await seen;
  maker.send(nos("v-b2", "1", "0.1", "2030"));
  const flagged = await status.next();
  expect(flagged.value).toMatchObject({ state: "open", reason: "MARKET_DATA_BAD_TICK" });

  // Our doors refuse market orders with the reason; a limit goes in.
  trader.send(nos("o-mkt", "2", "1"));
  const er = await trader.next("8");
  expect([er.get(150), er.get(103)]).toEqual(["8", "11"]);
  expect(er.get(58)).toContain("outside its band");
  const refused = await ws.placeOrder({ symbol: "ETH-USD", side: "buy", type: "market", qty: "0.1" }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(RejectError);
  expect((refused as RejectError).reasonName).toBe("MARKET_DATA_BAD_TICK");
  trader.send(nos("o-lim", "2", "1", "2100"));
  expect((await trader.next("8")).get(150)).toBe("0");

  // Silence past staleMs: STALE takes over.
  now += MARKET_DATA_DEFAULTS.staleMs + 1;
  guard.check(now);
  expect((await status.next()).value).toMatchObject({ reason: "MARKET_DATA_STALE" });
  const stale = await ws.placeOrder({ symbol: "ETH-USD", side: "sell", type: "stop", stopPrice: "1900", qty: "0.1" }).catch((e: unknown) => e);
  expect((stale as RejectError).reasonName).toBe("MARKET_DATA_STALE");

  // The venue restates its market (a new subscription's snapshot): cleared, and market orders go in again.
  feed.stop();
  seen = handledOne();
  feed.subscribe();
  await seen;
  expect((await status.next()).value).toMatchObject({ state: "open", reason: "OK" });
  const ack = await ws.placeOrder({ symbol: "ETH-USD", side: "buy", type: "market", qty: "0.1" });
  expect(ack.orderId).toBeGreaterThan(0);

  await status.return(undefined);
  ws.close();
  for (const c of [trader, maker]) await c.logout();
  feed.stop(false);
  await link.logout();
});
