/**
 * Market by order (L3) over real sockets: the SDK's `l3Book` (L3_SNAPSHOT, then L3_UPDATEs) after a
 * random order stream on both symbols (limits, markets, IOC, amends that keep and that lose
 * priority, cancels, stops and stop-limits triggering, every STP mode, partial fills) equals the
 * engine's `orders(symbol, side)` order for order, and its totals equal the L2 book; a dropped
 * L3_UPDATE is seen and the SDK resyncs; a late subscriber's snapshot is the engine's book; the
 * book survives a restart (seeded from the recovered engine); and L3 works with the engine in a
 * worker, where the gateway cannot read the engine at all.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Side } from "../../engine/commands.ts";
import { decodeEvent } from "../../engine/events.ts";
import { Reason } from "../../engine/reasons.ts";
import type { MatchingEngine } from "../../engine/matching.ts";
import { BourseClient, type OrderRequest } from "../../client/client.ts";
import { makeInstrument } from "../../engine/instrument.ts";
import { type BookOrder, type LocalBook, LocalL3Book } from "../../client/local-book.ts";
import { Channel, decodeServer, isProtocolError, type L3Update, MessageType as T, type ServerMessage } from "../../protocol/index.ts";
import { serve } from "../../app/serve.ts";
import type { MarketDataFanout } from "../../gateway/ws/market-data-fanout.ts";
import { demoConfig, failureLines, type Harness, rng, secret, sleep, startServer, waitFor } from "./support/harness.ts";
import { silentLogger } from "../../log/logger.ts";

type Rng = ReturnType<typeof rng>;

let h: Harness;
const clients: BourseClient[] = [];

beforeAll(async () => {
  h = await startServer(demoConfig());
});
afterAll(async () => {
  for (const c of clients) if (!c.closed) c.close();
  await sleep(20);
  await h.close();
});

async function client(url: string, name?: string): Promise<BourseClient> {
  const c = await BourseClient.connect(url);
  clients.push(c);
  if (name) await c.login(`${name}-demo`, secret(name));
  else await c.referenceData();
  return c;
}

/** Drops the frames `drop` picks before the SDK sees them. */
function intercept(c: BourseClient, drop: (m: ServerMessage) => boolean): { seen: ServerMessage[]; dropped: ServerMessage[] } {
  const ws = (c as unknown as { ws: WebSocket }).ws;
  const sdk = ws.onmessage!;
  const out = { seen: [] as ServerMessage[], dropped: [] as ServerMessage[] };
  ws.onmessage = (ev: MessageEvent) => {
    const m = decodeServer(new Uint8Array(ev.data as ArrayBuffer));
    if (!isProtocolError(m) && drop(m)) {
      out.dropped.push(m);
      return;
    }
    if (!isProtocolError(m)) out.seen.push(m);
    sdk.call(ws, ev);
  };
  return out;
}

const SYMS = [
  { id: 1, name: "BTC-USD", mid: 60_000, price: (t: number) => (t / 2).toFixed(1), qty: (l: number) => (l / 1000).toFixed(3) },
  { id: 2, name: "ETH-USD", mid: 40_000, price: (t: number) => (t * 0.05).toFixed(2), qty: (l: number) => (l / 100).toFixed(2) },
] as const;
const STPS = ["cancel-newest", "cancel-oldest", "cancel-both", "decrement", "none"] as const;

const engineOf = (hh: Harness): MatchingEngine => hh.runtime.exchange.book;
const engineL3 = (e: MatchingEngine, sym: number) => [Side.BUY, Side.SELL].flatMap((side) => e.orders(sym, side).map((o) => ({ side, orderId: o.orderId, price: o.price, qty: o.leaves })));
/** SDK orders in the engine's units (ticks and lots). */
const ticksOf = (orders: BookOrder[]) => orders.map((o) => ({ side: o.side, orderId: o.orderId, price: o.priceTicks, qty: o.qtyLots }));
const sdkL3 = (b: LocalL3Book) => ticksOf([...b.orders("bid"), ...b.orders("ask")]);
/** The gateway's own L3 book (engine/l3.ts, built from delivered events) in engineL3's shape. */
const feedL3 = (md: MarketDataFanout, sym: number): { side: number; orderId: number; price: number; qty: number }[] => [Side.BUY, Side.SELL].flatMap((side) => md.l3.orders(sym, side).map((o) => ({ side, orderId: o.orderId, price: o.price, qty: o.leaves })));
const engineDepth = (e: MatchingEngine, sym: number) => [Side.BUY, Side.SELL].map((side) => e.depth(sym, side).map((l) => ({ price: l.price, qty: l.qty, orders: l.count })));
const l3Depth = (b: LocalL3Book) => [b.levels("bid"), b.levels("ask")].map((side) => side.map((l) => ({ price: l.priceTicks, qty: l.qtyLots, orders: l.orders })));
const l2Depth = (b: LocalBook) => [b.levels("bid"), b.levels("ask")].map((side) => side.map((l) => ({ price: l.priceTicks, qty: l.qtyLots, orders: l.orders })));
const caughtUp = (b: { ready: boolean; seq: number }, g: { marketData: { current(s: number, c: number): number } }, sym: number, channel: number) => b.ready && b.seq === g.marketData.current(sym, channel);

/** Counts, from the delivered events, the kinds of change L3 has to follow. */
function tally(hh: Harness) {
  const counts = { rested: 0, makerPartlyFilled: 0, makerFilled: 0, stopTriggered: 0, keptPriority: 0, lostPriority: 0, selfTrade: 0, stpDecrement: 0, cancelled: 0 };
  const off = hh.runtime.onDelivery((_seq, _token, events, from, to) => {
    for (let i = from; i < to; i++) {
      const e = decodeEvent(events, i);
      if (e.type === "level" && e.count > 0) counts.rested++;
      else if (e.type === "trade") counts[e.makerLeaves > 0 ? "makerPartlyFilled" : "makerFilled"]++;
      else if (e.type === "stopTriggered") counts.stopTriggered++;
      else if (e.type === "amended") counts[e.keptPriority ? "keptPriority" : "lostPriority"]++;
      else if (e.type === "cancelled" && e.reason === Reason.SELF_TRADE) counts[e.leaves > 0 ? "stpDecrement" : "selfTrade"]++;
      else if (e.type === "cancelled" && e.reason === Reason.USER_CANCEL) counts.cancelled++;
    }
  });
  return { counts, off };
}

async function follow<B>(it: AsyncGenerator<B>): Promise<B> {
  return (await it.next()).value as B;
}

/**
 * A random stream from several accounts over both symbols, in concurrent batches (so commands
 * share group commits). Prices sit within a few ticks of the middle so orders cross, partly fill,
 * meet their own account's orders and trigger stops. Rejects (funds, positions, stops that would
 * trigger at once, amends of orders already gone) are part of the stream.
 */
async function randomStream(r: Rng, traders: BourseClient[], engine: () => MatchingEngine | null, batches: number, perBatch = 25): Promise<number> {
  const open = new Map<BourseClient, { sym: (typeof SYMS)[number]; orderId: number; price: number; lots: number }[]>(traders.map((t) => [t, []]));
  let sent = 0;
  for (let b = 0; b < batches; b++) {
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < perBatch; i++) {
      const t = r.pick(traders);
      const sym = r.pick(SYMS);
      const e = engine();
      // Forget orders that are gone, so amends and cancels mostly find something.
      const mine = e ? open.get(t)!.filter((o) => e.order(o.orderId) !== undefined) : open.get(t)!;
      open.set(t, mine);
      const side = r.chance(0.5) ? "buy" : "sell";
      const ticks = sym.mid + r.int(17) - 8;
      const lots = 1 + r.int(6);
      const stp = r.pick(STPS);
      const what = r.next();
      const place = (o: Omit<OrderRequest, "symbol" | "side">, remember: boolean) =>
        t.placeOrder({ symbol: sym.name, side, stp, ...o }).then((ack) => {
          if (remember) mine.push({ sym, orderId: (ack as { orderId: number }).orderId, price: ticks, lots });
        });
      let p: Promise<unknown>;
      if (what < 0.4) p = place({ price: sym.price(ticks), qty: sym.qty(lots) }, true);
      else if (what < 0.47) p = place({ price: sym.price(ticks), qty: sym.qty(lots), tif: "IOC" }, false);
      else if (what < 0.53) p = place({ type: "market", qty: sym.qty(lots) }, false);
      else if (what < 0.72 && mine.length > 0) {
        // Amend: shrink in place (keeps priority), or grow / move (loses it and may trade).
        const o = r.pick(mine);
        const view = e?.order(o.orderId);
        const total = view ? view.qty : o.lots;
        const kind = r.int(3);
        const price = kind === 2 ? o.price + (r.chance(0.5) ? 1 : -1) : o.price;
        const qty = kind === 0 ? Math.max(1, total - 1) : total + 1;
        if (kind === 2) o.price = price;
        const stopPrice = view?.status === "stop" ? o.sym.price(view.stopPrice) : undefined;
        p = t.amend(o.sym.name, { orderId: o.orderId }, { price: o.sym.price(price), qty: o.sym.qty(qty), stopPrice });
      } else if (what < 0.78 && mine.length > 0) {
        const o = mine.splice(r.int(mine.length), 1)[0]!;
        p = t.cancel(o.sym.name, { orderId: o.orderId });
      } else if (what < 0.9) {
        // Stops just beyond the last trade (or the middle, before any): they trigger soon.
        const last = e?.lastPrice(sym.id) || sym.mid;
        const stop = side === "buy" ? last + 1 + r.int(2) : last - 1 - r.int(2);
        const limit = side === "buy" ? stop + r.int(3) - 1 : stop - r.int(3) + 1;
        p = r.chance(0.5) ? place({ type: "stop", stopPrice: sym.price(stop), qty: sym.qty(lots) }, false) : place({ type: "stop-limit", stopPrice: sym.price(stop), price: sym.price(limit), qty: sym.qty(lots) }, true);
      } else if (what < 0.91) {
        mine.length = 0;
        p = t.massCancel(sym.name);
      } else p = place({ price: sym.price(ticks), qty: sym.qty(lots), tif: r.chance(0.5) ? "DAY" : "FOK" }, true);
      batch.push(p.catch(() => undefined));
      sent++;
    }
    await Promise.all(batch);
  }
  return sent;
}

describe("market by order over the wire", () => {
  test("after a random stream the SDK's L3 book is the engine's book, order for order, and adds up to L2", async () => {
    const viewer = await client(h.url);
    const traders = await Promise.all(["alice", "bob", "carol", "dave"].map((n) => client(h.url, n)));
    const l3 = await Promise.all(SYMS.map((s) => follow(viewer.l3Book(s.name))));
    const l2 = await Promise.all(SYMS.map((s) => follow(viewer.book(s.name))));
    const seen = tally(h);
    const sent = await randomStream(rng(0x13b00c), traders, () => engineOf(h), 16);
    seen.off();
    expect(sent).toBe(400);
    // The stream did what it is for.
    expect(Object.values(seen.counts).every((n) => n > 0), JSON.stringify(seen.counts)).toBe(true);
    const md = h.gateway.marketData;
    for (const [i, s] of SYMS.entries()) {
      expect(await waitFor(() => caughtUp(l3[i]!, h.gateway, s.id, Channel.L3) && caughtUp(l2[i]!, h.gateway, s.id, Channel.L2), 5000)).toBe(true);
      const e = engineOf(h);
      expect(sdkL3(l3[i]!), s.name).toEqual(engineL3(e, s.id));
      expect(l3Depth(l3[i]!), s.name).toEqual(engineDepth(e, s.id));
      expect(l3Depth(l3[i]!), s.name).toEqual(l2Depth(l2[i]!));
      expect(l3[i]!.resyncs).toBe(0);
      expect(l3[i]!.size).toBeGreaterThan(3);
      // The queue at the best bid, as `ordersAt` gives it, is the engine's level in queue order.
      const best = e.depth(s.id, Side.BUY, 1)[0]!;
      expect(l3[i]!.ordersAt("bid", best.price).map((o) => [o.orderId, o.qtyLots])).toEqual(e.level(s.id, Side.BUY, best.price).map((o) => [o.orderId, o.leaves]));
    }
    for (const s of SYMS) expect(feedL3(md, s.id), s.name).toEqual(engineL3(engineOf(h), s.id));
  });

  test("a late subscriber's snapshot is the engine's book, with the channel's current sequence number", async () => {
    const late = await client(h.url);
    for (const s of SYMS) {
      const wire = intercept(late, () => false);
      expect(ticksOf(await late.ordersAt(s.name))).toEqual(engineL3(engineOf(h), s.id));
      const snap = wire.seen.find((m) => m.type === T.L3_SNAPSHOT && m.symbol === s.id) as { seq: number } | undefined;
      expect(snap?.seq).toBe(h.gateway.marketData.current(s.id, Channel.L3));
    }
  });

  test("a dropped L3_UPDATE is seen at the next one; the SDK takes a fresh snapshot and is back in step", async () => {
    const viewer = await client(h.url);
    const traders = await Promise.all(["alice", "bob", "carol"].map((n) => client(h.url, n)));
    const books = await Promise.all(SYMS.map((s) => follow(viewer.l3Book(s.name))));
    const r = rng(0xd209);
    let effective = 0;
    let dropping = true;
    const wire = intercept(viewer, (m) => {
      if (!dropping || m.type !== T.L3_UPDATE || !r.chance(0.05)) return false;
      const b = books[m.symbol - 1]!;
      if (b.ready && m.seq === b.seq + 1) effective++;
      return true;
    });
    await randomStream(r, traders, () => engineOf(h), 12);
    dropping = false;
    // One more update per symbol, delivered, so a drop at the very end shows too.
    for (const s of SYMS) await traders[0]!.placeOrder({ symbol: s.name, side: "buy", price: s.price(s.mid - 400), qty: s.qty(1) });
    for (const [i, s] of SYMS.entries()) expect(await waitFor(() => caughtUp(books[i]!, h.gateway, s.id, Channel.L3), 5000)).toBe(true);
    expect(wire.dropped.length).toBeGreaterThan(3);
    expect(effective).toBeGreaterThan(1);
    const snapshots = wire.seen.filter((m) => m.type === T.L3_SNAPSHOT).length;
    expect(snapshots).toBe(effective);
    expect(books[0]!.resyncs + books[1]!.resyncs).toBe(effective);
    for (const [i, s] of SYMS.entries()) expect(sdkL3(books[i]!)).toEqual(engineL3(engineOf(h), s.id));
  });
});

describe("LocalL3Book", () => {
  const upd = (seq: number, changes: [action: number, side: number, orderId: number, price: number, qty: number][]): L3Update => ({
    type: T.L3_UPDATE,
    symbol: 1,
    seq,
    time: 0,
    changes: changes.map(([action, side, orderId, price, qty]) => ({ action, side, orderId, price, qty })),
  });

  test("keeps queue order; refuses a gap or a change that does not fit, and waits for a snapshot", () => {
    const b = new LocalL3Book(1, makeInstrument({ id: 1, symbol: "UNIT", tickSize: "1", lotSize: "1", bandBps: 0 }));
    b.load({ type: T.L3_SNAPSHOT, symbol: 1, seq: 4, time: 0, orders: [{ side: 0, orderId: 1, price: 100, qty: 5 }, { side: 0, orderId: 2, price: 100, qty: 3 }, { side: 1, orderId: 3, price: 101, qty: 2 }] });
    expect(b.apply(upd(4, [[2, 0, 1, 100, 0]]))).toBe(true); // already in the snapshot
    expect(b.apply(upd(5, [[2, 0, 1, 100, 0], [0, 0, 1, 100, 6], [1, 0, 2, 100, 1]]))).toBe(true);
    expect(b.ordersAt("bid", 100).map((o) => [o.orderId, o.qtyLots])).toEqual([[2, 1], [1, 6]]);
    expect(b.ordersAt("bid", "100")).toEqual(b.ordersAt("bid", 100));
    expect(b.levels("bid")).toEqual([{ price: "100", priceTicks: 100, qty: "7", qtyLots: 7, orders: 2 }]);
    expect(b.apply(upd(7, [[2, 1, 3, 101, 0]]))).toBe(false); // 6 is missing
    expect(b.ready).toBe(false);
    b.load({ type: T.L3_SNAPSHOT, symbol: 1, seq: 7, time: 0, orders: [{ side: 1, orderId: 3, price: 101, qty: 2 }] });
    expect(b.resyncs).toBe(1);
    expect(b.apply(upd(8, [[1, 1, 9, 101, 1]]))).toBe(false); // an UPDATE of an order it does not hold
    expect(b.ready).toBe(false);
  });
});

describe("L3 across a restart and with the engine in a worker", () => {
  test("after a restart the book starts from the recovered engine's orders and keeps following", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bourse-l3-"));
    const start = () => serve({ dataDir: dir, config: demoConfig(), workers: 0, port: 0, host: "127.0.0.1", log: silentLogger });
    try {
      let running = await start();
      const first = await Promise.all(["alice", "bob"].map((n) => client(running.gateway.url, n)));
      const rt = () => (running.gateway.orderEntry as unknown as { sequencer: { exchange: { book: MatchingEngine } } }).sequencer.exchange.book;
      await randomStream(rng(0x5e7), first, rt, 4);
      const before = SYMS.map((s) => engineL3(rt(), s.id));
      for (const c of first) c.close();
      await running.close();

      running = await start();
      const viewer = await client(running.gateway.url);
      const books = await Promise.all(SYMS.map((s) => follow(viewer.l3Book(s.name))));
      expect(books.map(sdkL3)).toEqual(before);
      const traders = await Promise.all(["alice", "bob"].map((n) => client(running.gateway.url, n)));
      await randomStream(rng(0x5e8), traders, rt, 4);
      for (const [i, s] of SYMS.entries()) {
        expect(await waitFor(() => caughtUp(books[i]!, running.gateway, s.id, Channel.L3), 5000)).toBe(true);
        expect(sdkL3(books[i]!)).toEqual(engineL3(rt(), s.id));
      }
      for (const s of SYMS) expect(feedL3(running.gateway.marketData, s.id), s.name).toEqual(engineL3(rt(), s.id));
      await running.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("with workers 1 the same stream gives a book whose totals are the L2 book, and a late snapshot equal to it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bourse-l3w-"));
    const running = await serve({ dataDir: dir, config: demoConfig(), workers: 1, port: 0, host: "127.0.0.1", log: silentLogger });
    try {
      const url = running.gateway.url;
      const viewer = await client(url);
      const l3 = await Promise.all(SYMS.map((s) => follow(viewer.l3Book(s.name))));
      const l2 = await Promise.all(SYMS.map((s) => follow(viewer.book(s.name))));
      const traders = await Promise.all(["alice", "bob", "carol"].map((n) => client(url, n)));
      await randomStream(rng(0x3041), traders, () => null, 6);
      // Two orders at one fresh price: the queue shows them in arrival order.
      const a = await traders[0]!.placeOrder({ symbol: "ETH-USD", side: "buy", price: "1900", qty: "0.01" });
      const b = await traders[1]!.placeOrder({ symbol: "ETH-USD", side: "buy", price: "1900", qty: "0.02" });
      for (const [i, s] of SYMS.entries()) {
        expect(await waitFor(() => caughtUp(l3[i]!, running.gateway, s.id, Channel.L3) && caughtUp(l2[i]!, running.gateway, s.id, Channel.L2), 5000)).toBe(true);
        expect(l3Depth(l3[i]!), s.name).toEqual(l2Depth(l2[i]!));
        expect(ticksOf(await (await client(url)).ordersAt(s.name))).toEqual(sdkL3(l3[i]!));
      }
      expect(l3[1]!.ordersAt("bid", 38_000).map((o) => o.orderId)).toEqual([(a as { orderId: number }).orderId, (b as { orderId: number }).orderId]);
      // The engine runs in a worker: its book is what a fresh snapshot client reads (checked above).
      for (const [i, s] of SYMS.entries()) expect(feedL3(running.gateway.marketData, s.id), s.name).toEqual(sdkL3(l3[i]!));
    } finally {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test("nothing threw on the server", () => {
  expect(failureLines(h.logs)).toEqual([]);
});
