import { Side } from "../engine/commands.ts";
import type { Exchange } from "../engine/exchange.ts";
import type { LevelView, OrderView } from "../engine/matching.ts";
import { OrderState } from "../engine/orders.ts";
import type { IdentityRecord } from "../engine/identity.ts";

/** One symbol's book as recovered: what market data starts from. */
export interface RecoveredBook {
  symbol: number;
  bids: LevelView[];
  asks: LevelView[];
  /** `marketData`: the venue market data flag (MarketDataStatus; docs/venues.md), for the market data guard's `initial`. */
  status?: { state: number; until: number; reason: number; marketData?: number };
  /** Resting orders, bids then asks, each level in queue order. */
  orders: OrderView[];
  /** Orders queued while the symbol cannot trade, in arrival order. */
  queued: OrderView[];
}

/** An open order as recovered: the book's view of it, with what the doors report about it. */
export interface RecoveredOrder extends Pick<OrderView, "orderId" | "account" | "symbol" | "side" | "orderType" | "tif" | "price" | "stopPrice" | "qty" | "filled" | "leaves"> {
  clientOrderId: string;
  submitTime: number;
  state: number;
  /** Σ price × qty of its fills, in ticks × lots (exact below 2^53): the average price's numerator; NaN if unknown. */
  notional: number;
}

/**
 * What the doors need of the recovered exchange before the first command: the books (market data
 * L2/L3 start there) and the open orders (the order read model starts there). Plain data, so the
 * engine worker can post it to the main thread; read on the engine's thread before any command
 * runs, so it is exactly the durable state.
 */
export interface RecoveredState {
  books: RecoveredBook[];
  orders: RecoveredOrder[];
  /** Ids of the accounts the recovered ledger holds (a config naming others is told so at start). */
  accounts: number[];
  /** Withdrawals awaiting an operator's approval (amounts as decimal strings of currency units). */
  withdrawals: { account: number; id: number; currency: number; amount: string; destination: string; time: number }[];
  /** Users and API keys as journaled (engine/identity.ts): the doors authenticate against a copy kept current from here. */
  identity: IdentityRecord;
}

export function readRecoveredState(exchange: Exchange, symbols: readonly number[]): RecoveredState {
  const book = exchange.book;
  const books: RecoveredBook[] = symbols.map((symbol) => ({
    symbol,
    bids: book.depth(symbol, Side.BUY),
    asks: book.depth(symbol, Side.SELL),
    // The exchange's view, not the book's: a flagged venue's reason (docs/venues.md) survives a restart on the doors.
    status: exchange.market(symbol),
    orders: [...book.orders(symbol, Side.BUY), ...book.orders(symbol, Side.SELL)],
    queued: book.queued(symbol),
  }));
  const orders: RecoveredOrder[] = [];
  for (const v of book.openOrders()) {
    const o = exchange.open.get(v.orderId);
    // The notional in quote units over the contract factor is exact in ticks × lots.
    const notional = o?.market ? Number(o.filledNotional / o.market.k) : Number.NaN;
    orders.push({
      orderId: v.orderId,
      account: v.account,
      symbol: v.symbol,
      side: v.side,
      orderType: v.orderType,
      tif: v.tif,
      clientOrderId: o?.clientOrderId ?? "",
      submitTime: o?.submitTime ?? 0,
      state: o?.state ?? (v.filled > 0 ? OrderState.PARTIALLY_FILLED : OrderState.NEW),
      price: v.price,
      stopPrice: v.stopPrice,
      qty: v.qty,
      filled: v.filled,
      leaves: v.leaves,
      notional,
    });
  }
  // Routed orders live at their venue, not in the book (docs/venues.md): the account side's record.
  for (const [id, r] of exchange.routing.open) {
    const o = exchange.open.get(id)!;
    orders.push({
      orderId: id,
      account: o.account,
      symbol: o.symbol,
      side: o.side,
      orderType: o.orderType,
      tif: o.tif,
      clientOrderId: o.clientOrderId,
      submitTime: o.submitTime,
      state: o.state,
      price: r.price,
      stopPrice: r.stopPrice,
      qty: o.qty,
      filled: o.filled,
      leaves: o.leaves,
      notional: Number(o.filledNotional / o.market.k),
    });
  }
  const withdrawals = [...exchange.ledger.accounts.values()].flatMap((a) => [...a.pendingWithdrawals.values()].map((w) => ({ account: a.id, id: w.id, currency: w.currency, amount: w.amount.toString(), destination: w.destination, time: w.time })));
  return { books, orders, accounts: [...exchange.ledger.accounts.keys()], withdrawals, identity: exchange.identity.toRecord() };
}
