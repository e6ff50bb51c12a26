/**
 * The live portfolio's feed on its own, over a real engine on this thread: an update lists only
 * the entries that changed; reads are coalesced (one in flight per account); an account nobody
 * watches is never read; unsubscribing answers and stops the reads.
 */
import { afterAll, expect, test } from "bun:test";
import { readDeliveries } from "../../actors/delivered-events.ts";
import { startEngineHost } from "../../actors/engine-host.ts";
import { CommandType, makeCommand, OrderType, Side, TimeInForce } from "../../engine/commands.ts";
import { silentLogger } from "../../log/logger.ts";
import { PortfolioKind } from "../../protocol/index.ts";
import { type PortfolioFrame, PortfolioFeed, type PortfolioTarget } from "../../gateway/ws/portfolio-feed.ts";
import { demoConfig, TempDirs } from "../actors/temp-dirs.ts";

const dirs = new TempDirs("bourse-pfeed-");
afterAll(() => dirs.removeAll());

class Target implements PortfolioTarget {
  readonly frames: PortfolioFrame[] = [];
  private wake: (() => void) | null = null;
  constructor(readonly account: number) {}
  sendPortfolio(f: PortfolioFrame): void {
    this.frames.push(f);
    this.wake?.();
  }
  async next(): Promise<PortfolioFrame> {
    while (this.frames.length === 0) await new Promise<void>((r) => (this.wake = r));
    return this.frames.shift()!;
  }
}

test("updates carry only what changed; reads coalesce; unwatched accounts cost no read", async () => {
  const { host } = await startEngineHost({ config: demoConfig.exchange, dataDir: dirs.make(), workers: 0 });
  const reads: number[] = [];
  const feed = new PortfolioFeed({ read: (a) => (reads.push(a), host.portfolio(a)), feeAccount: 0, log: silentLogger });
  host.onDelivery(readDeliveries(feed.deliver));
  try {
    host.submit(makeCommand({ type: CommandType.OPEN_ACCOUNT, account: 7, tier: 1 }));
    host.submit(makeCommand({ type: CommandType.DEPOSIT, account: 7, currency: 1, amount: 5_000_000_000n }));
    host.submit(makeCommand({ type: CommandType.OPEN_ACCOUNT, account: 8, tier: 1 }));
    host.submit(makeCommand({ type: CommandType.DEPOSIT, account: 8, currency: 1, amount: 5_000_000_000n }));
    await host.portfolio(8);
    expect(reads).toEqual([]); // the feed read nothing: nobody watched

    const t = new Target(7);
    feed.subscribe(t, 11);
    const snap = await t.next();
    expect(snap).toMatchObject({ requestId: 11, kind: PortfolioKind.SNAPSHOT, portfolioSeq: 0, account: 7 });
    expect(snap.cash.map((c) => c.currency)).toEqual(["USD"]);

    // Account 8's orders: 7's state is untouched, so no read of 7 and no frame.
    reads.length = 0;
    host.submit(makeCommand({ type: CommandType.NEW_ORDER, account: 8, symbol: 2, side: Side.BUY, orderType: OrderType.LIMIT, tif: TimeInForce.GTC, price: 39_000, qty: 100 }));
    await host.portfolio(8);
    expect(reads).toEqual([]);
    expect(t.frames).toEqual([]);

    // Ten orders of 7's in one turn: their deliveries mark 7 ten times; reads stay one at a time.
    reads.length = 0;
    for (let i = 0; i < 10; i++) host.submit(makeCommand({ type: CommandType.NEW_ORDER, account: 7, symbol: 2, side: Side.BUY, orderType: OrderType.LIMIT, tif: TimeInForce.GTC, price: 39_000 - i, qty: 100 }));
    const want = (await host.portfolio(7)).portfolio!;
    let last = await t.next();
    while (last.cash[0]?.reserved !== want.cash[0]!.text.reserved) last = await t.next();
    expect(reads.filter((a) => a === 7).length).toBeLessThanOrEqual(3);
    expect(last).toMatchObject({ requestId: 0, kind: PortfolioKind.UPDATE, account: 7 });

    // One more order: only USD's reserve moves, so the update is that one entry, and the next seq.
    host.submit(makeCommand({ type: CommandType.NEW_ORDER, account: 7, symbol: 2, side: Side.BUY, orderType: OrderType.LIMIT, tif: TimeInForce.GTC, price: 38_500, qty: 10 }));
    const one = await t.next();
    expect(one).toMatchObject({ kind: PortfolioKind.UPDATE, portfolioSeq: last.portfolioSeq + 1 });
    expect(one.cash.map((c) => c.currency)).toEqual(["USD"]);
    expect(one.positions).toEqual([]);

    // Unsubscribed: answered, and later changes to 7 are not read.
    feed.unsubscribe(t, 12);
    expect(t.frames.at(-1)).toMatchObject({ requestId: 12, kind: PortfolioKind.UNSUBSCRIBED, cash: [], positions: [] });
    reads.length = 0;
    host.submit(makeCommand({ type: CommandType.NEW_ORDER, account: 7, symbol: 2, side: Side.BUY, orderType: OrderType.LIMIT, tif: TimeInForce.GTC, price: 38_000, qty: 100 }));
    await host.portfolio(8);
    expect(reads).toEqual([]);
    expect(feed.subscribers).toBe(0);
  } finally {
    await host.shutdown();
  }
});
