/**
 * What the wire protocol shares with the engine and with the SDK: the enums and reason codes a
 * message carries, and exact decimal formatting of ticks and lots. The enums are the engine's own
 * leaf modules (they import nothing), so the numbers on the wire are the engine's by construction;
 * the decimal conversions are BigInt, so a client needs neither the engine nor decimal.js.
 */
import { Reason } from "../engine/reasons.ts";
import { formatUnits, MAX_PRICE_TICKS, MAX_QTY_LOTS, type Parsed, parseUnits } from "./decimal-units.ts";

export { ALL_SYMBOLS, CommandType, Flags, OrderType, Side, StpMode, TimeInForce } from "../engine/commands.ts";
export { MarketState } from "../engine/market-state.ts";
export { OrderState } from "../engine/order-state.ts";
export { Reason, type ReasonCode, reasonName, reasonText } from "../engine/reasons.ts";
export { MAX_PRICE_TICKS, MAX_QTY_LOTS, MAX_TEXT, type Parsed, unitGrid } from "./decimal-units.ts";

/** An instrument as far as decimals go: its tick and lot sizes as decimal strings. */
export interface Sizes {
  readonly tickSize: string;
  readonly lotSize: string;
}

export const formatPrice = (inst: Sizes, ticks: number): string => formatUnits(inst.tickSize, ticks);
export const formatQty = (inst: Sizes, lots: number): string => formatUnits(inst.lotSize, lots);

/** "101.25" → ticks; off the tick grid is PRICE_OFF_TICK, never rounded. */
export const parsePrice = (inst: Sizes, text: unknown): Parsed =>
  parseUnits(text, inst.tickSize, MAX_PRICE_TICKS, Reason.INVALID_PRICE, Reason.PRICE_OFF_TICK);

/** "0.5" → lots; off the lot grid is QUANTITY_OFF_LOT, never rounded. */
export const parseQty = (inst: Sizes, text: unknown): Parsed =>
  parseUnits(text, inst.lotSize, MAX_QTY_LOTS, Reason.INVALID_QUANTITY, Reason.QUANTITY_OFF_LOT);
