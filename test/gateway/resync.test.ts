/**
 * Gaps, and getting back in step. Market data: a LocalBook refuses a diff that does not follow on
 * (and changes nothing) until a fresh snapshot; the SDK, seeing that, re-subscribes and takes the
 * new snapshot, after which its book equals the engine's depth. Session messages: `client.gaps`
 * stays 0 on a healthy connection and counts a sequence break.
 *
 * Gaps are made in the client: a wrapper around the SDK's WebSocket `onmessage` drops chosen
 * frames before the SDK sees them, over a real server and real sockets.
 */
import { describe, expect, test } from "bun:test";
import { makeInstrument } from "../../engine/instrument.ts";
import { BourseClient } from "../../client/client.ts";
import { LocalBook } from "../../client/local-book.ts";
import { Channel, decodeServer, isProtocolError, type L2Snapshot, type L2Update, MessageType as T, type ServerMessage } from "../../protocol/index.ts";
import { engineDepth, localDepth, rng, sleep, waitFor } from "./support/harness.ts";
import { sdkServerPerFile } from "./support/sdk-server.ts";

const rejections: string[] = [];
const onRejection = (e: unknown) => rejections.push(String((e as Error)?.stack ?? e));
const server = sdkServerPerFile({
  beforeStart: () => process.on("unhandledRejection", onRejection),
  afterClients: async () => {
    await sleep(20);
    process.off("unhandledRejection", onRejection);
  },
});
const client = (name?: string): Promise<BourseClient> => server.client(name);

/**
 * Puts a filter in front of the SDK: frames for which `drop` returns true never reach it. Also
 * records every frame that does, decoded.
 */
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

/** The symbol's book: the iterator keeps the same LocalBook object up to date. */
async function bookOf(c: BourseClient, symbol: string): Promise<LocalBook> {
  const it = c.book(symbol);
  return (await it.next()).value as LocalBook;
}

const snapshotsOf = (wire: { seen: ServerMessage[] }, symbol: number) => wire.seen.filter((m): m is L2Snapshot => m.type === T.L2_SNAPSHOT && m.symbol === symbol);
const same = (book: LocalBook, symbol: number) => JSON.stringify(localDepth(book)) === JSON.stringify(engineDepth(server.h.runtime, symbol));
const caughtUp = (book: LocalBook, symbol: number) => book.ready && book.seq === server.h.gateway.marketData.current(symbol, Channel.L2);

// ------------------------------------------------------------------------------ LocalBook alone

describe("LocalBook", () => {
  /** Tick and lot 1: the levels' decimals read as their ticks and lots. */
  const UNIT = makeInstrument({ id: 1, symbol: "UNIT", tickSize: "1", lotSize: "1", bandBps: 0 });
  const level = (price: number, qty: number, orders = 1) => ({ price, qty, orders });
  const snapshot = (seq: number, bids: [number, number][], asks: [number, number][]): L2Snapshot => ({
    type: T.L2_SNAPSHOT,
    symbol: 1,
    seq,
    time: 0,
    bids: bids.map(([p, q]) => level(p, q)),
    asks: asks.map(([p, q]) => level(p, q)),
  });
  const update = (seq: number, changes: [side: number, price: number, qty: number][]): L2Update => ({
    type: T.L2_UPDATE,
    symbol: 1,
    seq,
    time: 0,
    changes: changes.map(([side, price, qty]) => ({ side, price, qty, orders: qty > 0 ? 1 : 0 })),
  });
  const state = (b: LocalBook) => ({ seq: b.seq, ready: b.ready, bids: b.levels("bid").map((l) => [l.priceTicks, l.qtyLots]), asks: b.levels("ask").map((l) => [l.priceTicks, l.qtyLots]) });

  test("a diff that skips a sequence number is refused, changes nothing, and the book waits for a snapshot", () => {
    const b = new LocalBook(1, UNIT);
    expect(b.apply(update(1, [[0, 100, 5]]))).toBe(true); // before any snapshot: ignored
    expect(b.ready).toBe(false);
    b.load(snapshot(5, [[100, 10]], [[101, 7]]));
    expect(b.apply(update(4, [[0, 100, 99]]))).toBe(true); // already in the snapshot: ignored
    expect(b.apply(update(5, [[0, 100, 99]]))).toBe(true);
    expect(b.apply(update(6, [[0, 99, 3]]))).toBe(true);
    expect(b.apply(update(7, [[1, 101, 0]]))).toBe(true);
    const before = state(b);
    expect(before).toEqual({ seq: 7, ready: true, bids: [[100, 10], [99, 3]], asks: [] });
    const version = b.version;

    expect(b.apply(update(9, [[1, 102, 4]]))).toBe(false); // 8 is missing
    expect(b.ready).toBe(false);
    expect(b.version).toBe(version);
    expect(state(b)).toEqual({ ...before, ready: false });
    // While it waits, diffs neither apply nor report another gap.
    expect(b.apply(update(10, [[1, 103, 1]]))).toBe(true);
    expect(b.version).toBe(version);
    expect(state(b)).toEqual({ ...before, ready: false });

    b.load(snapshot(12, [[100, 10]], [[102, 4], [103, 1]]));
    expect(b.ready).toBe(true);
    expect(b.apply(update(12, [[0, 1, 1]]))).toBe(true); // covered by the snapshot
    expect(b.apply(update(13, [[0, 98, 2]]))).toBe(true);
    expect(state(b)).toEqual({ seq: 13, ready: true, bids: [[100, 10], [98, 2]], asks: [[102, 4], [103, 1]] });
  });

  // client.ts and local-book.ts say `resyncs` counts the fresh snapshots taken after a gap. But
  // apply() clears `ready` on the gap, and load() counts only when `ready` is still set, so a
  // resync after a gap is never counted (only a snapshot loaded over a ready book is).
  test("resyncs counts the snapshot taken after a gap [fails: stays 0]", () => {
    const b = new LocalBook(1, UNIT);
    b.load(snapshot(1, [[100, 1]], []));
    expect(b.apply(update(3, [[0, 100, 2]]))).toBe(false);
    b.load(snapshot(3, [[100, 2]], []));
    expect(b.resyncs).toBe(1);
  });
});

// ------------------------------------------------------------------------------ over the wire

describe("market-data resync over the wire", () => {
  test("a dropped L2_UPDATE makes the SDK re-subscribe; the fresh snapshot brings its book back to the engine's depth", async () => {
    const viewer = await client();
    const alice = await client("alice");
    const bob = await client("bob");
    const book = await bookOf(viewer, "ETH-USD");
    let dropNext = false;
    const wire = intercept(viewer, (m) => {
      if (m.type === T.L2_UPDATE && m.symbol === 2 && dropNext) {
        dropNext = false;
        return true;
      }
      return false;
    });
    const place = (i: number) =>
      (i % 2 ? alice : bob).placeOrder({ symbol: "ETH-USD", side: i % 3 === 0 ? "sell" : "buy", price: String(1950 + (i % 9) * 5), qty: "0.1" }).catch(() => undefined);

    for (let i = 0; i < 10; i++) await place(i);
    expect(await waitFor(() => caughtUp(book, 2), 2000)).toBe(true);
    expect(same(book, 2)).toBe(true);
    expect(book.resyncs).toBe(0);

    dropNext = true;
    await place(10); // its L2_UPDATE is dropped: the client cannot know yet
    expect(await waitFor(() => wire.dropped.length === 1, 2000)).toBe(true);
    const missed = (wire.dropped[0] as L2Update).seq;
    expect(book.seq).toBe(missed - 1);
    expect(book.ready).toBe(true);
    await place(11); // the next one shows the gap
    expect(await waitFor(() => snapshotsOf(wire, 2).length === 1 && caughtUp(book, 2), 2000)).toBe(true);
    expect(same(book, 2)).toBe(true);

    // What went over the wire since the filter went in: SUBSCRIBED for the UNSUBSCRIBE (no
    // channels left), SUBSCRIBED for the new SUBSCRIBE, and a fresh snapshot carrying a sequence
    // number at or past the missed update.
    const snapshots = snapshotsOf(wire, 2);
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]!.seq).toBeGreaterThanOrEqual(missed);
    const subscribed = wire.seen.filter((m) => m.type === T.SUBSCRIBED && m.symbol === 2).map((m) => (m as { channels: number }).channels);
    expect(subscribed).toEqual([0, Channel.L2]);

    // And it stays in step afterwards.
    for (let i = 12; i < 30; i++) await place(i);
    expect(await waitFor(() => caughtUp(book, 2), 2000)).toBe(true);
    expect(same(book, 2)).toBe(true);
    expect(snapshotsOf(wire, 2)).toHaveLength(1); // one resync, no more
    expect(viewer.gaps).toBe(0); // market data carries no session sequence
  });

  test("random drops during heavy trading: one resync per gap seen, and the book ends equal to the engine's", async () => {
    const viewer = await client();
    const alice = await client("alice");
    const bob = await client("bob");
    const book = await bookOf(viewer, "BTC-USD");
    const r = rng(0x12e5_9c);
    let effective = 0;
    let dropping = true;
    const wire = intercept(viewer, (m) => {
      if (!dropping || m.type !== T.L2_UPDATE || m.symbol !== 1 || !r.chance(0.03)) return false;
      // A drop makes a gap only if the book was waiting for exactly this update.
      if (book.ready && m.seq === book.seq + 1) effective++;
      return true;
    });
    const rounds: Promise<unknown>[] = [];
    for (let i = 0; i < 600; i++) {
      const buy = r.chance(0.5);
      const trader = r.chance(0.5) ? alice : bob;
      const price = buy ? 29_900 + r.int(150) * 0.5 : 29_950 + r.int(150) * 0.5; // overlapping: they trade
      rounds.push(trader.placeOrder({ symbol: "BTC-USD", side: buy ? "buy" : "sell", price: String(price), qty: String((1 + r.int(5)) / 1000) }).catch(() => undefined));
      if (i % 50 === 49) {
        await Promise.all(rounds);
        await sleep(1);
      }
    }
    await Promise.all(rounds);
    dropping = false;
    // One more update, delivered, so a gap at the very end shows too.
    await alice.placeOrder({ symbol: "BTC-USD", side: "buy", price: "29000", qty: "0.001" });
    expect(await waitFor(() => caughtUp(book, 1), 5000)).toBe(true);
    expect(wire.dropped.length).toBeGreaterThan(5);
    expect(effective).toBeGreaterThan(2);
    expect(snapshotsOf(wire, 1).length).toBe(effective); // one fresh snapshot per gap
    expect(same(book, 1)).toBe(true);
  });

  // client.ts resync(): `void this.request(UNSUBSCRIBE).then(() => this.subscribeL2(id))` has no
  // catch. If the connection closes before the answers come, onClose rejects the waiter and the
  // rejection is unhandled (bun test fails the test with "connection closed: 1000 leaving"; an
  // application gets an unhandledRejection, which by default ends a Node process).
  test("a gap seen as the connection closes does not leave an unhandled rejection behind [fails: resync() has no catch]", async () => {
    const viewer = await client();
    const alice = await client("alice");
    const book = await bookOf(viewer, "ETH-USD");
    let phase = 0;
    const ws = (viewer as unknown as { ws: WebSocket }).ws;
    intercept(viewer, (m) => {
      if (m.type !== T.L2_UPDATE || m.symbol !== 2) return false;
      if (phase === 0) {
        phase = 1;
        return true; // the gap
      }
      if (phase === 1) {
        phase = 2;
        ws.close(1000, "leaving"); // the SDK will ask for a new snapshot on a closing socket
      }
      return false;
    });
    const before = rejections.length;
    await alice.placeOrder({ symbol: "ETH-USD", side: "buy", price: "1900", qty: "0.1" });
    await alice.placeOrder({ symbol: "ETH-USD", side: "buy", price: "1905", qty: "0.1" });
    expect(await waitFor(() => viewer.closed, 2000)).toBe(true);
    await sleep(50);
    expect(phase).toBe(2);
    expect(book.ready).toBe(false); // it did see the gap
    expect(rejections.slice(before)).toEqual([]);
  });
});

// ------------------------------------------------------------------------------ session sequence

describe("session sequence gaps (client.gaps)", () => {
  test("stay 0 on a healthy connection, whatever it is sent: answers, errors, rejects, fills", async () => {
    const alice = await client("alice");
    const bob = await client("bob");
    const ack = await alice.placeOrder({ symbol: "BTC-USD", side: "sell", price: "30100", qty: "0.01" });
    await bob.placeOrder({ symbol: "BTC-USD", side: "buy", price: "30100", qty: "0.004" }); // fills on both sides
    await alice.placeOrder({ symbol: "BTC-USD", side: "buy", price: "30000", qty: "100000" }).catch(() => undefined); // a REJECT
    alice.sendRaw(new Uint8Array([1, 0xee])); // an ERROR, unasked
    alice.sendRaw("text"); // another
    await alice.amend("BTC-USD", { orderId: (ack as { orderId: number }).orderId }, { price: "30100", qty: "0.008" });
    await alice.orderStatus("BTC-USD", { orderId: (ack as { orderId: number }).orderId });
    await alice.massCancel();
    await alice.referenceData();
    expect([alice.gaps, bob.gaps]).toEqual([0, 0]);
    expect(alice.lastSeq).toBeGreaterThan(10);
  });

  test("count a session message that never arrived, once per break", async () => {
    const alice = await client("alice");
    let drop = 0;
    const wire = intercept(alice, (m) => {
      if (drop > 0 && m.type === T.ERROR) {
        drop--;
        return true;
      }
      return false;
    });
    const step = async () => {
      alice.sendRaw(new Uint8Array([1, 0xee])); // answered by an ERROR
      await alice.referenceData(); // answered after it, in order
    };
    await step();
    expect(alice.gaps).toBe(0);
    drop = 1;
    await step();
    expect(wire.dropped).toHaveLength(1);
    expect(alice.gaps).toBe(1);
    await step();
    await step();
    expect(alice.gaps).toBe(1); // back in step: no further count
    drop = 2;
    alice.sendRaw(new Uint8Array([1, 0xee]));
    await step(); // two in a row missing: one break
    expect(alice.gaps).toBe(2);
    const last = wire.seen.filter((m) => m.type >= 0x40 && m.type < 0x80).at(-1) as { seq: number };
    expect(alice.lastSeq).toBe(last.seq);
  });
});
