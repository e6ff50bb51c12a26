import { InvariantError } from "./errors.ts";
import { Actor, Command, CommandType, MarketDataStatus, OrderType, Side } from "./commands.ts";
import { Accepted, Amended, Cancelled, Ev, EVENT_WIDTH, EventBuffer, EventType, F, Rejected, SymbolStatus, Trade } from "./events.ts";
import { type LedgerConfig, Ledger } from "./ledger.ts";
import { MatchingEngine, type MarketView } from "./matching.ts";
import { feeOf, feeOfNumber, notional, smallNotional } from "./money.ts";
import { IdempotencyWindow, type RememberedOrder } from "./idempotency-window.ts";
import { Identity, isIdentityCommand, isKeyCommand } from "./identity.ts";
import { OmsOrder, OrderState, validClientOrderId } from "./orders.ts";
import { Reason } from "./reasons.ts";
import { buyBandLimit, buyCostPrice, buyNeed, buyNeedNum, checkOrder, type Market, sellCostPrice } from "./risk.ts";
import { applyFill } from "./settlement.ts";
import { checkOrderFields, checkOrderId, isPrice, isQty } from "./validate.ts";

const DAY_US = 86_400_000_000;
const { BUY } = Side;

/** The reason a flagged symbol refuses market and stop orders with. */
function dataReason(status: number): number {
  return status === MarketDataStatus.BAD_TICK ? Reason.MARKET_DATA_BAD_TICK : Reason.MARKET_DATA_STALE;
}

export interface ExchangeConfig extends LedgerConfig {
  /** How long (account, clientOrderId) stays unique after submission. Default 24 h. */
  idempotencyWindowUs?: number;
}

/**
 * The account side and the book on one thread: R1 (validate, idempotency, risk, reserve) → the
 * book → R2 (settle, release, lifecycle), command by command. The book never sees an account and
 * the ledger never sees a book: they meet only in the command and the events (docs/accounts.md).
 */
export class Exchange {
  readonly ledger: Ledger;
  readonly book: MatchingEngine;
  /** Open orders by id, as the account side knows them. */
  readonly open = new Map<number, OmsOrder>();
  readonly idempotency: IdempotencyWindow;
  /** Users and API keys (engine/identity.ts); replaced whole when a snapshot is restored. */
  identity = new Identity();
  private readonly accountExists = (account: number) => this.ledger.accounts.has(account);
  private readonly bookOut = new EventBuffer();
  private readonly tick: Command;
  /** The order R1 accepted for the command in flight; R2 resolves it. */
  private pending: OmsOrder | null = null;
  /** The amend in flight keeps a cap that risk wrote (it gave price 0 to an order whose cap risk derived). */
  private amendRiskCap = false;
  private out!: EventBuffer;
  private cmd!: Command;
  private now = 0;

  /** `book` is given when restoring from a snapshot; otherwise a fresh one is built. */
  constructor(
    readonly config: ExchangeConfig,
    book?: MatchingEngine,
  ) {
    this.ledger = new Ledger(config);
    this.book = book ?? new MatchingEngine(config.instruments);
    this.idempotency = new IdempotencyWindow(config.idempotencyWindowUs ?? DAY_US);
    this.tick = new Command();
    this.tick.type = CommandType.TICK;
  }

  execute(cmd: Command, out: EventBuffer): void {
    this.out = out;
    this.cmd = cmd;
    this.now = cmd.time;
    this.pending = null;
    this.idempotency.evict(cmd.time);
    // Time passes first, for every command: expiries and session changes settle before R1 looks,
    // so an expired order's reservation is free for the command that follows it.
    this.passTime(cmd.time);
    switch (cmd.type) {
      case CommandType.NEW_ORDER:
        if (!this.acceptNew(cmd)) return;
        break;
      case CommandType.CANCEL:
        if (!this.acceptCancel(cmd)) return;
        break;
      case CommandType.AMEND:
        if (!this.acceptAmend(cmd)) return;
        break;
      case CommandType.MASS_CANCEL:
        if (!this.ledger.accounts.has(cmd.account)) {
          this.reject(Reason.UNKNOWN_ACCOUNT);
          return;
        }
        break;
      case CommandType.END_OF_DAY:
      case CommandType.TICK:
      case CommandType.HALT:
      case CommandType.RESUME:
        break;
      case CommandType.MARKET_DATA_STATUS:
        this.marketDataStatus(cmd);
        return;
      default: {
        if (isIdentityCommand(cmd.type)) {
          const reason = this.identity.apply(cmd, cmd.time, this.accountExists);
          if (reason !== Reason.OK) this.reject(reason);
          // A user command's subject is the user's id (a USER_ADD's answer names the id it was given); a key command's none.
          else out.write(EventType.ACCOUNT, 0, 0, cmd.account, 0, 0, 0, 0, cmd.type, isKeyCommand(cmd.type) ? 0 : (this.identity.users.get(cmd.clientOrderId)?.id ?? 0), 0, 0);
          return;
        }
        const reason = this.ledger.apply(cmd, cmd.time);
        if (reason !== Reason.OK) {
          this.reject(reason);
          return;
        }
        const moves = cmd.type === CommandType.DEPOSIT || cmd.type === CommandType.WITHDRAW || cmd.type === CommandType.APPROVE_WITHDRAWAL || cmd.type === CommandType.REJECT_WITHDRAWAL;
        out.write(EventType.ACCOUNT, cmd.symbol, 0, cmd.account, 0, 0, 0, 0, cmd.type, moves ? cmd.currency : cmd.symbol, this.ledger.lastPending, 0);
        return;
      }
    }
    this.bookOut.reset();
    this.book.execute(cmd, this.bookOut);
    this.settle();
  }

  /** A command the book does not see still moves its clock: expiries and session changes. */
  private passTime(time: number): void {
    if (!this.book.timeDue(time)) return;
    this.tick.time = time;
    this.bookOut.reset();
    this.book.execute(this.tick, this.bookOut);
    this.settle();
  }

  // ---------------------------------------------------------------- R1

  private acceptNew(cmd: Command): boolean {
    const ledger = this.ledger;
    const m = ledger.markets.get(cmd.symbol);
    if (!m) return this.reject(Reason.UNKNOWN_SYMBOL);
    let reason = checkOrderId(cmd);
    if (reason !== Reason.OK) return this.reject(reason);
    if (this.open.has(cmd.orderId)) return this.reject(Reason.DUPLICATE_ORDER_ID);
    reason = checkOrderFields(cmd);
    if (reason !== Reason.OK) return this.reject(reason);
    // A limit caps the price it may trade at; a market order's price and a stop's trigger come from
    // the very prices the flag says we cannot trust (docs/venues.md "Market data from the venue").
    if (m.dataStatus !== MarketDataStatus.OK && cmd.orderType !== OrderType.LIMIT) return this.reject(dataReason(m.dataStatus));
    const acct = ledger.accounts.get(cmd.account);
    if (!acct) return this.reject(Reason.UNKNOWN_ACCOUNT);
    const clientId = cmd.clientOrderId;
    if (clientId !== "") {
      if (!validClientOrderId(clientId)) return this.reject(Reason.INVALID_CLIENT_ORDER_ID);
      const idem = this.idempotency;
      const row = idem.find(cmd.account, clientId);
      if (row >= 0) {
        // An open order answers from itself; a done one from what the window kept of it.
        const o = idem.isOpen(row) ? this.openOrder(idem.orderIdAt(row)) : undefined;
        if (o) this.out.write(EventType.DUPLICATE, o.symbol, o.orderId, o.account, o.side, o.price, o.filled, o.leaves, o.state, 0, 0, 0);
        else this.out.write(EventType.DUPLICATE, idem.symbolAt(row), idem.orderIdAt(row), cmd.account, idem.sideAt(row), idem.priceAt(row), idem.filledAt(row), 0, idem.stateAt(row), 0, 0, 0);
        return false;
      }
    }
    const tier = ledger.tierOf(acct);
    const buy = cmd.side === BUY;
    const cost = buy ? buyCostPrice(cmd, m) : sellCostPrice(cmd.orderType, cmd.price, cmd.stopPrice);
    let need: number | bigint = 0;
    if (buy && cost > 0) {
      const n = buyNeedNum(cost, cmd.qty, m.kNum, tier.worstBps);
      need = n >= 0 ? n : buyNeed(cost, cmd.qty, m.k, tier.worstBps);
    }
    reason = checkOrder(acct, tier, m, cmd.side, cmd.symbol, cmd.qty, cost, cmd.qty, need, true, cmd.time, acct.cashOf(m.quote));
    if (reason !== Reason.OK) return this.reject(reason);

    // The book enforces the costing price as a cap, so a buy never costs more than it holds.
    const riskCap = buy && (cmd.orderType === OrderType.MARKET || cmd.orderType === OrderType.STOP) && cmd.price === 0;
    if (riskCap) cmd.price = cost;
    const o = new OmsOrder(cmd.orderId, cmd.account, cmd.symbol, cmd.side, cmd.orderType, cmd.tif, clientId, cmd.time, tier.makerBps, tier.takerBps);
    o.price = cost;
    o.riskCap = riskCap;
    o.qty = cmd.qty;
    this.attach(o);
    this.setLeaves(o, m, cmd.qty);
    this.transition(o, OrderState.PENDING, Reason.OK);
    acct.openOrders++;
    acct.recordRate(cmd.time);
    this.open.set(o.orderId, o);
    if (clientId !== "") this.idempotency.add(o);
    this.pending = o;
    return true;
  }

  /** The open order a cancel or amend names, if it belongs to the command's account and symbol. */
  private target(cmd: Command): OmsOrder | undefined {
    const o = this.open.get(cmd.orderId);
    return o && o.account === cmd.account && o.symbol === cmd.symbol ? o : undefined;
  }

  private acceptCancel(cmd: Command): boolean {
    if (!this.ledger.markets.has(cmd.symbol)) return this.reject(Reason.UNKNOWN_SYMBOL);
    if (!this.target(cmd)) return this.reject(Reason.UNKNOWN_ORDER);
    return true;
  }

  private acceptAmend(cmd: Command): boolean {
    const ledger = this.ledger;
    const m = ledger.markets.get(cmd.symbol);
    if (!m) return this.reject(Reason.UNKNOWN_SYMBOL);
    const o = this.target(cmd);
    if (!o) return this.reject(Reason.UNKNOWN_ORDER);
    this.amendRiskCap = false;
    const hasLimit = o.orderType === OrderType.LIMIT || o.orderType === OrderType.STOP_LIMIT;
    const isStop = o.orderType === OrderType.STOP;
    const newLeaves = cmd.qty - o.filled - o.cancelled;
    // Malformed amends are the book's to reject, with its reasons; there is nothing to cost. (An
    // open STOP is always a pending one, so it needs a trigger.)
    const badPrice = hasLimit ? !isPrice(cmd.price) : cmd.price !== 0 && !isPrice(cmd.price);
    if (!isQty(cmd.qty) || newLeaves <= 0 || badPrice || (isStop && !isPrice(cmd.stopPrice))) return true;
    const acct = o.acct;
    const tier = acct.limits;
    const buy = o.side === BUY;
    let price = cmd.price;
    if (!hasLimit && price === 0) {
      // docs/matching.md, AMEND: 0 keeps the cap's meaning. A cap risk derived from the trigger is
      // derived again from the new one (a raised buy stop is not stranded under its old cap); any
      // other stays as the book holds it — the client's, or none, so an uncapped sell stop still
      // sells as a market order once triggered instead of becoming a stop-limit at its trigger.
      if (o.riskCap) {
        price = isStop ? buyBandLimit(cmd.stopPrice, m) : o.price;
        this.amendRiskCap = true;
      } else {
        price = this.book.priceOf(o.orderId);
      }
      // The book enforces a buy's costing price as its cap; a sell's 0 must reach it as 0.
      if (buy) cmd.price = price;
    }
    let addNeed: number | bigint = 0;
    if (buy) {
      const n = buyNeedNum(price, newLeaves, m.kNum, o.worstBps);
      addNeed = n >= 0 && o.reservedNum >= 0 ? n - o.reservedNum : buyNeed(price, newLeaves, m.k, o.worstBps) - o.reserved;
    }
    const cost = buy ? price : sellCostPrice(o.orderType, price, cmd.stopPrice);
    const addQty = Math.max(0, newLeaves - o.leaves);
    const reason = checkOrder(acct, tier, m, o.side, o.symbol, cmd.qty, cost, addQty, addNeed, false, cmd.time, o.cash);
    if (reason !== Reason.OK) return this.reject(reason);
    acct.recordRate(cmd.time);
    return true;
  }

  private reject(reason: number): false {
    const c = this.cmd;
    this.out.write(EventType.REJECTED, c.symbol, c.orderId, c.account, c.side, c.price, c.qty, 0, reason, c.type, 0, 0);
    return false;
  }

  /**
   * MARKET_DATA_STATUS: flags (or clears) a symbol whose venue's market data cannot be trusted.
   * A change is told as a STATUS event carrying the book's own state and until, the flag in slot D
   * and, while flagged, its reason; a status the symbol already has changes nothing and says nothing.
   */
  private marketDataStatus(cmd: Command): void {
    const m = this.ledger.markets.get(cmd.symbol);
    if (!m) {
      this.reject(Reason.UNKNOWN_SYMBOL);
      return;
    }
    const status = cmd.tier;
    if (status !== MarketDataStatus.OK && status !== MarketDataStatus.STALE && status !== MarketDataStatus.BAD_TICK) {
      this.reject(Reason.INVALID_MARKET_DATA_STATUS);
      return;
    }
    if (m.dataStatus === status) return;
    m.dataStatus = status;
    const v = this.book.market(cmd.symbol)!;
    const reason = status !== MarketDataStatus.OK && v.reason === Reason.OK ? dataReason(status) : v.reason;
    this.out.write(EventType.STATUS, cmd.symbol, 0, 0, 0, 0, 0, 0, v.state, v.until, reason, status);
  }

  // ---------------------------------------------------------------- R2

  /** Copies the book's events out, settling and advancing each order they touch. */
  private settle(): void {
    const ev = this.bookOut;
    const d = ev.data;
    for (let i = 0; i < ev.count; i++) {
      const base = i * EVENT_WIDTH;
      const type = Ev.type(d, base);
      this.copy(d, base);
      switch (type) {
        case EventType.ACCEPTED:
          this.transition(this.pendingFor(Accepted.orderId(d, base)), OrderState.NEW, Reason.OK);
          break;
        case EventType.REJECTED:
          if (Rejected.commandType(d, base) === CommandType.NEW_ORDER && this.pending) {
            const o = this.pending;
            this.setLeaves(o, o.market, 0);
            this.transition(o, OrderState.REJECTED, Rejected.reason(d, base));
            this.close(o);
          }
          break;
        case EventType.TRADE:
          this.settleTrade(d, base);
          break;
        case EventType.CANCELLED:
        case EventType.EXPIRED: {
          const o = this.openOrder(Cancelled.orderId(d, base));
          o.cancelled += Cancelled.qty(d, base);
          const leaves = Cancelled.leaves(d, base);
          this.setLeaves(o, o.market, leaves);
          if (leaves === 0) {
            this.transition(o, type === EventType.CANCELLED ? OrderState.CANCELLED : OrderState.EXPIRED, Cancelled.reason(d, base));
            this.close(o);
          }
          break;
        }
        case EventType.STATUS: {
          // The book knows nothing of the venue's data: a flagged symbol's session or halt change
          // carries the flag, and, when the book itself has no reason to give, the flag's.
          const m = this.ledger.markets.get(Ev.symbol(d, base));
          if (m && m.dataStatus !== MarketDataStatus.OK) {
            const at = (this.out.count - 1) * EVENT_WIDTH;
            this.out.data[at + F.D] = m.dataStatus;
            if (SymbolStatus.reason(d, base) === Reason.OK) this.out.data[at + F.C] = dataReason(m.dataStatus);
          }
          break;
        }
        case EventType.AMENDED: {
          const o = this.openOrder(Amended.orderId(d, base));
          o.qty = Amended.qty(d, base);
          // The book reports the limit, or the cap it now holds (0: none); a sell without one is
          // costed at its trigger, as at entry. Only an amend writes AMENDED, so `cmd` is that amend.
          const price = Amended.price(d, base);
          o.price = o.side === BUY ? price : sellCostPrice(o.orderType, price, this.cmd.stopPrice);
          o.riskCap = this.amendRiskCap;
          this.setLeaves(o, o.market, Amended.leaves(d, base));
          break;
        }
      }
    }
  }

  private settleTrade(d: Float64Array, base: number): void {
    const ledger = this.ledger;
    // The record settle() has just copied out: it also carries the two fee rates, so whoever reads
    // the fact (the history store, a statement) has the exact fee as feeOf(notional, bps).
    const at = (this.out.count - 1) * EVENT_WIDTH;
    const symbol = Ev.symbol(d, base);
    const price = Trade.price(d, base);
    const qty = Trade.qty(d, base);
    const m = ledger.markets.get(symbol)!;
    m.lastPrice = price;
    m.markOverride = 0;
    // Doubles while exact (docs: money.ts), one BigInt per amount; BigInt throughout otherwise.
    const small = smallNotional(price, qty, m.kNum);
    const n = small >= 0 ? BigInt(small) : notional(price, qty, m.k);
    const feeCash = this.feeCash(m);
    // Taker first, then maker: the order of their lifecycle events.
    for (let side = 0; side < 2; side++) {
      const taker = side === 0;
      const o = this.openOrder(taker ? Trade.takerOrderId(d, base) : Trade.makerOrderId(d, base));
      const leaves = taker ? Trade.takerLeaves(d, base) : Trade.makerLeaves(d, base);
      const bps = taker ? o.takerBps : o.makerBps;
      this.out.data[at + (taker ? 12 : 13)] = bps;
      const cash = o.cash;
      let fee: bigint;
      if (small >= 0) {
        const f = feeOfNumber(small, bps);
        cash.addBalance(o.side === BUY ? -(small + f) : small - f);
        if (f !== 0) feeCash.addBalance(f);
        fee = f === 0 ? 0n : BigInt(f);
      } else {
        fee = feeOf(n, bps);
        if (o.side === BUY) cash.balance -= n + fee;
        else cash.balance += n - fee;
        feeCash.balance += fee;
      }
      applyFill(o.pos, o.side === BUY ? qty : -qty, n);
      o.filled += qty;
      o.filledNotional += n;
      o.fees += fee;
      this.setLeaves(o, m, leaves);
      this.transition(o, leaves === 0 ? OrderState.FILLED : OrderState.PARTIALLY_FILLED, Reason.OK);
      if (leaves === 0) this.close(o);
    }
  }

  /**
   * Sets an order's leaves and re-trues what it holds: a buy's reservation becomes exactly what its
   * remaining leaves need at its costing price; a sell's held lots are its leaves.
   */
  private setLeaves(o: OmsOrder, m: Market, leaves: number): void {
    const pos = o.pos;
    const delta = leaves - o.leaves;
    o.leaves = leaves;
    if (o.side === BUY) {
      pos.openBuys += delta;
      const n = buyNeedNum(o.price, leaves, m.kNum, o.worstBps);
      if (n >= 0 && o.reservedNum >= 0) {
        if (n !== o.reservedNum) {
          o.cash.addReserved(n - o.reservedNum);
          o.reservedNum = n;
        }
      } else {
        const need = buyNeed(o.price, leaves, m.k, o.worstBps);
        const held = o.reserved;
        if (need !== held) {
          o.cash.reserved = o.cash.reserved + (need - held);
          o.reserved = need;
        }
      }
    } else {
      pos.openSells += delta;
    }
  }

  /** Looks up, once, the ledger records an order touches. Restored orders are attached too. */
  attach(o: OmsOrder): void {
    const acct = this.ledger.accounts.get(o.account);
    const market = this.ledger.markets.get(o.symbol);
    if (!acct || !market) throw new InvariantError(`order ${o.orderId} names an unknown account or symbol`);
    o.acct = acct;
    o.market = market;
    o.pos = acct.positionOf(o.symbol);
    o.cash = acct.cashOf(market.quote);
  }

  private feeCash(m: Market) {
    return (m.feeCash ??= this.ledger.accounts.get(this.ledger.feeAccount)!.cashOf(m.quote));
  }

  private close(o: OmsOrder): void {
    this.open.delete(o.orderId);
    o.acct.openOrders--;
    if (o.clientOrderId !== "") this.idempotency.closed(o, this.now);
  }

  private transition(o: OmsOrder, to: number, reason: number): void {
    const from = o.transition(to);
    const c = this.cmd;
    // The command's sender acts on its own account's orders; expiries, and what one account's
    // order does to another's (a fill, a self-trade cancel of a resting order), are the system's.
    const own = to !== OrderState.EXPIRED && o.account === c.account;
    this.out.write(EventType.ORDER_STATE, o.symbol, o.orderId, o.account, o.side, o.price, o.filled, o.leaves, from, to, reason, this.now, own ? c.actor : Actor.SYSTEM, own ? c.session : 0);
  }

  private copy(d: Float64Array, base: number): void {
    const at = this.out.claim();
    const to = this.out.data;
    for (let k = 0; k < EVENT_WIDTH; k++) to[at + k] = d[base + k]!;
  }

  private pendingFor(orderId: number): OmsOrder {
    const o = this.pending;
    if (!o || o.orderId !== orderId) throw new InvariantError(`book accepted order ${orderId} that risk did not pass`);
    return o;
  }

  private openOrder(orderId: number): OmsOrder {
    const o = this.open.get(orderId);
    if (!o) throw new InvariantError(`book event for order ${orderId} unknown to the account side`);
    return o;
  }


  // ---------------------------------------------------------------- queries

  /**
   * When the runtime must next send a command for time alone (engine µs; Infinity: never), and
   * which: `deadlineSymbol` ≥ 0 is an END_OF_DAY for that symbol, −1 a TICK. See
   * MatchingEngine.nextDeadline; the account side has nothing that needs a command to expire.
   */
  nextDeadline(): number {
    return this.book.nextDeadline();
  }

  get deadlineSymbol(): number {
    return this.book.deadlineSymbol;
  }

  order(orderId: number): OmsOrder | undefined {
    return this.open.get(orderId);
  }

  /**
   * A symbol's market state as its STATUS events tell it: the book's, with the venue data flag
   * (`marketData`, MarketDataStatus) and its reason while flagged. Market data seeds from this after
   * a restart, and the market data guard its `initial` status.
   */
  market(symbol: number): (MarketView & { marketData: number }) | undefined {
    const v = this.book.market(symbol);
    const m = this.ledger.markets.get(symbol);
    if (!v || !m) return undefined;
    if (m.dataStatus !== MarketDataStatus.OK && v.reason === Reason.OK) v.reason = dataReason(m.dataStatus);
    return { ...v, marketData: m.dataStatus };
  }

  /** Any order still known: open (the order itself), or done but within its idempotency window. */
  byClientId(account: number, clientOrderId: string): OmsOrder | RememberedOrder | undefined {
    const idem = this.idempotency;
    const row = idem.find(account, clientOrderId);
    if (row < 0) return undefined;
    return idem.isOpen(row) ? this.openOrder(idem.orderIdAt(row)) : idem.remembered(row);
  }

}

