import { OrderType, Side, StpMode, TimeInForce } from "../../engine/commands.ts";

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

/** A NEW_ORDER's order fields with both harnesses' defaults: LIMIT, BUY, GTC (IOC for MARKET), CANCEL_NEWEST, 0 for the rest. */
export function orderCommandFields(o: OrderFields) {
  const type = o.type ?? OrderType.LIMIT;
  return {
    side: o.side ?? Side.BUY,
    orderType: type,
    tif: o.tif ?? (type === OrderType.MARKET ? TimeInForce.IOC : TimeInForce.GTC),
    price: o.price ?? 0,
    stopPrice: o.stopPrice ?? 0,
    qty: o.qty,
    stp: o.stp ?? StpMode.CANCEL_NEWEST,
    flags: o.flags ?? 0,
    expireTime: o.expireTime ?? 0,
  };
}
