import type { Ledger } from "./ledger.ts";
import { formatAmount } from "./money.ts";
import { Decimal, formatPrice, formatQty } from "./instrument.ts";

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
    const avgPrice = pos.qty !== 0 ? new Decimal(pos.cost.toString()).div(new Decimal(pos.qty).mul(m.k.toString())).mul(m.inst.tick) : new Decimal(0);
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
        averageCost: avgPrice.toDecimalPlaces(m.inst.tick.decimalPlaces() + 4).toString(),
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
