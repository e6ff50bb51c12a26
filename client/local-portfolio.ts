import { type Portfolio, type PortfolioCash, PortfolioKind, type PortfolioPosition } from "../protocol/index.ts";
import type { Instrument } from "./instrument.ts";

/** One currency of the account; decimal strings of the currency. */
export interface Balance {
  currency: string;
  total: string;
  reserved: string;
  available: string;
  /** The total plus the marked value of positions quoted in this currency. */
  equity: string;
}

/** One instrument the account holds or has held. */
export interface Holding {
  symbol: string;
  symbolId: number;
  /** Signed: short < 0. */
  qty: string;
  averageCost: string;
  /** null without a mark. */
  markPrice: string | null;
  realizedPnl: string;
  unrealizedPnl: string;
}

/** The whole account as of `engineSeq`: what `client.portfolio()` yields, a new object each time. */
export interface PortfolioState {
  account: number;
  /** The last update folded in (docs/protocol.md, The live portfolio). */
  portfolioSeq: number;
  /** The last engine command the state reflects (durable). */
  engineSeq: number;
  balances: Balance[];
  positions: Holding[];
}

/**
 * The account's portfolio kept from a PORTFOLIO snapshot plus updates, as LocalBook keeps a book:
 * an update replaces whole entries by currency or symbol; one whose portfolioSeq is not the next
 * is refused (apply returns false) and the caller asks for a new snapshot.
 */
export class LocalPortfolio {
  ready = false;
  /** Bumped by every frame folded in: a reader yields when it moves. */
  version = 0;
  /** Snapshots asked for after a gap. */
  resyncs = 0;
  private account = 0;
  private portfolioSeq = 0;
  private engineSeq = 0;
  private readonly cash = new Map<string, PortfolioCash>();
  private readonly positions = new Map<number, PortfolioPosition>();

  /** Folds one frame in; false: a gap (ask for a snapshot). */
  fold(m: Portfolio): boolean {
    if (m.kind === PortfolioKind.SNAPSHOT) {
      this.cash.clear();
      this.positions.clear();
      this.ready = true;
    } else if (m.kind === PortfolioKind.UPDATE) {
      if (!this.ready) return true; // before the snapshot: it will include this
      if (m.portfolioSeq !== this.portfolioSeq + 1) {
        this.ready = false;
        this.resyncs++;
        return false;
      }
    } else return true;
    for (const c of m.cash) this.cash.set(c.currency, c);
    for (const p of m.positions) this.positions.set(p.symbol, p);
    this.account = m.account;
    this.portfolioSeq = m.portfolioSeq;
    this.engineSeq = m.engineSeq;
    this.version++;
    return true;
  }

  /** The state as plain objects, instruments named (an unknown id is named by its number). */
  state(byId: (id: number) => Instrument | undefined): PortfolioState {
    return {
      account: this.account,
      portfolioSeq: this.portfolioSeq,
      engineSeq: this.engineSeq,
      balances: [...this.cash.values()].map((c) => ({ currency: c.currency, total: c.total, reserved: c.reserved, available: c.available, equity: c.equity })),
      positions: [...this.positions.values()].map((p) => ({
        symbol: byId(p.symbol)?.symbol ?? String(p.symbol),
        symbolId: p.symbol,
        qty: p.qty,
        averageCost: p.averageCost,
        markPrice: p.markPrice === "" ? null : p.markPrice,
        realizedPnl: p.realizedPnl,
        unrealizedPnl: p.unrealizedPnl,
      })),
    };
  }
}
