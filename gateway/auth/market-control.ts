import { CommandType, MarketDataStatus } from "../../engine/commands.ts";
import type { InstrumentSpec } from "../../engine/instrument.ts";
import { type Caller, auditOf, isOperator } from "./caller.ts";
import type { Directory } from "./directory.ts";
import { done, fail, type Outcome, refusedBy } from "./outcome.ts";

/** What a halt or resume answers: the symbol, what it is now, and the journal's seq of the command. */
export interface MarketControlResult {
  symbol: string;
  halted: boolean;
  seq: number;
}

/** A venue market data status by name, as the doors say it (docs/venues.md). */
export const MARKET_DATA_STATUS_NAMES = { ok: MarketDataStatus.OK, stale: MarketDataStatus.STALE, bad_tick: MarketDataStatus.BAD_TICK } as const;
export type MarketDataStatusName = keyof typeof MARKET_DATA_STATUS_NAMES;

/** What setting a market data status answers: the symbol, its status now, and the journal's seq of the command. */
export interface MarketDataResult {
  symbol: string;
  status: MarketDataStatusName;
  seq: number;
}

/**
 * Operators halt and resume trading in an instrument while the exchange runs: the engine's HALT and
 * RESUME, journaled through the one path for operator commands (Directory.submit) with the operator
 * in the command's audit fields, as account administration does. While halted, resting-type orders
 * are queued and anything that must trade at once is refused SYMBOL_HALTED; on resume the queue
 * joins the book. The engine halts one instrument a command (HALT takes no "every symbol"), so
 * there is no halt-everything here: an operator halts each instrument.
 */
export class MarketControl {
  constructor(
    private readonly directory: Directory,
    private readonly instruments: readonly InstrumentSpec[],
  ) {}

  halt(c: Caller, symbol: string): Promise<Outcome<MarketControlResult>> {
    return this.submit(c, symbol, true);
  }

  resume(c: Caller, symbol: string): Promise<Outcome<MarketControlResult>> {
    return this.submit(c, symbol, false);
  }

  /**
   * Sets (or clears, `ok`) the venue market data flag of an instrument by hand: MARKET_DATA_STATUS
   * with the operator as author — what the market data guard does by itself (docs/venues.md), for
   * when an operator knows better (a venue's announced outage, or a flag to lift after checking).
   */
  async setMarketData(c: Caller, symbol: string, status: MarketDataStatusName): Promise<Outcome<MarketDataResult>> {
    if (!isOperator(c)) return fail("forbidden", "NOT_PERMITTED", "only an operator may set an instrument's market data status");
    const inst = this.instruments.find((i) => i.symbol === symbol);
    if (!inst) return fail("not-found", "UNKNOWN_SYMBOL", `unknown symbol ${symbol}`);
    const r = await this.directory.submit({ type: CommandType.MARKET_DATA_STATUS, symbol: inst.id, tier: MARKET_DATA_STATUS_NAMES[status], ...auditOf(c) });
    return r.ok ? done({ symbol, status, seq: r.seq }) : refusedBy(r.reason);
  }

  private async submit(c: Caller, symbol: string, halt: boolean): Promise<Outcome<MarketControlResult>> {
    if (!isOperator(c)) return fail("forbidden", "NOT_PERMITTED", "only an operator may halt or resume trading");
    const inst = this.instruments.find((i) => i.symbol === symbol);
    if (!inst) return fail("not-found", "UNKNOWN_SYMBOL", `unknown symbol ${symbol}`);
    const r = await this.directory.submit({ type: halt ? CommandType.HALT : CommandType.RESUME, symbol: inst.id, ...auditOf(c) });
    return r.ok ? done({ symbol, halted: halt, seq: r.seq }) : refusedBy(r.reason);
  }
}
