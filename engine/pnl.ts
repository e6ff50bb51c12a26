import type { Ledger } from "./ledger.ts";
import { formatAmount } from "./money.ts";
import { type Decimal, formatPrice, formatQty } from "./instrument.ts";

/**
 * An account's portfolio valued at the mark (docs/accounts.md, Mark and unrealized). Exact BigInt
 * units, plus decimal strings formatted at the edge for people and JSON.
 */
export interface CashView {
  currency: string;
  balance: bigint;
  reserved: bigint;
  available: bigint;
  /** Balance plus the marked value of positions quoted in this currency. */
  equity: bigint;
  text: { balance: string; reserved: string; available: string; equity: string };
}

export interface PositionView {
  symbol: number;
  name: string;
  qty: number;
  cost: bigint;
  realized: bigint;
  mark: number;
  /** qty × mark × K − cost; 0 without a mark. */
  unrealized: bigint;
  openBuys: number;
  openSells: number;
  text: { qty: string; averageCost: string; realized: string; unrealized: string; mark: string };
}

export interface Portfolio {
  account: number;
  tier: number;
  cash: CashView[];
  positions: PositionView[];
}

export function portfolio(ledger: Ledger, accountId: number): Portfolio | undefined {
  const acct = ledger.accounts.get(accountId);
  if (!acct) return undefined;
  const marked = new Map<number, bigint>();
  const positions: PositionView[] = [];
  for (const [symbol, pos] of [...acct.positions].sort((a, b) => a[0] - b[0])) {
    const m = ledger.markets.get(symbol)!;
    const quote = ledger.currencies.get(m.quote)!;
    const mark = ledger.mark(symbol);
    const value = mark > 0 ? BigInt(pos.qty) * BigInt(mark) * m.k : pos.cost;
    const unrealized = value - pos.cost;
    marked.set(m.quote, (marked.get(m.quote) ?? 0n) + value);
    // Average cost in price terms: cost / (qty × K) ticks × tickSize, exactly (no float on money).
    positions.push({
      symbol,
      name: m.inst.symbol,
      qty: pos.qty,
      cost: pos.cost,
      realized: pos.realized,
      mark,
      unrealized,
      openBuys: pos.openBuys,
      openSells: pos.openSells,
      text: {
        qty: formatQty(m.inst, pos.qty),
        averageCost: averageCostText(pos.cost, pos.qty, m.k, m.inst.tick),
        realized: formatAmount(quote, pos.realized),
        unrealized: formatAmount(quote, unrealized),
        mark: mark > 0 ? formatPrice(m.inst, mark) : "",
      },
    });
  }
  const cash: CashView[] = [];
  const currencies = new Set([...acct.cash.keys(), ...marked.keys()]);
  for (const id of [...currencies].sort((a, b) => a - b)) {
    const c = ledger.currencies.get(id)!;
    const bal = acct.cash.get(id);
    const balance = bal?.balance ?? 0n;
    const reserved = bal?.reserved ?? 0n;
    const equity = balance + (marked.get(id) ?? 0n);
    cash.push({
      currency: c.code,
      balance,
      reserved,
      available: balance - reserved,
      equity,
      text: {
        balance: formatAmount(c, balance),
        reserved: formatAmount(c, reserved),
        available: formatAmount(c, balance - reserved),
        equity: formatAmount(c, equity),
      },
    });
  }
  return { account: acct.id, tier: acct.tier, cash, positions };
}

/** A tick size as tickInt / 10^places, worked out once per instrument. */
const TICKS = new WeakMap<Decimal, { int: bigint; places: number }>();

/**
 * cost / (qty × K) ticks × tickSize: the average price paid for an open position, to the tick's
 * decimals plus 4, rounded half away from zero, trailing zeros dropped ("29047.61905", "29000").
 * BigInt, not decimal.js: a portfolio read (REST balances, each live-portfolio update) formats
 * every position, and this was most of what such a read cost. 0 when flat.
 */
export function averageCostText(cost: bigint, qty: number, k: bigint, tick: Decimal): string {
  if (qty === 0) return "0";
  let t = TICKS.get(tick);
  if (!t) {
    const places = tick.decimalPlaces();
    TICKS.set(tick, (t = { int: BigInt(tick.mul(10 ** places).toFixed(0)), places }));
  }
  const places = t.places + 4;
  // cost × tickInt / 10^tickPlaces / (qty × K), scaled by 10^places: the 10^tickPlaces cancels but for 10^4.
  const num = cost * t.int * 10_000n;
  const den = BigInt(qty) * k;
  const neg = num < 0n !== den < 0n && num !== 0n;
  const n = num < 0n ? -num : num;
  const d = den < 0n ? -den : den;
  const q = (2n * n + d) / (2n * d);
  if (q === 0n) return "0";
  const digits = q.toString().padStart(places + 1, "0");
  const whole = digits.slice(0, digits.length - places);
  const frac = digits.slice(digits.length - places).replace(/0+$/, "");
  return `${neg ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}
