/**
 * The live portfolio end to end: the WebSocket door's PORTFOLIO frames folded by the SDK's
 * `client.portfolio()` equal the engine's own account state after a random stream of orders,
 * fills, amends and cancels; a new mark moves the unrealized P&L and equity of a holder; a session
 * sees only its own account, and must log in first.
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import type { BourseClient, PortfolioState } from "../../client/client.ts";
import { CommandType, makeCommand } from "../../engine/commands.ts";
import { decodeServer, encodeClient, FrameWriter, isProtocolError, MessageType, PortfolioKind } from "../../protocol/index.ts";
import { sdkServerPerFile } from "../gateway/support/sdk-server.ts";

const server = sdkServerPerFile();
const BOB = 2;

/**
 * Reads a portfolio() stream in the background, keeping the latest state: `until(match)` resolves
 * with the first state (the latest included) that matches, or fails after 5 s naming the last.
 */
function watch(feed: AsyncGenerator<PortfolioState>) {
  let latest: PortfolioState | undefined;
  const waiting = new Set<{ match: (s: PortfolioState) => boolean; resolve: (s: PortfolioState) => void }>();
  void (async () => {
    for await (const s of feed) {
      latest = s;
      for (const w of waiting) if (w.match(s)) (waiting.delete(w), w.resolve(s));
    }
  })();
  return {
    get latest() {
      return latest;
    },
    until(match: (s: PortfolioState) => boolean): Promise<PortfolioState> {
      if (latest && match(latest)) return Promise.resolve(latest);
      let timer: ReturnType<typeof setTimeout> | undefined;
      return new Promise<PortfolioState>((resolve, reject) => {
        const w = { match, resolve };
        waiting.add(w);
        timer = setTimeout(() => (waiting.delete(w), reject(new Error(`no matching state within 5 s; last: ${JSON.stringify(latest)}`))), 5000);
      }).finally(() => clearTimeout(timer));
    },
    // Not awaited: return() takes effect when the generator next wakes (a frame, or the close).
    stop: () => void feed.return(undefined),
  };
}

/** The engine's figures for `account` as the SDK names them (the same strings REST answers). */
async function engineState(account: number): Promise<{ seq: number; balances: unknown[]; positions: unknown[] }> {
  const r = await server.h.runtime.portfolio(account);
  const p = r.portfolio!;
  return {
    seq: r.seq,
    balances: p.cash.map((c) => ({ currency: c.currency, total: c.text.balance, reserved: c.text.reserved, available: c.text.available, equity: c.text.equity })),
    positions: p.positions.map((x) => ({ symbol: x.name, symbolId: x.symbol, qty: x.text.qty, averageCost: x.text.averageCost, markPrice: x.text.mark || null, realizedPnl: x.text.realized, unrealizedPnl: x.text.unrealized })),
  };
}

const same = (s: PortfolioState, e: { balances: unknown[]; positions: unknown[] }): boolean => JSON.stringify([s.balances, s.positions]) === JSON.stringify([e.balances, e.positions]);

type Action = { who: 0 | 1; kind: "order"; symbol: "BTC-USD" | "ETH-USD"; side: "buy" | "sell"; offset: number; qty: number } | { who: 0 | 1; kind: "cancel-all" } | { who: 0 | 1; kind: "amend"; qty: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ who: fc.constantFrom(0 as const, 1 as const), kind: fc.constant("order" as const), symbol: fc.constantFrom("BTC-USD" as const, "ETH-USD" as const), side: fc.constantFrom("buy" as const, "sell" as const), offset: fc.integer({ min: -3, max: 3 }), qty: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ who: fc.constantFrom(0 as const, 1 as const), kind: fc.constant("cancel-all" as const) }) },
  { weight: 1, arbitrary: fc.record({ who: fc.constantFrom(0 as const, 1 as const), kind: fc.constant("amend" as const), qty: fc.integer({ min: 1, max: 8 }) }) },
);

const REF = { "BTC-USD": 30_000, "ETH-USD": 2_000 } as const;

test("the folded diffs equal the engine's account state after a random stream", async () => {
  const bob = await server.client("bob");
  const alice = await server.client("alice");
  const feed = watch(bob.portfolio());
  const start = await feed.until(() => true);
  expect(start.account).toBe(BOB);
  expect(same(start, await engineState(BOB))).toBe(true);
  const open: Record<number, { symbol: string; orderId: number }[]> = { 0: [], 1: [] };
  let lastSeq = start.portfolioSeq;

  await fc.assert(
    fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 25 }), async (actions) => {
      for (const a of actions) {
        const c: BourseClient = a.who === 0 ? bob : alice;
        try {
          if (a.kind === "order") {
            const price = String(REF[a.symbol] + a.offset);
            const ack = await c.placeOrder({ symbol: a.symbol, side: a.side, price, qty: a.symbol === "BTC-USD" ? `0.00${a.qty}` : `0.0${a.qty}` });
            if ("orderId" in ack && ack.leaves !== "0") open[a.who]!.push({ symbol: a.symbol, orderId: ack.orderId });
          } else if (a.kind === "cancel-all") {
            await c.massCancel();
            open[a.who] = [];
          } else {
            const o = open[a.who]!.pop();
            if (o) await c.amend(o.symbol, { orderId: o.orderId }, { qty: o.symbol === "BTC-USD" ? `0.00${a.qty}` : `0.0${a.qty}` });
          }
        } catch {
          // Refusals (funds, an order filled meanwhile) change nothing; the comparison still holds.
        }
      }
      const want = await engineState(BOB);
      // The feed has caught up once it equals the engine at or after the read (a diff that is
      // never sent because nothing of bob's changed leaves the last state standing).
      const got = await feed.until((s) => same(s, want));
      // Diffs, in order: the SDK only folds an update that is the next one.
      expect(got.portfolioSeq).toBeGreaterThanOrEqual(lastSeq);
      lastSeq = got.portfolioSeq;
      expect({ balances: got.balances, positions: got.positions } as unknown).toEqual({ balances: want.balances, positions: want.positions });
    }),
    { numRuns: 6, endOnFailure: true },
  );
  expect(bob.portfolioResyncs).toBe(0);
  feed.stop();
});

test("a new mark moves a holder's unrealized P&L and equity; a fill moves cash and the position", async () => {
  const carol = await server.client("carol");
  const alice = await server.client("alice");
  const feed = watch(carol.portfolio());
  const before = await feed.until(() => true);
  expect(before.positions.some((p) => p.symbol === "ETH-USD")).toBe(false);
  // carol buys 0.01 ETH, from alice's ask or a cheaper one (above every bid, so alice's cannot sell elsewhere).
  await alice.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2050.00", qty: "0.01" });
  await carol.placeOrder({ symbol: "ETH-USD", side: "buy", price: "2050.00", qty: "0.01" });
  const filled = await feed.until((s) => s.positions.some((p) => p.symbol === "ETH-USD" && p.qty === "0.01"));
  expect(same(filled, await engineState(3))).toBe(true);
  // An operator's mark price: nothing of carol's traded, yet her position is revalued.
  server.h.runtime.submit(makeCommand({ type: CommandType.SET_MARK_PRICE, symbol: 2, price: 2_100 * 20 }));
  const marked = await feed.until((s) => s.positions.some((p) => p.symbol === "ETH-USD" && p.markPrice === "2100.00"));
  expect(same(marked, await engineState(3))).toBe(true);
  expect(marked.balances.find((b) => b.currency === "USD")!.equity).not.toBe(filled.balances.find((b) => b.currency === "USD")!.equity);
  expect(marked.positions.find((p) => p.symbol === "ETH-USD")!.unrealizedPnl).not.toBe(filled.positions.find((p) => p.symbol === "ETH-USD")!.unrealizedPnl);
  feed.stop();
});

test("PORTFOLIO_SUBSCRIBE before login is NOT_LOGGED_IN; a session's frames name only its own account", async () => {
  const ws = new WebSocket(server.h.url);
  ws.binaryType = "arraybuffer";
  const frames: ReturnType<typeof decodeServer>[] = [];
  let wake: (() => void) | null = null;
  ws.onmessage = (e) => {
    frames.push(decodeServer(new Uint8Array(e.data as ArrayBuffer)));
    wake?.();
  };
  const next = async (type: number) => {
    for (;;) {
      const f = frames.find((m) => !isProtocolError(m) && m.type === type);
      if (f) {
        frames.splice(frames.indexOf(f), 1);
        return f;
      }
      await new Promise<void>((r) => (wake = r));
    }
  };
  await new Promise<void>((r) => (ws.onopen = () => r()));
  const w = new FrameWriter();
  ws.send(w.bytes.slice(0, encodeClient(w, { type: MessageType.PORTFOLIO_SUBSCRIBE, requestId: 9 })));
  const err = await next(MessageType.ERROR);
  expect(err).toMatchObject({ requestId: 9, messageType: MessageType.PORTFOLIO_SUBSCRIBE });
  expect(frames.some((m) => !isProtocolError(m) && m.type === MessageType.PORTFOLIO)).toBe(false);
  ws.close();

  // dave's feed while bob trades with him: every frame is dave's account.
  const dave = await server.client("dave");
  const bob = await server.client("bob");
  const feed = watch(dave.portfolio());
  const s0 = await feed.until(() => true);
  expect(s0.account).toBe(4);
  await bob.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2001.00", qty: "0.01" });
  await dave.placeOrder({ symbol: "ETH-USD", side: "buy", price: "2001.00", qty: "0.01" });
  const s1 = await feed.until((s) => s.portfolioSeq > s0.portfolioSeq);
  expect(s1.account).toBe(4);
  feed.stop();
  expect(PortfolioKind.UNSUBSCRIBED).toBe(2);
});
