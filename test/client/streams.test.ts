/**
 * The SDK's market-data helpers: trades, BBO, candles and market status as typed async
 * iterables with decimal prices and quantities, against a real server.
 */
import { expect, test } from "bun:test";
import { CommandType, makeCommand } from "../../engine/commands.ts";
import { BourseClient } from "../../client/client.ts";
import { sdkServerPerFile } from "../gateway/support/sdk-server.ts";

const server = sdkServerPerFile();
const connect = (name?: string): Promise<BourseClient> => server.client(name);

/** The first value of `it` that satisfies `match`, within 5 s; `it` stays open (a for-await that breaks would close it). */
async function first<T>(it: AsyncGenerator<T>, match: (x: T) => boolean): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("no matching value within 5 s")), 5000)));
  const find = (async () => {
    for (;;) {
      const r = await it.next();
      if (r.done) throw new Error("the stream ended");
      if (match(r.value)) return r.value;
    }
  })();
  return Promise.race([find, timeout]).finally(() => clearTimeout(timer));
}

test("trades, BBO and candles of a cross, in the instrument's decimals", async () => {
  const viewer = await connect();
  const trades = viewer.trades("ETH-USD");
  const nextTrade = trades.next();
  const candles = viewer.candles("ETH-USD", "1m");
  const nextCandle = candles.next();
  const bbo = viewer.bbo("ETH-USD");
  // The BBO comes at once on subscribe; the server answers in order, so trades and candles are subscribed too.
  const empty = (await bbo.next()).value!;
  expect(empty).toMatchObject({ symbol: "ETH-USD", symbolId: 2, bidPrice: "", bidPriceTicks: 0, bidQty: "0.00", askPrice: "", askQtyLots: 0 });

  const bob = await connect("bob");
  const dave = await connect("dave");
  await bob.placeOrder({ symbol: "ETH-USD", side: "sell", price: "2050.05", qty: "0.3" });
  await dave.placeOrder({ symbol: "ETH-USD", side: "buy", price: "2050.05", qty: "0.1" });

  expect((await nextTrade).value).toMatchObject({ symbol: "ETH-USD", aggressor: "buy", price: "2050.05", priceTicks: 41_001, qty: "0.10", qtyLots: 10 });
  expect((await nextCandle).value).toMatchObject({ symbol: "ETH-USD", interval: "1m", open: "2050.05", high: "2050.05", low: "2050.05", close: "2050.05", closeTicks: 41_001, volume: "0.10", volumeLots: 10, trades: 1, closed: false });
  const after = await first(bbo, (q) => q.askQtyLots === 20);
  expect(after).toMatchObject({ askPrice: "2050.05", askPriceTicks: 41_001, askQty: "0.20", bidPrice: "" });
  // A second BBO stream on the same connection starts from the latest one.
  const again = viewer.bbo("ETH-USD");
  expect((await again.next()).value).toEqual(after);
  await again.return(undefined);
  await trades.return(undefined);
  await candles.return(undefined);
  await bbo.return(undefined);
  await bob.massCancel();
});

test("market status: open at subscribe, then halted and open again", async () => {
  const viewer = await connect();
  const status = viewer.marketStatus("BTC-USD");
  expect((await status.next()).value).toMatchObject({ symbol: "BTC-USD", symbolId: 1, state: "open", reason: "OK", reasonCode: 0 });
  server.h.runtime.submit(makeCommand({ type: CommandType.HALT, symbol: 1 }));
  expect(await first(status, (s) => s.state !== "open")).toMatchObject({ state: "halted", reason: "SYMBOL_HALTED", until: 0 });
  server.h.runtime.submit(makeCommand({ type: CommandType.RESUME, symbol: 1 }));
  expect(await first(status, () => true)).toMatchObject({ state: "open", reason: "OK" });
  await status.return(undefined);
});

test("a stream ends when the connection closes", async () => {
  const viewer = await connect();
  const trades = viewer.trades("BTC-USD");
  const pending = trades.next();
  await (await viewer.bbo("BTC-USD").next()).value; // subscribed
  viewer.close();
  expect(await pending).toEqual({ done: true, value: undefined });
});
