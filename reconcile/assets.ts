/** Currency and symbol names and decimal amounts for the report, from the exchange's config. */
import type { ExchangeConfig } from "../engine/exchange.ts";
import { formatQty, type Instrument, makeInstrument } from "../engine/instrument.ts";
import { type CurrencySpec, formatAmount } from "../engine/money.ts";

export class Assets {
  readonly currencies: Map<number, CurrencySpec>;
  readonly byCode: Map<string, CurrencySpec>;
  private readonly instruments: Map<number, Instrument>;

  constructor(config: ExchangeConfig) {
    this.currencies = new Map(config.currencies.map((c) => [c.id, c]));
    this.byCode = new Map(config.currencies.map((c) => [c.code, c]));
    this.instruments = new Map(config.instruments.map((s) => [s.id, makeInstrument(s)]));
  }

  currency(id: number): string {
    return this.currencies.get(id)?.code ?? String(id);
  }

  symbol(id: number): string {
    return this.instruments.get(id)?.symbol ?? String(id);
  }

  /** Minor units as a decimal string (the digits themselves for a currency the config lacks). */
  money(currency: number, units: bigint): string {
    const c = this.currencies.get(currency);
    return c ? formatAmount(c, units) : units.toString();
  }

  instrument(id: number): Instrument | undefined {
    return this.instruments.get(id);
  }

  qty(symbol: number, lots: number): string {
    const i = this.instruments.get(symbol);
    return i ? formatQty(i, lots) : String(lots);
  }
}
