import { type Command, Flags, OrderType, Side, StpMode, TimeInForce } from "./commands.ts";
import { MAX_PRICE_TICKS, MAX_QTY_LOTS } from "./instrument.ts";
import { Reason } from "./reasons.ts";

/**
 * Checks of a new order that need no state, shared by the account side (R1) and the book so a bad
 * field gets the same reason whichever sees it first (docs/matching.md, NEW_ORDER steps 2–9; the
 * duplicate-id check between steps 2 and 3 needs state and stays with each side).
 */
export function isPrice(x: number): boolean {
  return Number.isInteger(x) && x >= 1 && x <= MAX_PRICE_TICKS;
}

export function isQty(x: number): boolean {
  return Number.isInteger(x) && x >= 1 && x <= MAX_QTY_LOTS;
}

function inRange(x: number, max: number): boolean {
  return Number.isInteger(x) && x >= 0 && x <= max;
}

export function checkOrderId(cmd: Command): number {
  return Number.isSafeInteger(cmd.orderId) && cmd.orderId >= 1 ? Reason.OK : Reason.INVALID_ORDER_ID;
}

export function checkOrderFields(cmd: Command): number {
  if (!Number.isSafeInteger(cmd.account) || cmd.account < 0) return Reason.INVALID_ACCOUNT;
  if (cmd.side !== Side.BUY && cmd.side !== Side.SELL) return Reason.INVALID_SIDE;
  const type = cmd.orderType;
  if (!inRange(type, OrderType.STOP_LIMIT)) return Reason.INVALID_ORDER_TYPE;
  const tif = cmd.tif;
  if (!inRange(tif, TimeInForce.GTD)) return Reason.INVALID_TIME_IN_FORCE;
  if (type === OrderType.MARKET && tif !== TimeInForce.IOC && tif !== TimeInForce.FOK) return Reason.INVALID_TIME_IN_FORCE;
  if (!inRange(cmd.stp, StpMode.NONE)) return Reason.INVALID_STP_MODE;
  if (!isQty(cmd.qty)) return Reason.INVALID_QUANTITY;
  const hasLimit = type === OrderType.LIMIT || type === OrderType.STOP_LIMIT;
  if (hasLimit ? !isPrice(cmd.price) : cmd.price !== 0 && !isPrice(cmd.price)) return Reason.INVALID_PRICE;
  const isStop = type === OrderType.STOP || type === OrderType.STOP_LIMIT;
  if (isStop && !isPrice(cmd.stopPrice)) return Reason.INVALID_STOP_PRICE;
  const postOnly = (cmd.flags & Flags.POST_ONLY) !== 0;
  if (postOnly && (type !== OrderType.LIMIT || tif === TimeInForce.IOC || tif === TimeInForce.FOK)) return Reason.INVALID_COMBINATION;
  if (tif === TimeInForce.GTD && !(cmd.expireTime > cmd.time)) return Reason.GTD_IN_PAST;
  return Reason.OK;
}
