import { InvariantError } from "./errors.ts";
import { Actor, ALL_SYMBOLS, Command, CommandType, MarketDataStatus, OrderType, Side, VenueDone } from "./commands.ts";
import { Accepted, Amended, Cancelled, Ev, EVENT_WIDTH, EventBuffer, EventType, F, Rejected, RouteKind, SymbolStatus, Trade } from "./events.ts";
import { MarketState } from "./market-state.ts";
import { RoutedOrder, Routing, validExecId } from "./routing.ts";
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
  /** Routed orders and venue links (engine/routing.ts, docs/venues.md); replaced whole on restore. */
  routing = new Routing();
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
        // A routed order goes to its venue, not the book: R2 happens when the venue answers.
        if (this.pending!.market.inst.venueAccount !== 0) return this.route(this.pending!, cmd);
        break;
      case CommandType.CANCEL:
        if (!this.acceptCancel(cmd)) return;
        if (this.routing.open.has(cmd.orderId)) return this.requestCancel(this.open.get(cmd.orderId)!);
        break;
      case CommandType.AMEND:
        if (this.routing.open.has(cmd.orderId) && this.target(cmd)) {
          this.reject(Reason.ROUTED_AMEND_UNSUPPORTED);
          return;
        }
        if (!this.acceptAmend(cmd)) return;
        break;
      case CommandType.MASS_CANCEL:
        if (!this.ledger.accounts.has(cmd.account)) {
          this.reject(Reason.UNKNOWN_ACCOUNT);
          return;
        }
        this.massCancelRouted(cmd);
        break;
      case CommandType.VENUE_STATUS:
        return this.venueStatus(cmd);
      case CommandType.VENUE_ACK:
      case CommandType.VENUE_FILL:
      case CommandType.VENUE_DONE:
      case CommandType.VENUE_CANCEL_REJECT:
        return this.venueReport(cmd);
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
    const venue = m.inst.venueAccount;
    if (venue !== 0 && (!this.routing.up.has(venue) || !ledger.accounts.has(venue))) return this.reject(Reason.VENUE_UNAVAILABLE);
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


  // ---------------------------------------------------------------- routed orders (docs/venues.md)

  /** R1 passed for a routed order: it waits, PENDING, for its venue; the router sends what ROUTE says. */
  private route(o: OmsOrder, cmd: Command): void {
    const buy = o.side === BUY;
    const hasLimit = cmd.orderType === OrderType.LIMIT || cmd.orderType === OrderType.STOP_LIMIT;
    const limit = buy ? o.price : hasLimit ? cmd.price : 0;
    const r = new RoutedOrder(hasLimit ? cmd.price : 0, cmd.stopPrice, cmd.expireTime, limit);
    this.routing.open.set(o.orderId, r);
    this.writeRoute(o, r, RouteKind.NEW);
  }

  private writeRoute(o: OmsOrder, r: RoutedOrder, kind: number): void {
    // A buy without a limit is sent with the cap its reservation was made at (the venue may use it as a protection price).
    const price = r.price !== 0 ? r.price : o.side === BUY ? r.limit : 0;
    this.out.write(EventType.ROUTE, o.symbol, o.orderId, o.account, o.side, price, o.qty, o.leaves, kind, o.orderType, o.tif, r.stopPrice, o.market.inst.venueAccount, r.expireTime);
  }

  /** A client's cancel of a routed order: asked of the venue, which answers with VENUE_DONE or VENUE_CANCEL_REJECT. */
  private requestCancel(o: OmsOrder): void {
    if (!this.routing.up.has(o.market.inst.venueAccount)) {
      this.reject(Reason.VENUE_UNAVAILABLE);
      return;
    }
    const r = this.routing.open.get(o.orderId)!;
    r.cancelRequested = true;
    this.writeRoute(o, r, RouteKind.CANCEL);
  }

  /** A mass cancel reaches the routed orders too: a cancel of each is asked of its venue (if connected). */
  private massCancelRouted(cmd: Command): void {
    for (const [id, r] of this.routing.open) {
      const o = this.open.get(id)!;
      if (o.account !== cmd.account || (cmd.symbol !== ALL_SYMBOLS && o.symbol !== cmd.symbol)) continue;
      if (!this.routing.up.has(o.market.inst.venueAccount) || r.cancelRequested) continue;
      r.cancelRequested = true;
      this.writeRoute(o, r, RouteKind.CANCEL);
    }
  }

  /**
   * The link to a venue went up or down. Down: every order sent and not yet answered, and every
   * order with a cancel in flight, becomes PENDING_UNKNOWN — never guessed; the venue's answers
   * after the reconnect resolve it. Each routed instrument's status says whether it can trade.
   */
  private venueStatus(cmd: Command): void {
    const venue = cmd.account;
    const routed = [...this.ledger.markets.values()].filter((m) => m.inst.venueAccount === venue);
    if (routed.length === 0 || !this.ledger.accounts.has(venue)) {
      this.reject(Reason.UNKNOWN_ACCOUNT);
      return;
    }
    const up = cmd.tier === 1;
    if (up) this.routing.up.add(venue);
    else this.routing.up.delete(venue);
    for (const m of routed) this.out.write(EventType.STATUS, m.inst.id, 0, 0, 0, 0, 0, 0, up ? MarketState.OPEN : MarketState.HALTED, Infinity, up ? Reason.OK : Reason.VENUE_UNAVAILABLE, 0);
    for (const [id, r] of this.routing.open) {
      const o = this.open.get(id)!;
      if (o.market.inst.venueAccount !== venue) continue;
      // Up again: the venue is asked where every order stands (missed fills come by its resend first).
      if (up) this.writeRoute(o, r, RouteKind.QUERY);
      else if (o.state === OrderState.PENDING || (r.cancelRequested && o.state !== OrderState.PENDING_UNKNOWN)) this.transition(o, OrderState.PENDING_UNKNOWN, Reason.VENUE_STATUS_UNKNOWN);
    }
  }

  /** The routed order a venue command names, if it is open and routed to the venue whose street account sent it. */
  private routedTarget(cmd: Command): OmsOrder | undefined {
    const o = this.open.get(cmd.orderId);
    return o && this.routing.open.has(o.orderId) && o.market.inst.venueAccount === cmd.account ? o : undefined;
  }

  private venueReport(cmd: Command): void {
    const o = this.routedTarget(cmd);
    if (!o) {
      const done = this.routing.doneExecIds(cmd.orderId);
      // A status answer for an order done here (its last fill settled it) says nothing new. A fill
      // for an order not open is repeated (its ExecID was settled), over the order's size (it is
      // done), or for an order never routed: each a break, nothing settles.
      if (done === undefined) this.reject(Reason.VENUE_UNKNOWN_ORDER);
      else if (cmd.type === CommandType.VENUE_FILL) this.reject(done.includes(cmd.destination) ? Reason.VENUE_DUPLICATE_EXEC : Reason.VENUE_OVERFILL);
      return;
    }
    const r = this.routing.open.get(o.orderId)!;
    // The venue's CumQty must be what has settled here; otherwise fills are missing: refuse, change nothing.
    if ((cmd.type === CommandType.VENUE_ACK || cmd.type === CommandType.VENUE_DONE) && cmd.qty !== o.filled) {
      this.reject(Reason.VENUE_STATUS_UNKNOWN);
      return;
    }
    switch (cmd.type) {
      case CommandType.VENUE_ACK:
        return this.venueAck(o, r);
      case CommandType.VENUE_FILL:
        return this.venueFill(o, r, cmd);
      case CommandType.VENUE_DONE:
        return this.venueDone(o, r, cmd);
      case CommandType.VENUE_CANCEL_REJECT:
        r.cancelRequested = false;
        this.writeRoute(o, r, RouteKind.CANCEL_REFUSED);
        if (o.state === OrderState.PENDING_UNKNOWN) this.transition(o, o.filled > 0 ? OrderState.PARTIALLY_FILLED : OrderState.NEW, Reason.VENUE_CANCEL_REFUSED);
        return;
    }
  }

  /** The venue says the order is open: PENDING and PENDING_UNKNOWN resolve; anything else is already known. */
  private venueAck(o: OmsOrder, r: RoutedOrder): void {
    if (!r.acked) this.ack(o, r);
    else if (o.state === OrderState.PENDING_UNKNOWN) {
      r.cancelRequested = false;
      this.transition(o, o.filled > 0 ? OrderState.PARTIALLY_FILLED : OrderState.NEW, Reason.OK);
    }
  }

  private ack(o: OmsOrder, r: RoutedOrder): void {
    r.acked = true;
    this.out.write(EventType.ACCEPTED, o.symbol, o.orderId, o.account, o.side, r.price, o.qty, o.leaves, o.orderType, o.tif, r.stopPrice, 0);
    this.transition(o, OrderState.NEW, Reason.OK);
  }

  /**
   * A fill from the venue, checked before anything moves: a repeated ExecID, more than the order's
   * open quantity, or a price worse than its limit is refused (a REJECTED event, a break for an
   * operator) and the account is untouched. A good one settles as a trade against the venue's
   * street account, at the order's taker fee.
   */
  private venueFill(o: OmsOrder, r: RoutedOrder, cmd: Command): void {
    const execId = cmd.destination;
    const price = cmd.price;
    const qty = cmd.qty;
    if (!validExecId(execId) || r.execIds.has(execId)) return void this.reject(Reason.VENUE_DUPLICATE_EXEC);
    if (!isQty(qty)) return void this.reject(Reason.INVALID_QUANTITY);
    if (qty > o.leaves) return void this.reject(Reason.VENUE_OVERFILL);
    if (!isPrice(price)) return void this.reject(Reason.INVALID_PRICE);
    if (o.side === BUY ? price > r.limit : r.limit !== 0 && price < r.limit) return void this.reject(Reason.VENUE_PRICE_OUTSIDE_LIMIT);
    r.execIds.add(execId);
    if (!r.acked) this.ack(o, r);
    const m = o.market;
    m.lastPrice = price;
    m.markOverride = 0;
    const n = notional(price, qty, m.k);
    const fee = feeOf(n, o.takerBps);
    const buy = o.side === BUY;
    o.cash.balance += buy ? -(n + fee) : n - fee;
    this.feeCash(m).balance += fee;
    applyFill(o.pos, buy ? qty : -qty, n);
    const street = this.ledger.accounts.get(m.inst.venueAccount)!;
    street.cashOf(m.quote).balance += buy ? n : -n;
    applyFill(street.positionOf(o.symbol), buy ? -qty : qty, n);
    o.filled += qty;
    o.filledNotional += n;
    o.fees += fee;
    const leaves = o.leaves - qty;
    this.out.write(EventType.TRADE, o.symbol, o.orderId, o.account, o.side, price, qty, leaves, 0, street.id, 0, ++this.book.tradeSeq, o.takerBps, 0);
    this.setLeaves(o, m, leaves);
    this.transition(o, leaves === 0 ? OrderState.FILLED : OrderState.PARTIALLY_FILLED, Reason.OK);
    if (leaves === 0) this.closeRouted(o);
  }

  /** The order ended at the venue: what was left is released. */
  private venueDone(o: OmsOrder, r: RoutedOrder, cmd: Command): void {
    const how = cmd.flags;
    const expired = how === VenueDone.EXPIRED;
    // Rejected is only for an order the venue never accepted; one it had (or whose fills came) ends
    // cancelled. VENUE_REJECTED is the reason of a rejected order alone, so a reader of the event knows.
    const rejected = how === VenueDone.REJECTED && !r.acked;
    const given = cmd.tier === Reason.VENUE_REJECTED && !rejected ? Reason.VENUE_CANCELLED : cmd.tier;
    const reason = rejected ? Reason.VENUE_REJECTED : given !== 0 ? given : expired ? Reason.GTD_EXPIRED : Reason.VENUE_CANCELLED;
    if (!rejected && !r.acked) this.ack(o, r);
    const qty = o.leaves;
    o.cancelled += qty;
    this.out.write(expired ? EventType.EXPIRED : EventType.CANCELLED, o.symbol, o.orderId, o.account, o.side, o.price, qty, 0, reason, 0, 0, 0);
    this.setLeaves(o, o.market, 0);
    this.transition(o, rejected ? OrderState.REJECTED : expired ? OrderState.EXPIRED : OrderState.CANCELLED, reason);
    this.closeRouted(o);
  }

  private closeRouted(o: OmsOrder): void {
    this.close(o);
    this.routing.finish(o.orderId);
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

