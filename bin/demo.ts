/**
 * `npm start` until the server exists: a scripted trading session fed through the exchange core —
 * accounts, pre-trade risk, matching, settlement — printing every event, the book and the
 * accounts' portfolios as a trader would read them (decimal prices and amounts, not ticks).
 */
import { InvariantError } from "../engine/errors.ts";
import { type CommandInit, CommandType, makeCommand, OrderType, Side, StpMode, TimeInForce } from "../engine/commands.ts";
import { EventBuffer, decodeEvents, type EngineEvent } from "../engine/events.ts";
import { formatPrice, formatQty, type Instrument, parsePrice, parseQty } from "../engine/instrument.ts";
import { Exchange } from "../engine/exchange.ts";
import { parseAmount } from "../engine/money.ts";
import { STATE_NAMES } from "../engine/orders.ts";
import { portfolio } from "../engine/pnl.ts";
import { reasonName } from "../engine/reasons.ts";

const BTC = 1;
const USD = { id: 1, code: "USD", scale: 6 };
const exchange = new Exchange({
  currencies: [USD, { id: 2, code: "BTC", scale: 8 }],
  instruments: [{ id: BTC, symbol: "BTC-USD", tickSize: "0.5", lotSize: "0.001", bandBps: 200, referencePrice: 60_000, base: "BTC", quote: "USD" }],
  tiers: [{ id: 1, makerBps: 10, takerBps: 20, maxOrderQty: 100_000, rateCount: 100, rateWindowUs: 1_000_000 }],
  feeAccount: 99,
});
const engine = exchange.book;
const inst = engine.instrument(BTC)!;
const out = new EventBuffer();
const names: Record<number, string> = { 1: "alice", 2: "bob", 3: "carol", 4: "dave", 99: "fees" };
let nextId = 1;
let time = 1_700_000_000_000_000; // engine time is µs since the epoch

function ticks(text: string): number {
  const r = parsePrice(inst, text);
  if (!r.ok) throw new InvariantError(`bad price ${text}: ${reasonName(r.reason)}`);
  return r.value;
}

function lots(text: string): number {
  const r = parseQty(inst, text);
  if (!r.ok) throw new InvariantError(`bad quantity ${text}: ${reasonName(r.reason)}`);
  return r.value;
}

function send(label: string, init: CommandInit): void {
  time += 1_000;
  const cmd = makeCommand({ symbol: BTC, time, ...init });
  if (cmd.type === CommandType.NEW_ORDER) cmd.orderId = nextId++;
  if (label) console.log(`\n> ${label}`);
  out.reset();
  exchange.execute(cmd, out);
  for (const e of decodeEvents(out)) {
    const line = describe(inst, e);
    if (line) console.log(`  ${line}`);
  }
}

function usd(text: string): bigint {
  const r = parseAmount(USD, text);
  if (!r.ok) throw new InvariantError(`bad amount ${text}`);
  return r.value;
}

function describe(i: Instrument, e: EngineEvent): string {
  const px = (t: number) => formatPrice(i, t);
  const q = (l: number) => formatQty(i, l);
  const side = (s: number) => (s === Side.BUY ? "buy" : "sell");
  switch (e.type) {
    case "accepted":
      return `accepted #${e.orderId} ${names[e.account]} ${side(e.side)} ${q(e.qty)}${e.price ? ` @ ${px(e.price)}` : ""}${e.stopPrice ? ` stop ${px(e.stopPrice)}` : ""}`;
    case "rejected":
      return `rejected #${e.orderId}: ${reasonName(e.reason)}`;
    case "trade":
      return `TRADE ${q(e.qty)} @ ${px(e.price)}  taker #${e.takerOrderId} (${names[e.takerAccount]}) × maker #${e.makerOrderId} (${names[e.makerAccount]})`;
    case "cancelled":
      return `cancelled #${e.orderId} ${q(e.qty)} (${reasonName(e.reason)})${e.leaves ? `, ${q(e.leaves)} left` : ""}`;
    case "expired":
      return `expired #${e.orderId} ${q(e.qty)} (${reasonName(e.reason)})`;
    case "stopTriggered":
      return `stop #${e.orderId} triggered at ${px(e.lastPrice)}`;
    case "amended":
      return `amended #${e.orderId} to ${q(e.qty)} @ ${px(e.price)} (${e.keptPriority ? "kept" : "lost"} priority)`;
    case "level":
      return `  level ${side(e.side)} ${px(e.price)}: ${q(e.qty)} in ${e.count} order(s)`;
    case "orderState":
      // The audit trail; show the transitions that end or start an order's life.
      return e.to === 1 || e.to >= 3 ? `    #${e.orderId} ${STATE_NAMES[e.from]} → ${STATE_NAMES[e.to]}${e.reason ? ` (${reasonName(e.reason)})` : ""}` : "";
    case "duplicate":
      return `duplicate client order id: already order #${e.orderId} (${STATE_NAMES[e.state]}), nothing created`;
    case "account":
      return "";
    default:
      return JSON.stringify(e);
  }
}

function printBook(): void {
  const asks = engine.depth(BTC, Side.SELL, 5).reverse();
  const bids = engine.depth(BTC, Side.BUY, 5);
  console.log("\n      BTC-USD book");
  for (const l of asks) console.log(`      ask ${formatPrice(inst, l.price).padStart(10)} ${formatQty(inst, l.qty).padStart(8)} (${l.count})`);
  console.log("      ----------------------------");
  for (const l of bids) console.log(`      bid ${formatPrice(inst, l.price).padStart(10)} ${formatQty(inst, l.qty).padStart(8)} (${l.count})`);
  console.log(`      last trade ${engine.lastPrice(BTC) ? formatPrice(inst, engine.lastPrice(BTC)) : "none"}`);
}

function printAccounts(): void {
  console.log("\n      accounts");
  for (const id of [1, 2, 3, 4, 99]) {
    const p = portfolio(exchange.ledger, id)!;
    const cash = p.cash.map((c) => `${c.currency} ${c.text.available} available (${c.text.reserved} reserved)`).join(", ") || "no cash";
    const pos = p.positions
      .filter((x) => x.qty !== 0 || x.realized !== 0n)
      .map((x) => `${x.name} ${x.text.qty} @ ${x.text.averageCost}, unrealized ${x.text.unrealized}, realized ${x.text.realized}`)
      .join("; ");
    console.log(`      ${names[id]!.padEnd(6)} ${cash}${pos ? `; ${pos}` : ""}`);
  }
}

const NEW = CommandType.NEW_ORDER;
for (const account of [1, 2, 3, 4]) send(`open account ${names[account]}`, { type: CommandType.OPEN_ACCOUNT, account, tier: 1 });
send("alice and bob each deposit 2 BTC (cost 29,000) and 20,000 USD; carol and dave 50,000 USD", { type: CommandType.DEPOSIT_POSITION, account: 1, qty: lots("2"), price: ticks("29000") });
send("", { type: CommandType.DEPOSIT_POSITION, account: 2, qty: lots("2"), price: ticks("29000") });
send("", { type: CommandType.DEPOSIT, account: 1, currency: USD.id, amount: usd("20000") });
send("", { type: CommandType.DEPOSIT, account: 2, currency: USD.id, amount: usd("20000") });
send("", { type: CommandType.DEPOSIT, account: 3, currency: USD.id, amount: usd("50000") });
send("", { type: CommandType.DEPOSIT, account: 4, currency: USD.id, amount: usd("50000") });
send("alice offers 0.5 @ 30010", { type: NEW, account: 1, side: Side.SELL, price: ticks("30010"), qty: lots("0.5") });
send("bob offers 0.8 @ 30010.5", { type: NEW, account: 2, side: Side.SELL, price: ticks("30010.5"), qty: lots("0.8") });
send("alice offers 1.2 @ 30012", { type: NEW, account: 1, side: Side.SELL, price: ticks("30012"), qty: lots("1.2") });
send("carol bids 0.7 @ 30005", { type: NEW, account: 3, side: Side.BUY, price: ticks("30005"), qty: lots("0.7") });
send("dave bids 0.4 @ 30005 (behind carol in time)", { type: NEW, account: 4, side: Side.BUY, price: ticks("30005"), qty: lots("0.4") });
send("carol places a buy stop 0.3 at 30010.5", { type: NEW, account: 3, side: Side.BUY, orderType: OrderType.STOP, tif: TimeInForce.GTC, stopPrice: ticks("30010.5"), qty: lots("0.3") });
printBook();
send("dave buys 0.9 at market: sweeps two levels and fires carol's stop", { type: NEW, account: 4, side: Side.BUY, orderType: OrderType.MARKET, tif: TimeInForce.IOC, qty: lots("0.9") });
printBook();
{
  const r = parsePrice(inst, "30010.25");
  console.log(`\n> a price off the 0.5 tick grid is refused at the edge\n  "30010.25" → ${r.ok ? r.value : reasonName(r.reason)}`);
}
send("alice buys 0.6 up to 30012: bob's 0.1 first, then her own offer stops her (self-trade prevention)", { type: NEW, account: 1, side: Side.BUY, price: ticks("30012"), qty: lots("0.6"), stp: StpMode.CANCEL_NEWEST });
send("carol tries to buy 2 BTC @ 30000: more than her cash, refused before the book", { type: NEW, account: 3, side: Side.BUY, price: ticks("30000"), qty: lots("2") });
send("dave retries an order with the same client order id: nothing new is created", { type: NEW, account: 4, side: Side.BUY, price: ticks("29000"), qty: lots("0.1"), clientOrderId: "dave-1" });
send("", { type: NEW, account: 4, side: Side.BUY, price: ticks("29000"), qty: lots("0.1"), clientOrderId: "dave-1" });
send("carol shrinks her bid to 0.5: keeps her place in the queue", { type: CommandType.AMEND, orderId: 4, account: 3, price: ticks("30005"), qty: lots("0.5") });
send("bob sells 1.0 fill-or-kill @ 30005: 0.9 is there, so nothing trades", { type: NEW, account: 2, side: Side.SELL, price: ticks("30005"), qty: lots("1.0"), tif: TimeInForce.FOK });
send("bob sells 0.6 IOC @ 30005: carol first, then dave", { type: NEW, account: 2, side: Side.SELL, price: ticks("30005"), qty: lots("0.6"), tif: TimeInForce.IOC });
printBook();
send("end of day: nothing is DAY here, so GTC orders stay", { type: CommandType.END_OF_DAY, symbol: -1 });
send("alice cancels everything", { type: CommandType.MASS_CANCEL, account: 1, symbol: -1 });
printBook();
printAccounts();
