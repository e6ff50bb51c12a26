/**
 * engine/window-json.ts writes the idempotency window's snapshot columns straight to bytes; they
 * must be exactly the bytes of JSON.stringify(writeWindow(w)) (the reference, and what snapshots
 * and state hashes were before), or a replica's hash would disagree with the engine's and
 * snapshots written before would no longer compare.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { CommandType, makeCommand, OrderType, Side, TimeInForce } from "../../engine/commands.ts";
import { EventBuffer } from "../../engine/events.ts";
import { Exchange, type ExchangeConfig } from "../../engine/exchange.ts";
import { type AccountSideState, stateJson, writeExchangeSnapshot } from "../../engine/exchange-snapshot.ts";
import { writeWindow } from "../../engine/idempotency-snapshot.ts";
import { IdempotencyWindow } from "../../engine/idempotency-window.ts";
import { OmsOrder, OrderState } from "../../engine/orders.ts";
import { writeWindowJson } from "../../engine/window-json.ts";

const reference = (w: IdempotencyWindow) => new TextEncoder().encode(JSON.stringify(writeWindow(w)));

const anyNumber = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.constantFrom(0, -0, 9, 10, 99, 100, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53, 1e21, -1e21, 1.5, -0.25, 1e-7, NaN, Infinity, -Infinity),
  fc.double(),
  fc.maxSafeInteger(),
);
const entry = fc.record({
  open: fc.boolean(),
  account: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.maxSafeNat()),
  // Every byte value, though the engine lets only printable ASCII in: quotes, backslashes,
  // control characters and bytes past 0x7f each have their own JSON form.
  id: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 36 }).map((b) => String.fromCharCode(...b)),
  // Times and order ids out of order too: the columns hold differences, some negative.
  time: fc.integer({ min: 0, max: 1_000 }).map((t) => 1_700_000_000_000_000 + t),
  orderId: fc.integer({ min: 1, max: 1_000_000 }),
  symbol: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  side: fc.integer({ min: 0, max: 255 }),
  price: anyNumber,
  filled: anyNumber,
  state: fc.integer({ min: 0, max: 254 }),
});

describe("writeWindowJson", () => {
  test("writes exactly the bytes of JSON.stringify(writeWindow(w)) for any entries", () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 60 }), (entries) => {
        const w = new IdempotencyWindow(1e12, { rows: 4 });
        const seen = new Set<string>();
        for (const e of entries) {
          const key = `${e.account}/${e.id}`;
          if (seen.has(key)) continue;
          seen.add(key);
          if (e.open) {
            const o = new OmsOrder(e.orderId, e.account, 1, 0, 0, 0, e.id, e.time, 0, 0);
            o.state = OrderState.NEW;
            w.add(o);
          } else {
            w.addDone({ orderId: e.orderId, account: e.account, clientOrderId: e.id, submitTime: e.time, symbol: e.symbol, side: e.side, price: e.price, filled: e.filled, leaves: 0, state: e.state });
          }
        }
        expect(Buffer.from(writeWindowJson(w)).toString("latin1")).toBe(Buffer.from(reference(w)).toString("latin1"));
      }),
      { numRuns: 500 },
    );
  });

  test("an empty window", () => {
    const w = new IdempotencyWindow(1e6);
    expect(new TextDecoder().decode(writeWindowJson(w))).toBe(JSON.stringify(writeWindow(w)));
  });
});

test("writeExchangeSnapshot's bytes are the book and stateJson of the whole state, window included", () => {
  const config: ExchangeConfig = {
    currencies: [{ id: 1, code: "USD", scale: 2 }],
    instruments: [{ id: 1, symbol: "AAA", tickSize: "0.01", lotSize: "1", bandBps: 500, referencePrice: 10_000, base: "AAA", quote: "USD" }],
    tiers: [{ id: 1, makerBps: 1, takerBps: 5 }],
    feeAccount: 9,
    idempotencyWindowUs: 1e9,
  };
  const ex = new Exchange(config);
  const out = new EventBuffer();
  const run = (c: Parameters<typeof makeCommand>[0]) => {
    out.reset();
    ex.execute(makeCommand(c), out);
  };
  for (const account of [1, 2, 9]) {
    run({ type: CommandType.OPEN_ACCOUNT, account, tier: 1, time: 1 });
    run({ type: CommandType.DEPOSIT, account, currency: 1, amount: 10n ** 12n, time: 1 });
  }
  run({ type: CommandType.DEPOSIT_POSITION, account: 2, symbol: 1, qty: 100, price: 10_000, time: 1 });
  // Resting (open entries), traded and IOC-cancelled (done entries), ids with quotes and backslashes.
  const ids = ['a"1', "b\\2", "c-3", "d 4", "e5"];
  for (let i = 0; i < ids.length; i++) {
    run({ type: CommandType.NEW_ORDER, time: 10 + i, orderId: 100 + i, account: 1 + (i % 2), symbol: 1, side: i % 2 === 0 ? Side.BUY : Side.SELL, orderType: OrderType.LIMIT, tif: i === 4 ? TimeInForce.IOC : TimeInForce.GTC, price: 9_990 + i, qty: 3, clientOrderId: ids[i]! });
  }
  expect(ex.idempotency.size).toBeGreaterThan(0);
  const bytes = writeExchangeSnapshot(ex);
  const bookLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  const text = new TextDecoder().decode(bytes.subarray(4 + bookLength));
  const parsed = JSON.parse(text) as AccountSideState;
  expect(text).toBe(stateJson({ ...parsed, config: ex.config, accounts: parsed.accounts, idempotency: writeWindow(ex.idempotency) }));
});
