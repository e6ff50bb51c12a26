/**
 * @bourse/client: the SDK's public surface. Everything a user imports comes from here; the rest of
 * client/ is its parts. It depends on the wire protocol (protocol/) and nothing else of Bourse.
 */
export * from "./client.ts";
export type { Instrument } from "./instrument.ts";
export { LocalBook, LocalL3Book } from "./local-book.ts";
export { CANDLE_INTERVALS } from "./market-streams.ts";
export { formatPrice, formatQty, MarketState, OrderState, parsePrice, parseQty, Reason, reasonName, reasonText, type Sizes } from "../protocol/shared.ts";
