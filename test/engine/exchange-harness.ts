/**
 * A harness for the account-side tests (docs/accounts.md): an `Exchange` with a small default
 * configuration, helpers that each execute ONE command and return its decoded events, and the
 * contract's invariants checked after every command:
 *
 *   - cash per currency over all accounts (fee account included) moves only by successful
 *     DEPOSIT − WITHDRAW; positions per symbol only by DEPOSIT_POSITION − WITHDRAW_POSITION;
 *   - for every account and currency, reserved == Σ need(L, leaves) over its open buys (plus its
 *     withdrawals awaiting approval), computed
 *     here from the formula of the doc (not with engine/risk.ts), and available ≥ 0;
 *   - openBuys / openSells == Σ leaves of open buys / sells per (account, symbol);
 *   - the account side's open orders equal the book's (id, account, symbol, side, leaves, filled,
 *     cancelled, price), every open order is NEW or PARTIALLY_FILLED, qty = filled + leaves +
 *     cancelled, and each account's openOrders count is its number of open orders;
 *   - every ORDER_STATE event is a legal transition (isLegal) from the state the order was last
 *     reported in, so each order's sequence of states is a legal path from NONE;
 *   - every book event that moves an order (ACCEPTED, TRADE, CANCELLED to zero, EXPIRED, a book
 *     REJECTED of a created order) writes the matching ORDER_STATE, in the same order; an open
 *     order is PARTIALLY_FILLED exactly when something of it filled;
 *   - each account's balance equals its deposits − withdrawals ± fill notionals − fees (at its
 *     rates of the tier the order was submitted under, rounded up), recomputed here from the events; the fee account collects the fees;
 *     per (account, symbol) realized − cost = Σ sell notionals − Σ buy notionals;
 *   - a new order either creates exactly one order (NONE → PENDING) or none; a (account,
 *     clientOrderId) gets a new order only once its last one is done and a window old; a DUPLICATE
 *     names the order that holds it, is the command's last event and creates nothing.
 */
import { expect } from "bun:test";
import { Access, Actor, ALL_SYMBOLS, type CommandInit, CommandType, Flags, makeCommand, OrderType, Side, StpMode, TimeInForce } from "../../engine/commands.ts";
import { decodeEvents, type EngineEvent, EventBuffer } from "../../engine/events.ts";
import { Exchange, type ExchangeConfig } from "../../engine/exchange.ts";
import { isDone, isLegal, type OmsOrder, OrderState, STATE_NAMES } from "../../engine/orders.ts";
import { Reason, reasonName } from "../../engine/reasons.ts";

export { Access, Actor, ALL_SYMBOLS, CommandType, Flags, OrderState, OrderType, Reason, Side, StpMode, TimeInForce };
export type { EngineEvent };

export * from "./exchange-fixture.ts";
import { orderCommandFields } from "./order-fields.ts";
import { ABC, BUY, DAY_US, defaultConfig, fee, LIMIT, need, type OrderInit, type Placed, SELL, STOP, STOP_LIMIT, T0, TIER } from "./exchange-fixture.ts";


/** Raised by the invariant checks: names the command that broke it. */
export class InvariantError extends Error {}

export class Harness {
  readonly ex: Exchange;
  readonly config: ExchangeConfig;
  readonly out = new EventBuffer(8);
  /** Engine time of the last command; each command without its own time is one µs later. */
  time = T0 - 1;
  nextId = 1;
  /** Check the invariants after every command. */
  checks = true;
  /** Every event of every command, in order. */
  readonly history: EngineEvent[] = [];
  /** Net cash moved in by account commands, per currency; net lots, per symbol. */
  readonly cashIn = new Map<number, bigint>();
  readonly lotsIn = new Map<number, number>();
  /** Last state reported by ORDER_STATE per order id (NONE before the first). */
  readonly lastState = new Map<number, number>();
  /** Each order's sequence of states. */
  readonly paths = new Map<number, number[]>();
  /** (account, clientOrderId) → every order id created for it, with submission time. */
  readonly byClientId = new Map<string, { orderId: number; time: number }[]>();
  /** Number of orders created (NONE → PENDING) per order id: must be 0 or 1. */
  readonly created = new Map<number, number>();
  /**
   * Settlement recomputed from the events alone: each account's cash per currency (deposits −
   * withdrawals ± fill notionals − fees at its tier's rates, rounded up), and per (account, symbol)
   * Σ sell notionals − Σ buy notionals (position deposits and withdrawals count at their basis),
   * which must equal realized − cost (test/engine/settlement.test.ts derives why).
   */
  readonly expectedCash = new Map<string, bigint>();
  /** Fee rates (maker, taker) each order was submitted under. */
  readonly orderRates = new Map<number, [number, number]>();
  readonly netFlow = new Map<string, bigint>();
  /** The cap each order's client gave (0: none), at entry or by a later amend that took effect. */
  readonly clientCap = new Map<number, number>();

  constructor(over: Partial<ExchangeConfig> = {}) {
    this.config = defaultConfig(over);
    this.ex = new Exchange(this.config);
  }

  get ledger() {
    return this.ex.ledger;
  }

  /** Executes one command (time = last + 1 µs unless given) and returns its events. */
  run(init: Omit<CommandInit, "time"> & { time?: number }): EngineEvent[] {
    const time = init.time ?? this.time + 1;
    this.time = time;
    const cmd = makeCommand({ ...init, time });
    this.out.reset();
    this.ex.execute(cmd, this.out);
    const events = decodeEvents(this.out);
    this.history.push(...events);
    this.track(init as CommandInit, time, events);
    if (this.checks) this.check(`${commandName(init.type)} at ${time}`);
    return events;
  }

  /** Advances engine time by `us` with a TICK. */
  tick(us: number): EngineEvent[] {
    return this.run({ type: CommandType.TICK, time: this.time + us });
  }

  // ---------------------------------------------------------------- account commands

  open(account: number, tier = TIER): EngineEvent[] {
    return this.run({ type: CommandType.OPEN_ACCOUNT, account, tier });
  }

  deposit(account: number, currency: number, amount: bigint): EngineEvent[] {
    return this.run({ type: CommandType.DEPOSIT, account, currency, amount });
  }

  withdraw(account: number, currency: number, amount: bigint, destination: string, time?: number): EngineEvent[] {
    return this.run({ type: CommandType.WITHDRAW, account, currency, amount, destination, ...(time !== undefined ? { time } : {}) });
  }

  addDestination(account: number, destination: string): EngineEvent[] {
    return this.run({ type: CommandType.ADD_DESTINATION, account, destination });
  }

  depositPosition(account: number, symbol: number, qty: number, price: number): EngineEvent[] {
    return this.run({ type: CommandType.DEPOSIT_POSITION, account, symbol, qty, price });
  }

  withdrawPosition(account: number, symbol: number, qty: number, price: number): EngineEvent[] {
    return this.run({ type: CommandType.WITHDRAW_POSITION, account, symbol, qty, price });
  }

  setTier(account: number, tier: number): EngineEvent[] {
    return this.run({ type: CommandType.SET_TIER, account, tier });
  }

  setAccess(account: number, symbol: number, flags: number): EngineEvent[] {
    return this.run({ type: CommandType.SET_SYMBOL_ACCESS, account, symbol, flags });
  }

  setShortLimit(account: number, symbol: number, qty: number): EngineEvent[] {
    return this.run({ type: CommandType.SET_SHORT_LIMIT, account, symbol, qty });
  }

  setMark(symbol: number, price: number): EngineEvent[] {
    return this.run({ type: CommandType.SET_MARK_PRICE, symbol, price });
  }

  /** Opens an account and funds it: cash per currency, and positions at a cost of `price` ticks. */
  fund(account: number, cash: Partial<Record<number, bigint>>, lots: Partial<Record<number, [qty: number, price: number]>> = {}, tier = TIER): void {
    expectAccount(this.open(account, tier));
    for (const [c, amount] of Object.entries(cash)) if (amount! > 0n) expectAccount(this.deposit(account, Number(c), amount!));
    for (const [s, [qty, price]] of Object.entries(lots) as [string, [number, number]][]) expectAccount(this.depositPosition(account, Number(s), qty, price));
  }

  // ---------------------------------------------------------------- orders

  order(o: OrderInit): Placed {
    const id = o.id ?? this.nextId++;
    if (id >= this.nextId) this.nextId = id + 1;
    const events = this.run({
      type: CommandType.NEW_ORDER,
      orderId: id,
      account: o.account,
      symbol: o.symbol ?? ABC,
      ...orderCommandFields(o),
      clientOrderId: o.clientOrderId ?? "",
      actor: o.actor ?? Actor.ACCOUNT,
      session: o.session ?? 0,
    });
    return { id, events };
  }

  buy(o: Omit<OrderInit, "side">): Placed {
    return this.order({ ...o, side: BUY });
  }

  sell(o: Omit<OrderInit, "side">): Placed {
    return this.order({ ...o, side: SELL });
  }

  cancel(orderId: number, account?: number, symbol?: number): EngineEvent[] {
    const o = this.ex.open.get(orderId);
    return this.run({ type: CommandType.CANCEL, orderId, account: account ?? o?.account ?? 0, symbol: symbol ?? o?.symbol ?? ABC });
  }

  /** AMEND: fields not given keep the order's current values (from the book); a STOP's cap is kept by 0. */
  amend(orderId: number, f: { qty?: number; price?: number; stopPrice?: number; account?: number; symbol?: number }): EngineEvent[] {
    const v = this.ex.book.order(orderId);
    const o = this.ex.open.get(orderId);
    return this.run({
      type: CommandType.AMEND,
      orderId,
      account: f.account ?? o?.account ?? 0,
      symbol: f.symbol ?? o?.symbol ?? ABC,
      qty: f.qty ?? v?.qty ?? 0,
      price: f.price ?? (v?.orderType === STOP ? 0 : (v?.price ?? 0)),
      stopPrice: f.stopPrice ?? v?.stopPrice ?? 0,
    });
  }

  massCancel(account: number, symbol: number = ALL_SYMBOLS): EngineEvent[] {
    return this.run({ type: CommandType.MASS_CANCEL, account, symbol });
  }

  endOfDay(symbol: number = ALL_SYMBOLS): EngineEvent[] {
    return this.run({ type: CommandType.END_OF_DAY, symbol });
  }

  // ---------------------------------------------------------------- state

  cash(account: number, currency: number): { balance: bigint; reserved: bigint; available: bigint } {
    const c = this.ledger.accounts.get(account)?.cash.get(currency);
    const balance = c?.balance ?? 0n;
    const reserved = c?.reserved ?? 0n;
    return { balance, reserved, available: balance - reserved };
  }

  pos(account: number, symbol: number): { qty: number; cost: bigint; realized: bigint; openBuys: number; openSells: number } {
    const p = this.ledger.accounts.get(account)?.positions.get(symbol);
    return { qty: p?.qty ?? 0, cost: p?.cost ?? 0n, realized: p?.realized ?? 0n, openBuys: p?.openBuys ?? 0, openSells: p?.openSells ?? 0 };
  }

  /**
   * Everything a rejected command must leave alone, normalized so that empty records (a zero Cash
   * or Position the engine may create on a lookup) do not count as a change.
   */
  state(): unknown {
    const ex = this.ex;
    const accounts = [...ex.ledger.accounts.values()]
      .sort((a, b) => a.id - b.id)
      .map((a) => ({
        id: a.id,
        tier: a.tier,
        cash: [...a.cash].filter(([, c]) => c.balance !== 0n || c.reserved !== 0n).sort((x, y) => x[0] - y[0]).map(([id, c]) => [id, c.balance, c.reserved]),
        positions: [...a.positions]
          .filter(([, p]) => p.qty !== 0 || p.cost !== 0n || p.realized !== 0n || p.openBuys !== 0 || p.openSells !== 0)
          .sort((x, y) => x[0] - y[0])
          .map(([id, p]) => [id, p.qty, p.cost, p.realized, p.openBuys, p.openSells]),
        allowed: a.allowed ? [...a.allowed].sort() : null,
        denied: [...a.denied].sort(),
        shortLimits: [...a.shortLimits].sort((x, y) => x[0] - y[0]),
        destinations: [...a.destinations].sort(),
        openOrders: a.openOrders,
        rate: [...a.rateTimes, a.rateNext],
      }));
    const open = [...ex.open.values()]
      .sort((a, b) => a.orderId - b.orderId)
      .map((o) => ({ id: o.orderId, state: o.state, price: o.price, qty: o.qty, leaves: o.leaves, filled: o.filled, cancelled: o.cancelled, reserved: o.reserved }));
    const books: unknown[] = [];
    for (const s of ex.ledger.markets.keys()) {
      books.push({
        symbol: s,
        bids: ex.book.depth(s, BUY),
        asks: ex.book.depth(s, SELL),
        buyStops: ex.book.stops(s, BUY).map((v) => v.orderId),
        sellStops: ex.book.stops(s, SELL).map((v) => v.orderId),
        last: ex.book.lastPrice(s),
        market: ex.ledger.markets.get(s)!.lastPrice,
        mark: ex.ledger.markets.get(s)!.markOverride,
      });
    }
    // What each (account, clientOrderId) ever used through this harness resolves to now.
    const idem = [...this.byClientId.keys()].sort().map((key) => {
      const slash = key.indexOf("/");
      return [key, ex.byClientId(Number(key.slice(0, slash)), key.slice(slash + 1))?.orderId ?? null];
    });
    return { accounts, open, book: ex.book.openOrders(), books, idem };
  }

  // ---------------------------------------------------------------- invariants

  private track(init: CommandInit, time: number, events: EngineEvent[]): void {
    // Account commands that took effect move money or lots in or out.
    const took = events.some((e) => e.type === "account" && e.commandType === init.type);
    const add = <K>(m: Map<K, bigint>, k: K, v: bigint) => m.set(k, (m.get(k) ?? 0n) + v);
    if (took) {
      const cashKey = `${init.account}/${init.currency}`;
      const flowKey = `${init.account}/${init.symbol}`;
      const basis = () => BigInt(init.price!) * BigInt(init.qty!) * this.ledger.markets.get(init.symbol!)!.k;
      if (init.type === CommandType.DEPOSIT) {
        add(this.cashIn, init.currency!, init.amount!);
        add(this.expectedCash, cashKey, init.amount!);
      }
      // A withdrawal held for approval (the ledger says which) leaves when approved, not before.
      const paid = (init.type === CommandType.WITHDRAW && this.ledger.lastPending === 0) || init.type === CommandType.APPROVE_WITHDRAWAL;
      if (paid) {
        add(this.cashIn, init.currency!, -init.amount!);
        add(this.expectedCash, cashKey, -init.amount!);
      }
      if (init.type === CommandType.DEPOSIT_POSITION) {
        this.lotsIn.set(init.symbol!, (this.lotsIn.get(init.symbol!) ?? 0) + init.qty!);
        add(this.netFlow, flowKey, -basis());
      }
      if (init.type === CommandType.WITHDRAW_POSITION) {
        this.lotsIn.set(init.symbol!, (this.lotsIn.get(init.symbol!) ?? 0) - init.qty!);
        add(this.netFlow, flowKey, basis());
      }
    }
    for (const e of events) {
      // An order pays the fee rates of its account's tier when it was submitted (docs/accounts.md).
      if (e.type === "orderState" && e.from === OrderState.NONE) {
        const tier = this.config.tiers.find((t) => t.id === this.ledger.accounts.get(e.account)!.tier)!;
        this.orderRates.set(e.orderId, [tier.makerBps, tier.takerBps]);
      }
      if (e.type !== "trade") continue;
      const m = this.ledger.markets.get(e.symbol)!;
      const n = BigInt(e.price) * BigInt(e.qty) * m.k;
      const sides: [account: number, buy: boolean, taker: boolean, orderId: number][] = [
        [e.takerAccount, e.takerSide === BUY, true, e.takerOrderId],
        [e.makerAccount, e.takerSide !== BUY, false, e.makerOrderId],
      ];
      for (const [account, isBuy, taker, orderId] of sides) {
        const [makerBps, takerBps] = this.orderRates.get(orderId)!;
        const f = fee(n, taker ? takerBps : makerBps);
        add(this.expectedCash, `${account}/${m.quote}`, (isBuy ? -n : n) - f);
        add(this.expectedCash, `${this.ledger.feeAccount}/${m.quote}`, f);
        add(this.netFlow, `${account}/${e.symbol}`, isBuy ? -n : n);
      }
    }
    const where = `${commandName(init.type)} at ${time}`;
    let createdHere = 0;
    for (const e of events) {
      if (e.type === "orderState") {
        const from = this.lastState.get(e.orderId) ?? OrderState.NONE;
        if (e.from !== from) throw new InvariantError(`${where}: order ${e.orderId} reported ${e.from}→${e.to} but was last ${from}`);
        if (!isLegal(e.from, e.to)) throw new InvariantError(`${where}: order ${e.orderId} illegal transition ${e.from}→${e.to}`);
        if (e.time !== time) throw new InvariantError(`${where}: ORDER_STATE time ${e.time}`);
        this.lastState.set(e.orderId, e.to);
        if (e.from === OrderState.NONE) {
          createdHere++;
          const n = (this.created.get(e.orderId) ?? 0) + 1;
          this.created.set(e.orderId, n);
          if (n > 1) throw new InvariantError(`${where}: order id ${e.orderId} created twice`);
          if (init.type !== CommandType.NEW_ORDER || e.orderId !== init.orderId) throw new InvariantError(`${where}: order ${e.orderId} created by a command that did not submit it`);
          const cid = init.clientOrderId ?? "";
          if (cid !== "") {
            const key = `${init.account}/${cid}`;
            const prior = this.byClientId.get(key) ?? [];
            const window = this.config.idempotencyWindowUs ?? DAY_US;
            for (const p of prior) {
              const pState = this.lastState.get(p.orderId)!;
              // The earlier order must be done and submitted at least a window ago.
              if (!isDone(pState) || p.time > time - window) {
                throw new InvariantError(`${where}: clientOrderId ${key} reused while order ${p.orderId} holds it`);
              }
            }
            prior.push({ orderId: e.orderId, time });
            this.byClientId.set(key, prior);
          }
        }
        const path = this.paths.get(e.orderId) ?? [];
        path.push(e.to);
        this.paths.set(e.orderId, path);
      } else if (e.type === "accepted") {
        if (init.type !== CommandType.NEW_ORDER || e.orderId !== init.orderId || this.lastState.get(e.orderId) !== OrderState.PENDING) {
          throw new InvariantError(`${where}: ACCEPTED for order ${e.orderId} that this command did not just create`);
        }
        this.clientCap.set(e.orderId, init.price ?? 0);
      } else if (e.type === "amended") {
        // An amend's price 0 keeps the cap (docs/matching.md, AMEND); any other is the client's new one.
        if ((init.price ?? 0) > 0) this.clientCap.set(e.orderId, init.price!);
      } else if (e.type === "duplicate") {
        const key = `${init.account}/${init.clientOrderId ?? ""}`;
        const prior = this.byClientId.get(key);
        const last = prior?.[prior.length - 1];
        if (!last || last.orderId !== e.orderId) throw new InvariantError(`${where}: DUPLICATE names order ${e.orderId}, expected ${last?.orderId}`);
        if (e.state !== this.lastState.get(e.orderId)) throw new InvariantError(`${where}: DUPLICATE state ${e.state}`);
        // Expiries due at the command's time come first; after the DUPLICATE nothing happens.
        if (events[events.length - 1] !== e) throw new InvariantError(`${where}: events after DUPLICATE`);
        if (events.some((x) => x.type === "orderState" && x.orderId === init.orderId)) throw new InvariantError(`${where}: DUPLICATE created an order`);
      }
    }
    if (createdHere > 1) throw new InvariantError(`${where}: one command created ${createdHere} orders`);
    // Every book event that moves an order writes its ORDER_STATE, in the same order.
    const implied: string[] = [];
    const created = createdHere === 1 ? init.orderId : undefined;
    for (const e of events) {
      if (e.type === "accepted") implied.push(`${e.orderId}→NEW/${Reason.OK}/${e.leaves}`);
      else if (e.type === "rejected" && e.commandType === CommandType.NEW_ORDER && e.orderId === created) implied.push(`${e.orderId}→REJECTED/${e.reason}/0`);
      else if (e.type === "trade") {
        implied.push(`${e.takerOrderId}→${e.takerLeaves === 0 ? "FILLED" : "PARTIALLY_FILLED"}/${Reason.OK}/${e.takerLeaves}`);
        implied.push(`${e.makerOrderId}→${e.makerLeaves === 0 ? "FILLED" : "PARTIALLY_FILLED"}/${Reason.OK}/${e.makerLeaves}`);
      } else if (e.type === "cancelled" && e.leaves === 0) implied.push(`${e.orderId}→CANCELLED/${e.reason}/0`);
      else if (e.type === "expired") implied.push(`${e.orderId}→EXPIRED/${e.reason}/0`);
    }
    const actual = ofType(events, "orderState")
      .filter((e) => e.from !== OrderState.NONE)
      .map((e) => `${e.orderId}→${STATE_NAMES[e.to]}/${e.reason}/${e.leaves}`);
    if (implied.join(" ") !== actual.join(" ")) throw new InvariantError(`${where}: ORDER_STATE events [${actual.join(" ")}] ≠ what the book events imply [${implied.join(" ")}]`);
  }

  /** The invariants of the file comment; throws InvariantError naming `where`. */
  check(where = "check"): void {
    const ex = this.ex;
    const ledger = ex.ledger;
    const fail = (msg: string): never => {
      throw new InvariantError(`${where}: ${msg}`);
    };
    // Conservation.
    const cashTotal = new Map<number, bigint>();
    const lotTotal = new Map<number, number>();
    for (const a of ledger.accounts.values()) {
      for (const [c, cash] of a.cash) {
        cashTotal.set(c, (cashTotal.get(c) ?? 0n) + cash.balance);
        if (cash.balance - cash.reserved < 0n) fail(`account ${a.id} currency ${c}: available ${cash.balance - cash.reserved} < 0`);
        if (cash.reserved < 0n) fail(`account ${a.id} currency ${c}: reserved ${cash.reserved} < 0`);
      }
      for (const [s, p] of a.positions) lotTotal.set(s, (lotTotal.get(s) ?? 0) + p.qty);
    }
    for (const c of new Set([...cashTotal.keys(), ...this.cashIn.keys()])) {
      if ((cashTotal.get(c) ?? 0n) !== (this.cashIn.get(c) ?? 0n)) fail(`currency ${c}: total cash ${cashTotal.get(c)} ≠ deposits − withdrawals ${this.cashIn.get(c)}`);
    }
    for (const s of new Set([...lotTotal.keys(), ...this.lotsIn.keys()])) {
      if ((lotTotal.get(s) ?? 0) !== (this.lotsIn.get(s) ?? 0)) fail(`symbol ${s}: total position ${lotTotal.get(s)} ≠ position deposits − withdrawals ${this.lotsIn.get(s)}`);
    }
    // Settlement, recomputed from the events.
    for (const a of ledger.accounts.values()) {
      for (const [c, cash] of a.cash) {
        const want = this.expectedCash.get(`${a.id}/${c}`) ?? 0n;
        if (cash.balance !== want) fail(`account ${a.id} currency ${c}: balance ${cash.balance} ≠ ${want} recomputed from deposits, withdrawals, fills and fees`);
      }
      for (const [s, p] of a.positions) {
        const want = this.netFlow.get(`${a.id}/${s}`) ?? 0n;
        if (p.realized - p.cost !== want) fail(`account ${a.id} symbol ${s}: realized ${p.realized} − cost ${p.cost} ≠ Σ sells − Σ buys ${want}`);
        if ((p.qty === 0) !== (p.cost === 0n) || (p.qty > 0 && p.cost < 0n) || (p.qty < 0 && p.cost > 0n)) fail(`account ${a.id} symbol ${s}: cost ${p.cost} does not follow qty ${p.qty}`);
      }
    }
    for (const [key, want] of this.expectedCash) {
      const [a, c] = key.split("/").map(Number) as [number, number];
      if ((ledger.accounts.get(a)?.cash.get(c)?.balance ?? 0n) !== want) fail(`account ${a} currency ${c}: balance missing, want ${want}`);
    }
    // Reservations and held lots, from the open orders.
    const reserved = new Map<string, bigint>();
    const buys = new Map<string, number>();
    const sells = new Map<string, number>();
    const openCount = new Map<number, number>();
    for (const o of ex.open.values()) {
      const m = ledger.markets.get(o.symbol)!;
      if (o.state !== OrderState.NEW && o.state !== OrderState.PARTIALLY_FILLED) fail(`open order ${o.orderId} in state ${o.state}`);
      if (o.leaves <= 0) fail(`open order ${o.orderId} has leaves ${o.leaves}`);
      if (o.state !== (o.filled > 0 ? OrderState.PARTIALLY_FILLED : OrderState.NEW)) fail(`open order ${o.orderId} with ${o.filled} filled is in state ${STATE_NAMES[o.state]}`);
      if (o.filled + o.leaves + o.cancelled !== o.qty) fail(`order ${o.orderId}: filled ${o.filled} + leaves ${o.leaves} + cancelled ${o.cancelled} ≠ qty ${o.qty}`);
      openCount.set(o.account, (openCount.get(o.account) ?? 0) + 1);
      const key = `${o.account}/${o.symbol}`;
      if (o.side === BUY) {
        const ck = `${o.account}/${m.quote}`;
        const n = need(o.price, o.leaves, m.k, o.worstBps);
        if (o.reserved !== n) fail(`order ${o.orderId}: reserved ${o.reserved} ≠ need ${n}`);
        reserved.set(ck, (reserved.get(ck) ?? 0n) + n);
        buys.set(key, (buys.get(key) ?? 0) + o.leaves);
      } else {
        if (o.reserved !== 0n) fail(`sell ${o.orderId} reserves cash ${o.reserved}`);
        sells.set(key, (sells.get(key) ?? 0) + o.leaves);
      }
    }
    // Withdrawals awaiting approval hold their amounts too.
    for (const a of ledger.accounts.values()) for (const w of a.pendingWithdrawals.values()) reserved.set(`${a.id}/${w.currency}`, (reserved.get(`${a.id}/${w.currency}`) ?? 0n) + w.amount);
    for (const a of ledger.accounts.values()) {
      if (a.openOrders !== (openCount.get(a.id) ?? 0)) fail(`account ${a.id}: openOrders ${a.openOrders} ≠ ${openCount.get(a.id) ?? 0}`);
      for (const [c, cash] of a.cash) {
        const want = reserved.get(`${a.id}/${c}`) ?? 0n;
        if (cash.reserved !== want) fail(`account ${a.id} currency ${c}: reserved ${cash.reserved} ≠ Σ need ${want}`);
      }
      for (const [s, p] of a.positions) {
        const key = `${a.id}/${s}`;
        if (p.openBuys !== (buys.get(key) ?? 0)) fail(`account ${a.id} symbol ${s}: openBuys ${p.openBuys} ≠ ${buys.get(key) ?? 0}`);
        if (p.openSells !== (sells.get(key) ?? 0)) fail(`account ${a.id} symbol ${s}: openSells ${p.openSells} ≠ ${sells.get(key) ?? 0}`);
      }
    }
    for (const [key, want] of reserved) {
      const [a, c] = key.split("/").map(Number) as [number, number];
      if ((ledger.accounts.get(a)?.cash.get(c)?.reserved ?? 0n) !== want) fail(`account ${a} currency ${c}: reserved missing, want ${want}`);
    }
    // The book and the account side agree on what is open.
    const bookOpen = ex.book.openOrders();
    const omsOpen = [...ex.open.values()].sort((a, b) => a.orderId - b.orderId);
    const ids = (xs: { orderId: number }[]) => xs.map((x) => x.orderId).join(",");
    if (bookOpen.length !== omsOpen.length) fail(`book open [${ids(bookOpen)}] ≠ account side open [${ids(omsOpen)}]`);
    for (let i = 0; i < bookOpen.length; i++) {
      const b = bookOpen[i]!;
      const o = omsOpen[i]!;
      if (b.orderId !== o.orderId) fail(`book open [${ids(bookOpen)}] ≠ account side open [${ids(omsOpen)}]`);
      if (b.account !== o.account || b.symbol !== o.symbol || b.side !== o.side) fail(`order ${o.orderId}: owner differs between book and account side`);
      if (b.leaves !== o.leaves || b.filled !== o.filled || b.cancelled !== o.cancelled || b.qty !== o.qty) {
        fail(`order ${o.orderId}: book leaves/filled/cancelled/qty ${b.leaves}/${b.filled}/${b.cancelled}/${b.qty} ≠ account side ${o.leaves}/${o.filled}/${o.cancelled}/${o.qty}`);
      }
      // A buy's costing price is what the book enforces (limit or cap).
      if (o.side === BUY && b.price !== o.price) fail(`buy ${o.orderId}: book price ${b.price} ≠ costing price ${o.price}`);
      if ((o.orderType === LIMIT || o.orderType === STOP_LIMIT) && b.price !== o.price) fail(`order ${o.orderId}: limit ${b.price} ≠ ${o.price}`);
      if (o.orderType === STOP) this.checkStopCap(o, b, fail);
    }
  }

  /**
   * A pending STOP's cap, however often amended: the client's if it gave one, else none for a sell
   * (it trades as a market order once triggered) and, for a buy, the protection band's worst price
   * from its current trigger (docs/accounts.md, Costing price). A sell is costed at its cap, else
   * its trigger.
   */
  private checkStopCap(o: OmsOrder, b: { orderId: number; price: number; stopPrice: number }, fail: (msg: string) => never): void {
    const given = this.clientCap.get(o.orderId) ?? 0;
    const bandBps = this.config.instruments.find((i) => i.id === o.symbol)!.bandBps;
    const want = given > 0 ? given : o.side === BUY ? b.stopPrice + Math.floor((b.stopPrice * bandBps) / 10_000) : 0;
    if (b.price !== want) fail(`stop ${o.orderId}: book cap ${b.price} ≠ ${want} (client's cap ${given}, trigger ${b.stopPrice})`);
    if (o.side === BUY && o.riskCap !== (given === 0)) fail(`buy stop ${o.orderId}: riskCap ${o.riskCap} but the client's cap is ${given}`);
    if (o.side !== BUY && o.price !== (b.price || b.stopPrice)) fail(`sell stop ${o.orderId}: costing price ${o.price} ≠ its cap or trigger ${b.price || b.stopPrice}`);
  }
}

// ---------------------------------------------------------------- assertions

export function commandName(type: number): string {
  return Object.entries(CommandType).find(([, v]) => v === type)?.[0] ?? `COMMAND_${type}`;
}

/** Exactly one event: REJECTED with this reason. */
export function expectRejected(events: EngineEvent[], reason: number): void {
  const got = events.map((e) => (e.type === "rejected" ? `rejected ${reasonName(e.reason)}` : e.type));
  expect(got).toEqual([`rejected ${reasonName(reason)}`]);
}

/** Exactly one event: ACCOUNT (the account command took effect). */
export function expectAccount(events: EngineEvent[]): void {
  const got = events.map((e) => (e.type === "rejected" ? `rejected ${reasonName(e.reason)}` : e.type));
  expect(got).toEqual(["account"]);
}

export function ofType<T extends EngineEvent["type"]>(events: EngineEvent[], type: T): Extract<EngineEvent, { type: T }>[] {
  return events.filter((e): e is Extract<EngineEvent, { type: T }> => e.type === type);
}

/** The ORDER_STATE transitions of one order in `events`, as [from, to, reason]. */
export function transitions(events: EngineEvent[], orderId: number): [number, number, number][] {
  return ofType(events, "orderState")
    .filter((e) => e.orderId === orderId)
    .map((e) => [e.from, e.to, e.reason]);
}

export function omsOrder(h: Harness, orderId: number): OmsOrder | undefined {
  return h.ex.open.get(orderId);
}
