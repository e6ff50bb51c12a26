import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { type Command, CommandType, makeCommand, OrderType, Side, TimeInForce } from "../../engine/commands.ts";
import { EventBuffer, decodeEvents } from "../../engine/events.ts";
import { Exchange, type ExchangeConfig } from "../../engine/exchange.ts";
import { readExchangeSnapshot, writeExchangeSnapshot } from "../../engine/exchange-snapshot.ts";
import { portfolio } from "../../engine/pnl.ts";

const CONFIG: ExchangeConfig = {
  currencies: [{ id: 1, code: "USD", scale: 4 }],
  instruments: [
    { id: 1, symbol: "AAA", tickSize: "0.01", lotSize: "1", bandBps: 500, referencePrice: 100, base: "AAA", quote: "USD" },
    { id: 2, symbol: "BBB", tickSize: "0.5", lotSize: "0.1", bandBps: 1000, referencePrice: 100, base: "BBB", quote: "USD", volatilityBps: 400, volatilityWindowUs: 50, haltUs: 30 },
  ],
  tiers: [
    { id: 1, makerBps: 10, takerBps: 25, rateCount: 5, rateWindowUs: 20 },
    { id: 2, makerBps: 0, takerBps: 5, maxOrderQty: 50 },
  ],
  feeAccount: 9,
  idempotencyWindowUs: 200,
  destinationDelayUs: 10,
};

const SETUP: Command[] = [1, 2, 3].flatMap((account) => [
  makeCommand({ type: CommandType.OPEN_ACCOUNT, account, tier: account === 3 ? 2 : 1 }),
  makeCommand({ type: CommandType.DEPOSIT, account, currency: 1, amount: 1_000_000_000n }),
  makeCommand({ type: CommandType.DEPOSIT_POSITION, account, symbol: 1, qty: 40, price: 100 }),
  makeCommand({ type: CommandType.DEPOSIT_POSITION, account, symbol: 2, qty: 40, price: 100 }),
  makeCommand({ type: CommandType.ADD_DESTINATION, account, destination: `bank-${account}` }),
]);

const step = fc.record({
  kind: fc.integer({ min: 0, max: 12 }),
  account: fc.integer({ min: 1, max: 3 }),
  symbol: fc.constantFrom(1, 2),
  side: fc.constantFrom(Side.BUY, Side.SELL),
  price: fc.integer({ min: 96, max: 104 }),
  qty: fc.integer({ min: 1, max: 9 }),
  target: fc.integer({ min: 1, max: 40 }),
  client: fc.integer({ min: 0, max: 6 }),
});
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

function toCommand(s: Step, i: number): Command {
  const time = 1_000 + i * 3;
  const base = { time, account: s.account, symbol: s.symbol, side: s.side, price: s.price, qty: s.qty };
  const clientOrderId = s.client === 0 ? "" : `c${s.client}`;
  switch (s.kind) {
    case 0:
    case 1:
    case 2:
    case 3:
      return makeCommand({ ...base, type: CommandType.NEW_ORDER, orderId: i + 1, clientOrderId, tif: s.kind === 3 ? TimeInForce.GTD : TimeInForce.GTC, expireTime: time + 40 });
    case 4:
      return makeCommand({ ...base, type: CommandType.NEW_ORDER, orderId: i + 1, orderType: OrderType.MARKET, tif: TimeInForce.IOC, price: 0 });
    case 5:
      return makeCommand({ ...base, type: CommandType.NEW_ORDER, orderId: i + 1, orderType: OrderType.STOP, stopPrice: s.side === Side.BUY ? 103 : 97, price: 0 });
    case 6:
      return makeCommand({ ...base, type: CommandType.CANCEL, orderId: s.target });
    case 7:
      return makeCommand({ ...base, type: CommandType.AMEND, orderId: s.target });
    case 8:
      return makeCommand({ ...base, type: CommandType.MASS_CANCEL });
    case 9:
      return makeCommand({ ...base, type: CommandType.WITHDRAW, currency: 1, amount: BigInt(s.qty * 1000), destination: `bank-${s.account}` });
    case 10:
      return makeCommand({ ...base, type: CommandType.SET_MARK_PRICE });
    case 11:
      return makeCommand({ ...base, type: CommandType.HALT, expireTime: time + 9 });
    default:
      return makeCommand({ ...base, type: CommandType.TICK });
  }
}

function run(ex: Exchange, cmds: Command[]) {
  const out = new EventBuffer();
  return cmds.map((c) => {
    out.reset();
    ex.execute(c, out);
    return decodeEvents(out);
  });
}

const toText = (_k: string, v: unknown) => (v === Infinity ? "Infinity" : v === -Infinity ? "-Infinity" : v);
const fromText = (k: string, v: unknown) => (k !== "clientOrderId" && v === "Infinity" ? Infinity : k !== "clientOrderId" && v === "-Infinity" ? -Infinity : v);
const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));

describe("exchange snapshot", () => {
  test("a restored exchange has the same bytes, portfolios and future events as the original", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 70 }), fc.array(step, { maxLength: 40 }), (before, after) => {
        const original = new Exchange(CONFIG);
        run(original, SETUP);
        run(original, before.map(toCommand));
        const bytes = writeExchangeSnapshot(original);
        // The JSON part is written piecewise for speed; it must be exactly the one-call text.
        const text = new TextDecoder().decode(bytes.subarray(4 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true)));
        expect(text).toBe(JSON.stringify(JSON.parse(text, fromText), toText));
        const restored = readExchangeSnapshot(bytes);
        expect(writeExchangeSnapshot(restored)).toEqual(bytes);
        for (const account of [1, 2, 3, 9]) expect(json(portfolio(restored.ledger, account))).toBe(json(portfolio(original.ledger, account)));

        // Fresh commands for each run: risk writes a market or stop buy's cap into its command.
        const rest = () => after.map((s, i) => toCommand(s, before.length + i));
        expect(run(restored, rest())).toEqual(run(original, rest()));
        expect(writeExchangeSnapshot(restored)).toEqual(writeExchangeSnapshot(original));
      }),
      { numRuns: 120 },
    );
  });

  test("a client order id spelled Infinity stays a string through a snapshot", () => {
    const ex = new Exchange(CONFIG);
    run(ex, SETUP);
    run(ex, [makeCommand({ type: CommandType.NEW_ORDER, time: 1_000, orderId: 1, account: 1, symbol: 1, side: Side.BUY, price: 99, qty: 1, clientOrderId: "Infinity" })]);
    const restored = readExchangeSnapshot(writeExchangeSnapshot(ex));
    expect(restored.byClientId(1, "Infinity")?.clientOrderId).toBe("Infinity");
  });

  test("the idempotency window is written as columns, a few numbers a done order, and restored exactly", () => {
    const ex = new Exchange({ ...CONFIG, idempotencyWindowUs: 1_000_000 });
    run(ex, SETUP);
    // 300 IOC orders that do not trade (done at once, remembered) and one resting order.
    const cmds = Array.from({ length: 300 }, (_, i) =>
      makeCommand({ type: CommandType.NEW_ORDER, time: 1_000 + i * 10, orderId: i + 1, account: 1 + (i % 3), symbol: 1, side: Side.BUY, price: 99, qty: 1, tif: TimeInForce.IOC, clientOrderId: `ioc-${i}` }),
    );
    cmds.push(makeCommand({ type: CommandType.NEW_ORDER, time: 5_000, orderId: 999, account: 1, symbol: 1, side: Side.BUY, price: 99, qty: 1, clientOrderId: "resting" }));
    run(ex, cmds);
    expect(ex.idempotency.size).toBe(301);
    const bytes = writeExchangeSnapshot(ex);
    const state = JSON.parse(new TextDecoder().decode(bytes.subarray(4 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true))));
    expect(state.version).toBe(2);
    expect(JSON.stringify(state.idempotency).length / 301).toBeLessThan(40);
    const restored = readExchangeSnapshot(bytes);
    expect(restored.byClientId(2, "ioc-7")).toEqual(ex.byClientId(2, "ioc-7")!);
    expect(restored.byClientId(2, "ioc-7")?.orderId).toBe(8);
    expect(restored.byClientId(1, "resting")).toBe(restored.order(999)!);
    // A retry after the restore gets the same DUPLICATE as it would have before.
    const retry = () => [makeCommand({ type: CommandType.NEW_ORDER, time: 6_000, orderId: 5_000, account: 2, symbol: 1, side: Side.BUY, price: 99, qty: 1, tif: TimeInForce.IOC, clientOrderId: "ioc-7" })];
    expect(run(restored, retry())).toEqual(run(ex, retry()));
    expect(writeExchangeSnapshot(restored)).toEqual(writeExchangeSnapshot(ex));
  });

  test("a version 1 snapshot (done orders written in full) is still read, to the same state", () => {
    const ex = new Exchange(CONFIG);
    run(ex, SETUP);
    run(ex, [
      makeCommand({ type: CommandType.NEW_ORDER, time: 1_000, orderId: 1, account: 1, symbol: 1, side: Side.BUY, price: 99, qty: 2, clientOrderId: "open-1" }),
      makeCommand({ type: CommandType.NEW_ORDER, time: 1_001, orderId: 2, account: 2, symbol: 1, side: Side.SELL, price: 99, qty: 1, clientOrderId: "filled-2" }),
      makeCommand({ type: CommandType.NEW_ORDER, time: 1_002, orderId: 3, account: 3, symbol: 1, side: Side.BUY, price: 98, qty: 1, tif: TimeInForce.IOC, clientOrderId: "ioc-3" }),
    ]);
    const bytes = writeExchangeSnapshot(ex);
    const bookLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
    const state = JSON.parse(new TextDecoder().decode(bytes.subarray(4 + bookLength)), fromText);
    // What version 1 wrote: an open order by id, a done one as a full order record.
    const c = state.idempotency;
    const ids = c.ids.split(" ");
    let time = 0;
    let orderId = 0;
    let d = 0;
    state.idempotency = c.accounts.map((account: number, k: number) => {
      time += c.times[k];
      orderId += c.orderIds[k];
      if (c.states[k] === -1) return orderId;
      const [symbol, side, price, filled] = c.done.slice(d, (d += 4));
      return { orderId, account, symbol, side, orderType: 0, tif: 0, clientOrderId: ids[k], submitTime: time, makerBps: 0, takerBps: 0, state: c.states[k], price, qty: filled, leaves: 0, filled, cancelled: 0, reserved: "0", filledNotional: "0", fees: "0", riskCap: false };
    });
    expect(state.idempotency).toHaveLength(3);
    state.version = 1;
    const v1Json = new TextEncoder().encode(JSON.stringify(state, toText));
    const v1 = new Uint8Array(4 + bookLength + v1Json.length);
    v1.set(bytes.subarray(0, 4 + bookLength));
    v1.set(v1Json, 4 + bookLength);
    expect(writeExchangeSnapshot(readExchangeSnapshot(v1))).toEqual(bytes);
  });

  test("a truncated snapshot is refused with a clear error", () => {
    const bytes = writeExchangeSnapshot(new Exchange(CONFIG));
    expect(() => readExchangeSnapshot(bytes.subarray(0, 3))).toThrow(/truncated/);
    expect(() => readExchangeSnapshot(bytes.subarray(0, 40))).toThrow(/truncated/);
  });
});
