/**
 * EngineHost.portfolio: an account's cash and positions as the engine holds them after everything
 * submitted before the read, the same on this thread and from the engine worker (a control command
 * in the ring, never journaled), answered only once every command it reflects is delivered.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { startEngineHost } from "../../actors/engine-host.ts";
import { recover } from "../../actors/recovery.ts";
import { CommandType, makeCommand, OrderType, Side, TimeInForce } from "../../engine/commands.ts";
import { demoConfig, TempDirs } from "./temp-dirs.ts";

const dirs = new TempDirs("bourse-portfolio-");
afterAll(() => dirs.removeAll());

describe.each([0, 1])("workers %d", (workers) => {
  test("reads follow the commands submitted before them; an unknown account is undefined; nothing is journaled", async () => {
    const dir = dirs.make();
    const { host } = await startEngineHost({ config: demoConfig.exchange, dataDir: dir, workers });
    try {
      host.submit(makeCommand({ type: CommandType.OPEN_ACCOUNT, account: 7, tier: 1 }));
      host.submit(makeCommand({ type: CommandType.DEPOSIT, account: 7, currency: 1, amount: 5_000_000_000n }));
      // A resting buy reserves cash: the read sees the reservation, and answers only once the
      // order's delivery (its journal sync) is done.
      let delivered = 0;
      host.onDelivery((seq) => (delivered = seq));
      host.submit(makeCommand({ type: CommandType.NEW_ORDER, account: 7, symbol: 2, side: Side.BUY, orderType: OrderType.LIMIT, tif: TimeInForce.GTC, price: 39_000, qty: 100 }));
      const read = await host.portfolio(7);
      expect(read.seq).toBe(3);
      expect(delivered).toBeGreaterThanOrEqual(read.seq);
      const p = read.portfolio;
      expect(p?.account).toBe(7);
      const usd = p!.cash.find((c) => c.currency === "USD")!;
      expect(usd.balance).toBe(5_000_000_000n);
      expect(usd.reserved).toBeGreaterThan(0n);
      expect(usd.text.available).toBe((Number(usd.available) / 1e6).toFixed(6));
      expect((await host.portfolio(99)).portfolio).toBeUndefined();
    } finally {
      await host.shutdown();
    }
    // Three commands journaled; the reads none.
    expect(recover({ dataDir: dir, config: demoConfig.exchange, readOnly: true }).journalEnd).toBe(3);
  });
});
