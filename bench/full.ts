/**
 * The full path: the same streams through `Exchange.execute` (R1 validate / idempotency / risk /
 * reserve → the book → R2 settle / release / positions / P&L / lifecycle events), over the
 * streams' 1,000 accounts, and beside it the bare `MatchingEngine` on the very same instrument
 * ("book alone"), so the ratio full / book is the price of the account side.
 *
 * Setup is untimed: a fresh Exchange opens every account of the stream (ids 1..ACCOUNTS) on one
 * tier, deposits ample quote cash and an ample position (see `fundingFor`), so that no order is
 * rejected for funds or position; the bench then checks that none was (no REJECTED event) and
 * that the full path printed exactly the book alone's trades.
 *
 * Money: quote USD at scale 2 (cents), tick 0.01, lot 1, so the contract factor K is 1 unit and
 * a notional is price ticks × lots cents (~1e5 × 1..100). Fees 1 bps maker / 5 bps taker, rounded
 * up per fill. No client order ids (the stream has none), so the idempotency index stays empty.
 */
import { Command, CommandType, Side } from "../engine/commands.ts";
import { EventBuffer, EventType, F, EVENT_WIDTH, Rejected, Trade } from "../engine/events.ts";
import { Exchange, type ExchangeConfig } from "../engine/exchange.ts";
import type { InstrumentSpec } from "../engine/instrument.ts";
import { MatchingEngine } from "../engine/matching.ts";
import { loadCommand } from "./ours.ts";
import { ACCOUNTS, CENTER, type Stream, SYMBOL } from "./streams.ts";

export const USD = 1;
export const TIER = 1;
/** Least funding per account: $10bn in cents, and 10^6 lots at a cost basis of CENTER. */
export const MIN_CASH_UNITS = 1_000_000_000_000n;
export const MIN_POSITION_LOTS = 1_000_000;

/** What each account is given before the stream (index = account id). */
export interface Funding {
  cash: bigint[];
  lots: number[];
  totalCash: bigint;
}

/**
 * Ample funding, bounded from the stream itself so it holds for any --ops: each account gets at
 * least twice what all its orders could ever hold — lots: the sum of its sell quantities; cash:
 * the sum of its buy quantities at 1.06 × the highest price anywhere in the stream (a market
 * buy's cap is at most 5% above a traded price), fees included — and never less than the minimum.
 * Kept well below 2^53 units, as real balances are.
 */
export function fundingFor(s: Stream): Funding {
  let maxPrice = CENTER;
  for (let i = 0; i < s.length; i++) if (s.price[i]! > maxPrice) maxPrice = s.price[i]!;
  const buyQty = new Float64Array(ACCOUNTS + 1);
  const sellQty = new Float64Array(ACCOUNTS + 1);
  for (let i = 0; i < s.length; i++) {
    if (s.cmdType[i] !== CommandType.NEW_ORDER) continue;
    (s.side[i] === Side.BUY ? buyQty : sellQty)[s.account[i]!]! += s.qty[i]!;
  }
  const k = 1; // contract factor of FULL_INSTRUMENT in USD cents
  const cash: bigint[] = [0n];
  const lots: number[] = [0];
  let totalCash = 0n;
  for (let a = 1; a <= ACCOUNTS; a++) {
    const need = BigInt(Math.ceil(2 * buyQty[a]! * (Math.ceil(maxPrice * 1.06) * k + 1) * 1.001));
    const c = need > MIN_CASH_UNITS ? need : MIN_CASH_UNITS;
    cash.push(c);
    totalCash += c;
    lots.push(Math.max(MIN_POSITION_LOTS, 2 * sellQty[a]!));
  }
  return { cash, lots, totalCash };
}

/**
 * The instrument both sides run. referencePrice lets a market buy be costed (R1) before the first
 * trade; the book uses the same spec, so its market-order band is the same as the full path's.
 */
export const FULL_INSTRUMENT: InstrumentSpec = {
  id: SYMBOL,
  symbol: "BENCH",
  tickSize: "0.01",
  lotSize: "1",
  bandBps: 500,
  referencePrice: CENTER,
  base: "BENCH",
  quote: "USD",
};

export function fullConfig(): ExchangeConfig {
  return {
    currencies: [
      { id: USD, code: "USD", scale: 2 },
      { id: 2, code: "BENCH", scale: 0 },
    ],
    instruments: [FULL_INSTRUMENT],
    tiers: [{ id: TIER, makerBps: 1, takerBps: 5 }],
  };
}

/** The bare book on the full path's instrument. */
export function newBook(): MatchingEngine {
  return new MatchingEngine([FULL_INSTRUMENT]);
}

/**
 * A fresh Exchange with accounts 1..ACCOUNTS opened and funded (untimed setup; engine time
 * 1..3×ACCOUNTS µs, well before the stream's). Throws if any setup command is rejected.
 */
export function newExchange(f: Funding): Exchange {
  const ex = new Exchange(fullConfig());
  const c = new Command();
  const out = new EventBuffer();
  let time = 0;
  const run = () => {
    c.time = ++time;
    out.reset();
    ex.execute(c, out);
    for (let e = 0; e < out.count; e++) {
      if (out.get(e, F.TYPE) === EventType.REJECTED) throw new Error(`full-path setup: command ${c.type} for account ${c.account} rejected, reason ${Rejected.reason(out.data, e * EVENT_WIDTH)}`);
    }
  };
  for (let a = 1; a <= ACCOUNTS; a++) {
    c.reset();
    c.type = CommandType.OPEN_ACCOUNT;
    c.account = a;
    c.tier = TIER;
    run();
    c.reset();
    c.type = CommandType.DEPOSIT;
    c.account = a;
    c.currency = USD;
    c.amount = f.cash[a]!;
    run();
    c.reset();
    c.type = CommandType.DEPOSIT_POSITION;
    c.account = a;
    c.symbol = SYMBOL;
    c.qty = f.lots[a]!;
    c.price = CENTER;
    run();
  }
  return ex;
}

/** Drives an Exchange over a Stream: one reused Command and EventBuffer, as OursRunner does. */
export class FullRunner {
  readonly cmd = new Command();
  readonly out = new EventBuffer();

  /** Runs ops [from, to) back to back. Returns the number of events written (a checksum). */
  run(ex: Exchange, s: Stream, from: number, to: number): number {
    const out = this.out;
    const c = this.cmd;
    let events = 0;
    for (let i = from; i < to; i++) {
      loadCommand(c, s, i);
      out.reset();
      ex.execute(c, out);
      events += out.count;
    }
    return events;
  }

  /** Runs ops [from, to), timing each one; writes durations (ns) to lat[i - from]. */
  runTimed(ex: Exchange, s: Stream, from: number, to: number, lat: Float64Array): void {
    const out = this.out;
    const c = this.cmd;
    const now = Bun.nanoseconds;
    for (let i = from; i < to; i++) {
      loadCommand(c, s, i);
      out.reset();
      const t0 = now();
      ex.execute(c, out);
      lat[i - from] = now() - t0;
    }
  }
}

/** What a pass printed, for comparing the full path with the book alone (never timed). */
export interface TradeTally {
  trades: number;
  /** Order-sensitive hash over every trade's (taker, maker, price, qty). */
  hash: number;
  rejected: number;
  /** First reject seen, for the message. */
  firstReject: string;
  events: number;
}

function mix(h: number, x: number): number {
  h = Math.imul(h ^ (x >>> 0), 0x01000193);
  h = Math.imul(h ^ Math.floor(x / 4294967296), 0x01000193);
  return h >>> 0;
}

function tallyEvents(out: EventBuffer, t: TradeTally, op: number): void {
  const d = out.data;
  for (let e = 0; e < out.count; e++) {
    const b = e * EVENT_WIDTH;
    const type = d[b + F.TYPE]!;
    t.events++;
    if (type === EventType.TRADE) {
      t.trades++;
      let h = mix(t.hash, Trade.takerOrderId(d, b));
      h = mix(h, Trade.makerOrderId(d, b));
      h = mix(h, Trade.price(d, b));
      t.hash = mix(h, Trade.qty(d, b));
    } else if (type === EventType.REJECTED) {
      if (t.rejected++ === 0) t.firstReject = `op ${op}: order ${Rejected.orderId(d, b)} command ${Rejected.commandType(d, b)} reason ${Rejected.reason(d, b)}`;
    }
  }
}

const newTally = (): TradeTally => ({ trades: 0, hash: 0x811c9dc5, rejected: 0, firstReject: "", events: 0 });

export interface FullCheck {
  ok: boolean;
  problems: string[];
  book: TradeTally;
  full: TradeTally;
}

/** Every command of `s` through `target`, its events tallied. */
function tallyStream(s: Stream, target: { execute(c: Command, out: EventBuffer): void }): ReturnType<typeof newTally> {
  const tally = newTally();
  const c = new Command();
  const out = new EventBuffer();
  for (let i = 0; i < s.length; i++) {
    loadCommand(c, s, i);
    out.reset();
    target.execute(c, out);
    tallyEvents(out, tally, i);
  }
  return tally;
}

/**
 * Runs the whole stream once through the book alone and once through the full path, and checks:
 * no rejects on either, the same trades in the same order (count and hash), the generator's trade
 * count, the same final book, the account side's open orders = the book's, and cash conserved
 * (every account's balance plus the fee account's = what was deposited).
 */
export function verifyFull(s: Stream, f: Funding): FullCheck {
  const problems: string[] = [];
  const eng = newBook();
  const bookTally = tallyStream(s, eng);
  const ex = newExchange(f);
  const fullTally = tallyStream(s, ex);
  if (bookTally.rejected) problems.push(`book alone: ${bookTally.rejected} rejects (first ${bookTally.firstReject})`);
  if (fullTally.rejected) problems.push(`full path: ${fullTally.rejected} rejects (first ${fullTally.firstReject})`);
  if (bookTally.trades !== s.stats.final.trades) problems.push(`book alone: trades ${bookTally.trades} ≠ model ${s.stats.final.trades}`);
  if (fullTally.trades !== bookTally.trades || fullTally.hash !== bookTally.hash) {
    problems.push(`full path trades ${fullTally.trades} (hash ${fullTally.hash.toString(16)}) ≠ book alone ${bookTally.trades} (hash ${bookTally.hash.toString(16)})`);
  }
  const sameSide = (side: number) => JSON.stringify(eng.depth(SYMBOL, side)) === JSON.stringify(ex.book.depth(SYMBOL, side));
  if (!sameSide(Side.BUY) || !sameSide(Side.SELL)) problems.push("final books differ");
  if (eng.openOrderCount !== s.stats.final.orders) problems.push(`book alone: open orders ${eng.openOrderCount} ≠ model ${s.stats.final.orders}`);
  if (ex.open.size !== ex.book.openOrderCount) problems.push(`account side knows ${ex.open.size} open orders, the book ${ex.book.openOrderCount}`);
  let cash = 0n;
  for (const acct of ex.ledger.accounts.values()) cash += acct.cash.get(USD)?.balance ?? 0n;
  if (cash !== f.totalCash) problems.push(`cash not conserved: ${cash} ≠ ${f.totalCash}`);
  return { ok: problems.length === 0, problems, book: bookTally, full: fullTally };
}
