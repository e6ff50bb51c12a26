/**
 * Every outcome code of the exchange, in one table shared by every door (binary WebSocket, FIX,
 * REST map from it). Codes are stable wire values: append new ones, never renumber.
 * A code is used both as a reject reason (the command changed nothing) and as the reason on a
 * cancel or expiry event (the order left the book).
 */
export const Reason = {
  OK: 0,
  // --- command validation (reject: nothing changed) ---
  UNKNOWN_SYMBOL: 1,
  INVALID_PRICE: 2,
  PRICE_OFF_TICK: 3,
  INVALID_QUANTITY: 4,
  QUANTITY_OFF_LOT: 5,
  UNKNOWN_ORDER: 6,
  DUPLICATE_ORDER_ID: 7,
  INVALID_ORDER_TYPE: 8,
  INVALID_TIME_IN_FORCE: 9,
  INVALID_SIDE: 10,
  INVALID_STOP_PRICE: 11,
  STOP_WOULD_TRIGGER: 12,
  INVALID_COMBINATION: 13,
  GTD_IN_PAST: 14,
  POST_ONLY_WOULD_TAKE: 15,
  AMEND_BELOW_FILLED: 16,
  INVALID_STP_MODE: 17,
  UNKNOWN_COMMAND: 18,
  INVALID_ORDER_ID: 19,
  INVALID_ACCOUNT: 20,
  // --- why an accepted order left the book ---
  USER_CANCEL: 32,
  MASS_CANCEL: 33,
  IOC_REMAINDER: 34,
  FOK_NOT_FILLABLE: 35,
  NO_LIQUIDITY: 36,
  PRICE_BAND: 37,
  SELF_TRADE: 38,
  DAY_EXPIRED: 39,
  GTD_EXPIRED: 40,
  TRADE_BAND: 41,
  SYMBOL_HALTED: 42,
  VOLATILITY_HALT: 43,
  // --- symbol-side pre-trade (book) ---
  MARKET_CLOSED: 50,
  PRICE_OUTSIDE_BAND: 51,
  NO_REFERENCE_PRICE: 52,
  // --- account-side pre-trade risk (R1) ---
  UNKNOWN_ACCOUNT: 60,
  INVALID_CLIENT_ORDER_ID: 61,
  SYMBOL_NOT_ALLOWED: 62,
  ORDER_TOO_LARGE: 63,
  NOTIONAL_TOO_LARGE: 64,
  POSITION_LIMIT: 65,
  TOO_MANY_OPEN_ORDERS: 66,
  RATE_LIMITED: 67,
  INSUFFICIENT_FUNDS: 68,
  INSUFFICIENT_POSITION: 69,
  // --- account commands ---
  ACCOUNT_EXISTS: 80,
  UNKNOWN_TIER: 81,
  UNKNOWN_CURRENCY: 82,
  INVALID_AMOUNT: 83,
  INVALID_DESTINATION: 84,
  DESTINATION_NOT_WHITELISTED: 85,
  DESTINATION_NOT_ACTIVE: 86,
} as const;

export type ReasonCode = (typeof Reason)[keyof typeof Reason];

const TEXT: Record<number, string> = {
  [Reason.OK]: "ok",
  [Reason.UNKNOWN_SYMBOL]: "unknown symbol",
  [Reason.INVALID_PRICE]: "price must be a positive whole number of ticks",
  [Reason.PRICE_OFF_TICK]: "price is not a multiple of the tick size",
  [Reason.INVALID_QUANTITY]: "quantity must be a positive whole number of lots",
  [Reason.QUANTITY_OFF_LOT]: "quantity is not a multiple of the lot size",
  [Reason.UNKNOWN_ORDER]: "no such open order for this account",
  [Reason.DUPLICATE_ORDER_ID]: "order id already in use",
  [Reason.INVALID_ORDER_TYPE]: "unknown order type",
  [Reason.INVALID_TIME_IN_FORCE]: "time in force not allowed for this order type",
  [Reason.INVALID_SIDE]: "side must be buy or sell",
  [Reason.INVALID_STOP_PRICE]: "stop price must be a positive whole number of ticks",
  [Reason.STOP_WOULD_TRIGGER]: "stop price is already reached by the last trade",
  [Reason.INVALID_COMBINATION]: "post-only cannot be combined with IOC, FOK or a market order",
  [Reason.GTD_IN_PAST]: "good-till-date expiry is not in the future",
  [Reason.POST_ONLY_WOULD_TAKE]: "post-only order would take liquidity",
  [Reason.AMEND_BELOW_FILLED]: "new quantity is not above the filled quantity",
  [Reason.INVALID_STP_MODE]: "unknown self-trade prevention mode",
  [Reason.UNKNOWN_COMMAND]: "unknown command type",
  [Reason.INVALID_ORDER_ID]: "order id must be a positive whole number",
  [Reason.INVALID_ACCOUNT]: "account must be a non-negative whole number",
  [Reason.USER_CANCEL]: "cancelled by request",
  [Reason.MASS_CANCEL]: "cancelled by mass cancel",
  [Reason.IOC_REMAINDER]: "immediate-or-cancel remainder",
  [Reason.FOK_NOT_FILLABLE]: "fill-or-kill could not fill completely",
  [Reason.NO_LIQUIDITY]: "no liquidity left for the market order",
  [Reason.PRICE_BAND]: "remainder would trade beyond the price protection band",
  [Reason.SELF_TRADE]: "self-trade prevention",
  [Reason.DAY_EXPIRED]: "day order expired at end of day",
  [Reason.GTD_EXPIRED]: "good-till-date order expired",
  [Reason.TRADE_BAND]: "next trade would print outside the band around the reference price",
  [Reason.SYMBOL_HALTED]: "trading in the symbol is halted",
  [Reason.VOLATILITY_HALT]: "halted: the price moved too far too fast",
  [Reason.MARKET_CLOSED]: "the market is closed for this symbol and the order cannot be queued",
  [Reason.PRICE_OUTSIDE_BAND]: "limit price is too far from the reference price",
  [Reason.NO_REFERENCE_PRICE]: "no reference price to cost a market buy; give a price cap",
  [Reason.UNKNOWN_ACCOUNT]: "unknown account",
  [Reason.INVALID_CLIENT_ORDER_ID]: "client order id must be 1-36 printable ASCII characters",
  [Reason.SYMBOL_NOT_ALLOWED]: "the account may not trade this symbol",
  [Reason.ORDER_TOO_LARGE]: "quantity above the account's maximum order size",
  [Reason.NOTIONAL_TOO_LARGE]: "notional above the account's maximum order value",
  [Reason.POSITION_LIMIT]: "order would take the position beyond its limit",
  [Reason.TOO_MANY_OPEN_ORDERS]: "the account has its maximum number of open orders",
  [Reason.RATE_LIMITED]: "order rate limit reached; retry later",
  [Reason.INSUFFICIENT_FUNDS]: "not enough available cash",
  [Reason.INSUFFICIENT_POSITION]: "not enough position to sell (beyond any short limit)",
  [Reason.ACCOUNT_EXISTS]: "account already exists",
  [Reason.UNKNOWN_TIER]: "unknown tier",
  [Reason.UNKNOWN_CURRENCY]: "unknown currency",
  [Reason.INVALID_AMOUNT]: "amount must be a positive whole number of currency units",
  [Reason.INVALID_DESTINATION]: "destination must be 1-96 printable ASCII characters",
  [Reason.DESTINATION_NOT_WHITELISTED]: "withdrawal destination is not whitelisted",
  [Reason.DESTINATION_NOT_ACTIVE]: "withdrawal destination is not active yet",
};

export function reasonText(code: number): string {
  return TEXT[code] ?? `reason ${code}`;
}

const NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(Reason).map(([name, code]) => [code, name]),
);

export function reasonName(code: number): string {
  return NAMES[code] ?? `REASON_${code}`;
}
