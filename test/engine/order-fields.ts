/** The fields of a new order both test harnesses take (the book's helpers.ts and the exchange's exchange-harness.ts). */
export interface OrderFields {
  /** Order id; a fresh one when omitted. */
  id?: number;
  symbol?: number;
  side?: number;
  /** Defaults to LIMIT. */
  type?: number;
  tif?: number;
  price?: number;
  stopPrice?: number;
  qty: number;
  /** Defaults to 0 (CANCEL_NEWEST), as on the wire. */
  stp?: number;
  flags?: number;
  expireTime?: number;
}
