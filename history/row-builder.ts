/**
 * Turns one applied command — its seq, engine time, events and the command as journaled — into
 * history rows, reading the replica the writer keeps (history/writer.ts) for what the events do not
 * carry: balances after the command, positions, the order states an amend leaves. Pure over its
 * inputs: the same journal gives the same rows, which is what lets a rebuild equal the live store.
 *
 * Running balances. The events say what moved (a fill's notional, its fees, a deposit), the replica
 * says the balance after the whole command. Within a command the balance before it is that, less
 * everything the command moved, so each movement's balance-after is exact without keeping a copy of
 * every account.
 */
import type { DeliveredEvents } from "../actors/delivered-events.ts";
import { CandleSeries, INTERVALS } from "../engine/candles.ts";
import { type Command, CommandType, Side } from "../engine/commands.ts";
import { isIdentityCommand } from "../engine/identity.ts";
import { AccountEvent, Amended, Cancelled, EventType, OrderStateChange, Rejected, StopTriggered, SymbolStatus, Trade } from "../engine/events.ts";
import type { Exchange } from "../engine/exchange.ts";
import { feeOf, notional } from "../engine/money.ts";
import { OrderState } from "../engine/order-state.ts";
import { isDone } from "../engine/orders.ts";
import { type CandleRow, CashKind, type CashRow, Liquidity, OrderEventKind, PositionKind, type RowBatch } from "./rows.ts";
import type { CandleTrade } from "./candle-history.ts";



export class RowBuilder {
  /** State of every order not yet final, for the rows an amend or a trigger writes (they carry no state). */
  private readonly states = new Map<number, number>();
  /** symbol → its candles per interval (INTERVALS order), the engine's roll-up keeping no history: closed ones go to the store. */
  private readonly candles = new Map<number, CandleSeries[]>();
  /** Earliest end of an open candle: commands before it close nothing. */
  private nextClose = Infinity;
  // Per command, reused.
  private cash: CashRow[] = [];
  private readonly touched = new Map<string, { account: number; symbol: number; kind: number; delta: number }>();

  /** The replica as it stands when the writer starts: the orders open in it and their states. */
  constructor(private readonly x: Exchange) {
    for (const o of x.open.values()) this.states.set(o.orderId, o.state);
  }

  /**
   * Rebuilds the candles open at `now` (the store's last command's time) from the trades since the
   * start of the longest interval holding it. A candle whose end `now` has reached was closed and
   * written by a command the store holds: it is dropped here, not written again.
   */
  seedCandles(trades: Iterable<CandleTrade>, now: number): void {
    for (const t of trades) this.addToCandles(t.time, t.symbol, t.price, t.qty, null, 0);
    if (now >= this.nextClose) this.closeCandles(0, now, null);
  }

  /** Appends to `out` the rows of one command (its events must be the ones the replica just produced). */
  add(seq: number, time: number, ev: DeliveredEvents, cmd: Command, out: RowBatch): void {
    if (time >= this.nextClose) this.closeCandles(seq, time, out);
    const d = ev.data;
    this.cash = [];
    this.touched.clear();
    let idx = -1;
    let createdOrder = false;
    while (ev.next()) {
      idx++;
      const b = ev.at;
      switch (ev.type) {
        case EventType.ORDER_STATE: {
          const orderId = OrderStateChange.orderId(d, b);
          const from = OrderStateChange.from(d, b);
          const to = OrderStateChange.to(d, b);
          if (from === OrderState.NONE) {
            createdOrder = true;
            out.orders.push(orderRow(seq, time, cmd));
          }
          if (isDone(to)) this.states.delete(orderId);
          else this.states.set(orderId, to);
          out.orderEvents.push({
            seq, idx, time, orderId, account: OrderStateChange.account(d, b), symbol: ev.symbol, kind: OrderEventKind.STATE, fromState: from, toState: to,
            reason: OrderStateChange.reason(d, b), price: OrderStateChange.price(d, b), qty: 0, filled: OrderStateChange.filled(d, b), leaves: OrderStateChange.leaves(d, b),
            actor: OrderStateChange.actor(d, b), session: OrderStateChange.session(d, b), commandType: cmd.type,
          });
          break;
        }
        case EventType.REJECTED:
          // A new order refused before it existed (pre-trade risk, bad fields): kept as an order that went straight to REJECTED, so every attempt is on record.
          if (Rejected.commandType(d, b) === CommandType.NEW_ORDER && !createdOrder && cmd.orderId > 0) {
            createdOrder = true;
            out.orders.push(orderRow(seq, time, cmd));
            out.orderEvents.push({
              seq, idx, time, orderId: cmd.orderId, account: cmd.account, symbol: cmd.symbol, kind: OrderEventKind.STATE, fromState: OrderState.NONE, toState: OrderState.REJECTED,
              reason: Rejected.reason(d, b), price: cmd.price, qty: cmd.qty, filled: 0, leaves: 0, actor: cmd.actor, session: cmd.session, commandType: cmd.type,
            });
          }
          break;
        case EventType.AMENDED:
          this.orderNote(out, seq, idx, time, cmd, OrderEventKind.AMENDED, Amended.orderId(d, b), Amended.account(d, b), ev.symbol, 0, Amended.price(d, b), Amended.qty(d, b), Amended.leaves(d, b));
          break;
        case EventType.STOP_TRIGGERED:
          this.orderNote(out, seq, idx, time, cmd, OrderEventKind.TRIGGERED, StopTriggered.orderId(d, b), StopTriggered.account(d, b), ev.symbol, 0, StopTriggered.lastPrice(d, b), StopTriggered.qty(d, b), StopTriggered.leaves(d, b));
          break;
        case EventType.CANCELLED:
          // A partial reduction keeps the order open; a full cancel is in its ORDER_STATE row.
          if (Cancelled.leaves(d, b) > 0) this.orderNote(out, seq, idx, time, cmd, OrderEventKind.REDUCED, Cancelled.orderId(d, b), Cancelled.account(d, b), ev.symbol, Cancelled.reason(d, b), Cancelled.price(d, b), Cancelled.qty(d, b), Cancelled.leaves(d, b));
          break;
        case EventType.TRADE:
          this.trade(out, seq, idx, time, d, b, ev.symbol);
          break;
        case EventType.ACCOUNT:
          this.account(out, seq, idx, time, cmd, AccountEvent.account(d, b), AccountEvent.commandType(d, b), AccountEvent.withdrawal(d, b));
          break;
        case EventType.STATUS:
          out.admin.push({
            seq, idx, time, commandType: 0, account: 0, symbol: ev.symbol, actor: cmd.actor, session: cmd.session,
            detail: JSON.stringify({ state: SymbolStatus.state(d, b), until: finite(SymbolStatus.until(d, b)), reason: SymbolStatus.reason(d, b), command: cmd.type }),
          });
          break;
        // ACCEPTED adds nothing to the order row (written at its PENDING transition) and its NEW transition.
      }
    }
    ev.rewind();
    this.settleCash(out);
    this.settlePositions(out, seq, time);
  }

  private orderNote(out: RowBatch, seq: number, idx: number, time: number, cmd: Command, kind: number, orderId: number, account: number, symbol: number, reason: number, price: number, qty: number, leaves: number): void {
    const state = this.states.get(orderId) ?? OrderState.NEW;
    const o = this.x.open.get(orderId);
    out.orderEvents.push({
      seq, idx, time, orderId, account, symbol, kind, fromState: state, toState: state, reason, price, qty,
      filled: o ? o.filled : 0, leaves, actor: cmd.actor, session: cmd.session, commandType: cmd.type,
    });
  }

  private trade(out: RowBatch, seq: number, idx: number, time: number, d: Float64Array, b: number, symbol: number): void {
    const m = this.x.ledger.markets.get(symbol)!;
    const price = Trade.price(d, b);
    const qty = Trade.qty(d, b);
    const n = notional(price, qty, m.k);
    const tradeId = Trade.tradeId(d, b);
    const feeAccount = this.x.ledger.feeAccount;
    let k = 0;
    for (let liquidity = Liquidity.TAKER as number; liquidity <= Liquidity.MAKER; liquidity++) {
      const taker = liquidity === Liquidity.TAKER;
      const account = taker ? Trade.takerAccount(d, b) : Trade.makerAccount(d, b);
      const side = taker ? Trade.takerSide(d, b) : 1 - Trade.takerSide(d, b);
      const bps = taker ? Trade.takerFeeBps(d, b) : Trade.makerFeeBps(d, b);
      const fee = feeOf(n, bps);
      out.executions.push({
        seq, idx, liquidity, tradeId, time, symbol, orderId: taker ? Trade.takerOrderId(d, b) : Trade.makerOrderId(d, b), account, side, price, qty,
        leaves: taker ? Trade.takerLeaves(d, b) : Trade.makerLeaves(d, b), counterOrderId: taker ? Trade.makerOrderId(d, b) : Trade.takerOrderId(d, b),
        counterAccount: taker ? Trade.makerAccount(d, b) : Trade.takerAccount(d, b), notional: n, fee, feeBps: bps, currency: m.quote,
      });
      this.move(seq, idx, k++, time, account, m.quote, CashKind.TRADE, side === Side.BUY ? -n : n, tradeId, "");
      if (fee !== 0n) {
        this.move(seq, idx, k++, time, account, m.quote, CashKind.FEE, -fee, tradeId, "");
        this.move(seq, idx, k++, time, feeAccount, m.quote, CashKind.FEE_INCOME, fee, tradeId, "");
      }
      this.touch(account, symbol, PositionKind.TRADE, side === Side.BUY ? qty : -qty);
    }
    this.addToCandles(time, symbol, price, qty, out, seq);
  }

  private account(out: RowBatch, seq: number, idx: number, time: number, cmd: Command, account: number, type: number, withdrawal: number): void {
    let detail: Record<string, unknown>;
    switch (type) {
      case CommandType.DEPOSIT:
      case CommandType.WITHDRAW:
      case CommandType.APPROVE_WITHDRAWAL: {
        const withdraw = type !== CommandType.DEPOSIT;
        // A withdrawal held for approval moves no cash yet (its amount is reserved): its cash row comes with the approval.
        const held = type === CommandType.WITHDRAW && withdrawal !== 0;
        if (!held) this.move(seq, idx, 0, time, account, cmd.currency, withdraw ? CashKind.WITHDRAWAL : CashKind.DEPOSIT, withdraw ? -cmd.amount : cmd.amount, 0, withdraw ? cmd.destination : "");
        detail = { currency: cmd.currency, amount: cmd.amount.toString(), ...(withdraw ? { destination: cmd.destination } : {}), ...(withdrawal !== 0 ? { withdrawal, ...(held ? { held: true } : {}) } : {}) };
        break;
      }
      case CommandType.REJECT_WITHDRAWAL:
        detail = { currency: cmd.currency, amount: cmd.amount.toString(), destination: cmd.destination, withdrawal };
        break;
      case CommandType.DEPOSIT_POSITION:
      case CommandType.WITHDRAW_POSITION: {
        const withdraw = type === CommandType.WITHDRAW_POSITION;
        this.touch(account, cmd.symbol, withdraw ? PositionKind.WITHDRAWAL : PositionKind.DEPOSIT, withdraw ? -cmd.qty : cmd.qty);
        detail = { symbol: cmd.symbol, qty: cmd.qty, price: cmd.price };
        break;
      }
      case CommandType.OPEN_ACCOUNT:
      case CommandType.SET_TIER:
        detail = { tier: cmd.tier };
        break;
      case CommandType.ADD_DESTINATION:
        detail = { destination: cmd.destination };
        break;
      case CommandType.SET_SYMBOL_ACCESS:
        detail = { symbol: cmd.symbol, flags: cmd.flags };
        break;
      case CommandType.SET_SHORT_LIMIT:
        detail = { symbol: cmd.symbol, qty: cmd.qty };
        break;
      case CommandType.SET_MARK_PRICE:
        detail = { symbol: cmd.symbol, price: cmd.price };
        break;
      default:
        detail = isIdentityCommand(type) ? identityDetail(cmd) : {};
    }
    out.admin.push({ seq, idx, time, commandType: type, account, symbol: cmd.symbol, actor: cmd.actor, session: cmd.session, detail: JSON.stringify(detail) });
  }

  private move(seq: number, idx: number, n: number, time: number, account: number, currency: number, kind: number, amount: bigint, tradeId: number, ref: string): void {
    this.cash.push({ seq, idx, n, time, account, currency, kind, amount, balance: 0n, tradeId, ref });
  }

  private touch(account: number, symbol: number, kind: number, delta: number): void {
    const key = `${account}:${symbol}`;
    const t = this.touched.get(key);
    if (t) t.delta += delta;
    else this.touched.set(key, { account, symbol, kind, delta });
  }

  /** Each movement's balance after it: the replica's balance after the command, walked back. */
  private settleCash(out: RowBatch): void {
    const rows = this.cash;
    if (rows.length === 0) return;
    const running = new Map<string, bigint>();
    for (const r of rows) {
      const key = `${r.account}:${r.currency}`;
      if (!running.has(key)) running.set(key, this.balance(r.account, r.currency));
      running.set(key, running.get(key)! - r.amount);
    }
    for (const r of rows) {
      const key = `${r.account}:${r.currency}`;
      const b = running.get(key)! + r.amount;
      running.set(key, b);
      r.balance = b;
      out.cash.push(r);
    }
  }

  private balance(account: number, currency: number): bigint {
    return this.x.ledger.accounts.get(account)?.cash.get(currency)?.balance ?? 0n;
  }

  private settlePositions(out: RowBatch, seq: number, time: number): void {
    for (const t of this.touched.values()) {
      const p = this.x.ledger.accounts.get(t.account)?.positions.get(t.symbol);
      out.positions.push({ seq, time, account: t.account, symbol: t.symbol, kind: t.kind, delta: t.delta, qty: p?.qty ?? 0, cost: p?.cost ?? 0n, realized: p?.realized ?? 0n });
    }
  }

  // ---------------------------------------------------------------- candles

  private addToCandles(time: number, symbol: number, price: number, qty: number, out: RowBatch | null, seq: number): void {
    let series = this.candles.get(symbol);
    if (!series) this.candles.set(symbol, (series = INTERVALS.map((iv) => new CandleSeries(iv, 0))));
    for (const c of series) {
      if (c.live && time >= c.closesAt) {
        // Seeding replays trades the store already rolled up: their closed candles are there.
        if (out) out.candles.push(candleRow(symbol, c, seq));
        c.closeCandle();
      }
      const opened = !c.live;
      c.add(time, price, qty);
      if (opened && c.closesAt < this.nextClose) this.nextClose = c.closesAt;
    }
  }

  /** Closes every candle whose interval ended before `time` (the command's time moves the clock even without a trade). */
  private closeCandles(seq: number, time: number, out: RowBatch | null): void {
    let next = Infinity;
    for (const [symbol, series] of this.candles) {
      for (const c of series) {
        if (!c.live) continue;
        if (time >= c.closesAt) {
          out?.candles.push(candleRow(symbol, c, seq));
          c.closeCandle();
        } else if (c.closesAt < next) next = c.closesAt;
      }
    }
    this.nextClose = next;
  }
}

function candleRow(symbol: number, c: CandleSeries, seq: number): CandleRow {
  return { symbol, interval: c.interval, start: c.openTime, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume, trades: c.trades, seq };
}

function orderRow(seq: number, time: number, c: Command) {
  return {
    orderId: c.orderId, seq, time, account: c.account, symbol: c.symbol, side: c.side, orderType: c.orderType, tif: c.tif, price: c.price, stopPrice: c.stopPrice,
    qty: c.qty, stp: c.stp, flags: c.flags, expireTime: c.expireTime, clientOrderId: c.clientOrderId, actor: c.actor, session: c.session,
  };
}

/** JSON has no Infinity: a status with no scheduled change says null. */
function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/**
 * What an identity command changed, for the audit trail: whose user or key, and the plain fields
 * (role, account, lock, scopes, an allowlist entry or label); never its hash or sealed secret.
 */
function identityDetail(cmd: Command): Record<string, unknown> {
  switch (cmd.type) {
    case CommandType.USER_ADD:
      return { user: cmd.clientOrderId, role: cmd.tier };
    case CommandType.USER_GRANT:
      return { user: cmd.clientOrderId, account: cmd.account, grant: cmd.flags === 1 };
    case CommandType.USER_LOCK:
      return { user: cmd.clientOrderId, locked: cmd.flags === 1 };
    case CommandType.USER_TOTP:
      return { user: cmd.clientOrderId, mfa: cmd.destination !== "" };
    case CommandType.USER_LOGIN:
      return { user: cmd.clientOrderId, ...(cmd.price > 0 ? { recoveryCode: cmd.price } : {}) };
    case CommandType.KEY_ADD:
      return { key: cmd.clientOrderId, scopes: cmd.flags };
    case CommandType.KEY_SET:
      return { key: cmd.clientOrderId, field: cmd.flags, value: cmd.destination };
    case CommandType.KEY_REVOKE:
      return { key: cmd.clientOrderId };
    default:
      return { user: cmd.clientOrderId };
  }
}
