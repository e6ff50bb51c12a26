import { EngineConfigError } from "./errors.ts";
import { Account } from "./accounts.ts";
import { Access, ALL_SYMBOLS, type Command, CommandType } from "./commands.ts";
import { type InstrumentSpec, makeInstrument } from "./instrument.ts";
import { type CurrencySpec, checkCurrency, contractFactor, notional, parseAmount } from "./money.ts";
import { Reason } from "./reasons.ts";
import type { Market } from "./risk.ts";
import { applyFill } from "./settlement.ts";
import { makeTier, type Tier, type TierSpec } from "./tier.ts";
import { isPrice, isQty } from "./validate.ts";

const DAY_US = 86_400_000_000;

export interface LedgerConfig {
  currencies: CurrencySpec[];
  instruments: InstrumentSpec[];
  tiers: TierSpec[];
  /** Account that collects fees; it is opened automatically. Default 0. */
  feeAccount?: number;
  /** How long after ADD_DESTINATION a destination may be used. Default 24 h. */
  destinationDelayUs?: number;
}

const DESTINATION = /^[\x21-\x7e]{1,96}$/;

/**
 * The account side's state — currencies, tiers, markets as settlement sees them, accounts — and
 * the account commands of docs/accounts.md. Deterministic; no I/O.
 */
export class Ledger {
  readonly currencies = new Map<number, CurrencySpec>();
  readonly tiers = new Map<number, Tier>();
  readonly markets = new Map<number, Market>();
  readonly accounts = new Map<number, Account>();
  readonly feeAccount: number;
  readonly destinationDelayUs: number;
  /** Per currency: the largest withdrawal paid without an operator's approval. */
  readonly approvalAbove = new Map<number, bigint>();
  /** The id of the withdrawal the last WITHDRAW left awaiting approval (0: it was paid). */
  lastPending = 0;

  constructor(config: LedgerConfig) {
    for (const c of config.currencies) {
      checkCurrency(c);
      if (this.currencies.has(c.id)) throw new EngineConfigError(`currency id ${c.id} repeated`);
      this.currencies.set(c.id, c);
      if (c.approveWithdrawalsAbove !== undefined) {
        const a = parseAmount(c, c.approveWithdrawalsAbove);
        if (!a.ok) throw new EngineConfigError(`${c.code}: approveWithdrawalsAbove must be a positive decimal with at most ${c.scale} places: ${c.approveWithdrawalsAbove}`);
        this.approvalAbove.set(c.id, a.value);
      }
    }
    for (const t of config.tiers) this.tiers.set(t.id, makeTier(t, (code) => this.currencyByCode(code)));
    for (const spec of config.instruments) {
      const inst = makeInstrument(spec);
      const quote = this.currencyByCode(inst.quote);
      if (!quote) throw new EngineConfigError(`${inst.symbol}: quote currency ${inst.quote || "(none)"} is not configured`);
      const k = contractFactor(inst, quote);
      this.markets.set(inst.id, { inst, quote: quote.id, k, kNum: Number(k), lastPrice: 0, markOverride: 0, dataStatus: 0 });
    }
    if (this.tiers.size === 0) throw new EngineConfigError("at least one tier is needed");
    this.feeAccount = config.feeAccount ?? 0;
    this.destinationDelayUs = config.destinationDelayUs ?? DAY_US;
    const firstTier = Math.min(...this.tiers.keys());
    const fees = new Account(this.feeAccount, firstTier, 0);
    fees.limits = this.tiers.get(firstTier)!;
    this.accounts.set(this.feeAccount, fees);
  }

  currencyByCode(code: string): CurrencySpec | undefined {
    for (const c of this.currencies.values()) if (c.code === code) return c;
    return undefined;
  }

  tierOf(acct: Account): Tier {
    return acct.limits;
  }

  /** Mark price: an external mark set since the last trade, else the last trade, else 0. */
  mark(symbol: number): number {
    const m = this.markets.get(symbol);
    return m ? m.markOverride || m.lastPrice : 0;
  }

  /**
   * Applies an account command; returns OK or the reject reason (and then changes nothing).
   * `symbol`-addressed fields use `cmd.symbol`; amounts `cmd.amount` (units).
   */
  apply(cmd: Command, now: number): number {
    this.lastPending = 0;
    if (cmd.type === CommandType.SET_MARK_PRICE) return this.setMark(cmd);
    if (cmd.type === CommandType.OPEN_ACCOUNT) {
      if (!Number.isSafeInteger(cmd.account) || cmd.account < 0) return Reason.INVALID_ACCOUNT;
      if (this.accounts.has(cmd.account)) return Reason.ACCOUNT_EXISTS;
      const tier = this.tiers.get(cmd.tier);
      if (!tier) return Reason.UNKNOWN_TIER;
      const acct = new Account(cmd.account, tier.id, tier.rateCount);
      acct.limits = tier;
      this.accounts.set(cmd.account, acct);
      return Reason.OK;
    }
    const acct = this.accounts.get(cmd.account);
    if (!acct) return Reason.UNKNOWN_ACCOUNT;
    switch (cmd.type) {
      case CommandType.DEPOSIT:
        return this.deposit(acct, cmd);
      case CommandType.WITHDRAW:
        return this.withdraw(acct, cmd, now);
      case CommandType.APPROVE_WITHDRAWAL:
      case CommandType.REJECT_WITHDRAWAL:
        return this.settleWithdrawal(acct, cmd);
      case CommandType.ADD_DESTINATION:
        if (!DESTINATION.test(cmd.destination)) return Reason.INVALID_DESTINATION;
        if (!acct.destinations.has(cmd.destination)) acct.destinations.set(cmd.destination, now + this.destinationDelayUs);
        return Reason.OK;
      case CommandType.DEPOSIT_POSITION:
      case CommandType.WITHDRAW_POSITION:
        return this.movePosition(acct, cmd);
      case CommandType.SET_TIER: {
        const tier = this.tiers.get(cmd.tier);
        if (!tier) return Reason.UNKNOWN_TIER;
        acct.tier = tier.id;
        acct.limits = tier;
        acct.resizeRate(tier.rateCount);
        return Reason.OK;
      }
      case CommandType.SET_SYMBOL_ACCESS:
        return this.setAccess(acct, cmd);
      case CommandType.SET_SHORT_LIMIT:
        if (!this.markets.has(cmd.symbol)) return Reason.UNKNOWN_SYMBOL;
        if (!Number.isInteger(cmd.qty) || cmd.qty < 0) return Reason.INVALID_QUANTITY;
        if (cmd.qty === 0) acct.shortLimits.delete(cmd.symbol);
        else acct.shortLimits.set(cmd.symbol, cmd.qty);
        return Reason.OK;
      default:
        return Reason.UNKNOWN_COMMAND;
    }
  }

  private deposit(acct: Account, cmd: Command): number {
    if (!this.currencies.has(cmd.currency)) return Reason.UNKNOWN_CURRENCY;
    if (typeof cmd.amount !== "bigint" || cmd.amount <= 0n) return Reason.INVALID_AMOUNT;
    acct.cashOf(cmd.currency).balance += cmd.amount;
    return Reason.OK;
  }

  private withdraw(acct: Account, cmd: Command, now: number): number {
    if (!this.currencies.has(cmd.currency)) return Reason.UNKNOWN_CURRENCY;
    if (typeof cmd.amount !== "bigint" || cmd.amount <= 0n) return Reason.INVALID_AMOUNT;
    const activeFrom = acct.destinations.get(cmd.destination);
    if (activeFrom === undefined) return Reason.DESTINATION_NOT_WHITELISTED;
    if (now < activeFrom) return Reason.DESTINATION_NOT_ACTIVE;
    const cash = acct.cashOf(cmd.currency);
    if (cash.available < cmd.amount) return Reason.INSUFFICIENT_FUNDS;
    const above = this.approvalAbove.get(cmd.currency);
    if (above !== undefined && cmd.amount > above) {
      // Held for an operator: reserved like an order's cash, so nothing can spend it meanwhile.
      const id = acct.nextWithdrawal++;
      acct.pendingWithdrawals.set(id, { id, currency: cmd.currency, amount: cmd.amount, destination: cmd.destination, time: now });
      cash.reserved += cmd.amount;
      this.lastPending = id;
      return Reason.OK;
    }
    cash.balance -= cmd.amount;
    return Reason.OK;
  }

  /** Pays (approve) or releases (reject) a withdrawal that awaited approval; the command restates it, and must match. */
  private settleWithdrawal(acct: Account, cmd: Command): number {
    const w = acct.pendingWithdrawals.get(cmd.orderId);
    if (!w) return Reason.UNKNOWN_WITHDRAWAL;
    if (w.currency !== cmd.currency || w.amount !== cmd.amount || w.destination !== cmd.destination) return Reason.WITHDRAWAL_MISMATCH;
    const cash = acct.cashOf(w.currency);
    cash.reserved -= w.amount;
    if (cmd.type === CommandType.APPROVE_WITHDRAWAL) cash.balance -= w.amount;
    acct.pendingWithdrawals.delete(w.id);
    this.lastPending = w.id;
    return Reason.OK;
  }

  /** Securities moved in or out at a cost basis of `price` ticks per lot (docs/accounts.md). */
  private movePosition(acct: Account, cmd: Command): number {
    const m = this.markets.get(cmd.symbol);
    if (!m) return Reason.UNKNOWN_SYMBOL;
    if (!isQty(cmd.qty)) return Reason.INVALID_QUANTITY;
    if (!isPrice(cmd.price)) return Reason.INVALID_PRICE;
    const pos = acct.positionOf(cmd.symbol);
    if (cmd.type === CommandType.WITHDRAW_POSITION) {
      if (pos.qty - pos.openSells < cmd.qty) return Reason.INSUFFICIENT_POSITION;
      applyFill(pos, -cmd.qty, notional(cmd.price, cmd.qty, m.k));
    } else {
      applyFill(pos, cmd.qty, notional(cmd.price, cmd.qty, m.k));
    }
    return Reason.OK;
  }

  private setAccess(acct: Account, cmd: Command): number {
    if (cmd.symbol !== ALL_SYMBOLS && !this.markets.has(cmd.symbol)) return Reason.UNKNOWN_SYMBOL;
    if (cmd.flags === Access.CLEAR) {
      if (cmd.symbol === ALL_SYMBOLS) {
        acct.allowed = null;
        acct.denied.clear();
      } else {
        // Taking a symbol off an allow list never widens it: an emptied list allows nothing.
        acct.allowed?.delete(cmd.symbol);
        acct.denied.delete(cmd.symbol);
      }
      return Reason.OK;
    }
    if (cmd.symbol === ALL_SYMBOLS) return Reason.UNKNOWN_SYMBOL;
    if (cmd.flags === Access.ALLOW) {
      (acct.allowed ??= new Set()).add(cmd.symbol);
      acct.denied.delete(cmd.symbol);
    } else if (cmd.flags === Access.DENY) {
      acct.denied.add(cmd.symbol);
      acct.allowed?.delete(cmd.symbol);
    } else {
      return Reason.UNKNOWN_COMMAND;
    }
    return Reason.OK;
  }

  private setMark(cmd: Command): number {
    const m = this.markets.get(cmd.symbol);
    if (!m) return Reason.UNKNOWN_SYMBOL;
    if (!isPrice(cmd.price)) return Reason.INVALID_PRICE;
    m.markOverride = cmd.price;
    return Reason.OK;
  }
}
