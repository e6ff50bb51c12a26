/**
 * An update frame holds 65,535 entries (a u16 count). A command that changes more L2 levels, or
 * prints more trades, than that must go out as consecutive frames with consecutive sequence
 * numbers — not throw and leave subscribers with a gap.
 */
import { expect, test } from "bun:test";
import { CommandType, makeCommand, OrderType, Side, TimeInForce } from "../../engine/commands.ts";
import { EventBuffer } from "../../engine/events.ts";
import { MatchingEngine } from "../../engine/matching.ts";
import { MarketDataFanout } from "../../gateway/ws/market-data-fanout.ts";
import { decodeServer, isProtocolError, type L2Update, MessageType as T, type Trades } from "../../protocol/index.ts";

const SPEC = { id: 1, symbol: "WIDE", tickSize: "1", lotSize: "1", bandBps: 0, referencePrice: 0 };
const N = 70_000;

function run(lastCommand: Parameters<typeof makeCommand>[0]) {
  const engine = new MatchingEngine([SPEC]);
  const md = new MarketDataFanout([1], []);
  const out = new EventBuffer();
  const frames: (L2Update | Trades)[] = [];
  const publish = (_t: string, f: Uint8Array) => {
    const m = decodeServer(f.slice());
    if (isProtocolError(m)) throw new Error(m.message);
    if (m.type === T.L2_UPDATE || m.type === T.TRADES) frames.push(m);
  };
  let time = 1_000_000;
  for (let i = 1; i <= N; i++) {
    out.reset();
    engine.execute(makeCommand({ type: CommandType.NEW_ORDER, orderId: i, account: 1, symbol: 1, side: Side.SELL, orderType: OrderType.LIMIT, tif: TimeInForce.GTC, price: 1000 + i, qty: 1, time: ++time }), out);
    md.apply(out, time, i, 0, out.count, () => {});
  }
  out.reset();
  engine.execute(makeCommand({ ...lastCommand, time: ++time }), out);
  md.apply(out, time, N + 1, 0, out.count, publish);
  return frames;
}

test("a mass cancel of 70,000 levels goes out as two L2_UPDATE frames with consecutive sequence numbers", () => {
  const frames = run({ type: CommandType.MASS_CANCEL, account: 1, symbol: 1 }).filter((f): f is L2Update => f.type === T.L2_UPDATE);
  expect(frames.map((f) => f.changes.length)).toEqual([65_535, N - 65_535]);
  expect(frames[1]!.seq).toBe(frames[0]!.seq + 1);
  expect(frames.flatMap((f) => f.changes).every((c) => c.qty === 0)).toBe(true);
});

test("a sweep of 70,000 orders goes out as two TRADES frames with consecutive sequence numbers", () => {
  const frames = run({ type: CommandType.NEW_ORDER, orderId: N + 1, account: 2, symbol: 1, side: Side.BUY, orderType: OrderType.LIMIT, tif: TimeInForce.IOC, price: 1000 + N, qty: N });
  const trades = frames.filter((f): f is Trades => f.type === T.TRADES);
  expect(trades.map((f) => f.trades.length)).toEqual([65_535, N - 65_535]);
  expect(trades[1]!.seq).toBe(trades[0]!.seq + 1);
  const l2 = frames.filter((f): f is L2Update => f.type === T.L2_UPDATE);
  expect(l2.reduce((s, f) => s + f.changes.length, 0)).toBe(N);
});
