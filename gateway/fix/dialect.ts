import { OrderType, Side, StpMode, TimeInForce } from "../../engine/commands.ts";
import { OrderState } from "../../engine/orders.ts";
import { Reason } from "../../engine/reasons.ts";

/**
 * Bourse's FIX 4.4 dialect as tables: which enum values map to which engine values, and how the
 * engine's reasons read as FIX reject codes. docs/fix.md is the human version of this file.
 */

export const Tag = {
  Account: 1,
  AvgPx: 6,
  ClOrdID: 11,
  CumQty: 14,
  ExecID: 17,
  ExecInst: 18,
  LastPx: 31,
  LastQty: 32,
  MsgType: 35,
  OrderID: 37,
  OrderQty: 38,
  OrdStatus: 39,
  OrdType: 40,
  OrigClOrdID: 41,
  Price: 44,
  RefSeqNum: 45,
  SenderCompID: 49,
  Side: 54,
  Symbol: 55,
  Text: 58,
  TimeInForce: 59,
  TransactTime: 60,
  PossResend: 97,
  StopPx: 99,
  CxlRejReason: 102,
  OrdRejReason: 103,
  ExpireTime: 126,
  ExecType: 150,
  LeavesQty: 151,
  RefMsgType: 372,
  BusinessRejectReason: 380,
  CxlRejResponseTo: 434,
  MassCancelRequestType: 530,
  MassCancelResponse: 531,
  MassCancelRejectReason: 532,
  TotalAffectedOrders: 533,
  OrdStatusReqID: 790,
  /** Bourse extension: the order's self-trade prevention mode (values in STP below). */
  SelfTradePrevention: 7928,
  /** Bourse extension on Logon: Y/N cancel this session's orders when it disconnects. */
  CancelOnDisconnect: 8013,
} as const;

export const MsgType = {
  ExecutionReport: "8",
  OrderCancelReject: "9",
  NewOrderSingle: "D",
  OrderCancelRequest: "F",
  OrderCancelReplaceRequest: "G",
  OrderStatusRequest: "H",
  BusinessMessageReject: "j",
  OrderMassCancelRequest: "q",
  OrderMassCancelReport: "r",
} as const;

export const SIDE: Record<string, number> = { "1": Side.BUY, "2": Side.SELL };
export const FIX_SIDE = ["1", "2"];

export const ORD_TYPE: Record<string, number> = { "1": OrderType.MARKET, "2": OrderType.LIMIT, "3": OrderType.STOP, "4": OrderType.STOP_LIMIT };
export const FIX_ORD_TYPE: Record<number, string> = { [OrderType.MARKET]: "1", [OrderType.LIMIT]: "2", [OrderType.STOP]: "3", [OrderType.STOP_LIMIT]: "4" };

/** FIX's default TimeInForce is Day (0). */
export const TIF: Record<string, number> = { "0": TimeInForce.DAY, "1": TimeInForce.GTC, "3": TimeInForce.IOC, "4": TimeInForce.FOK, "6": TimeInForce.GTD };
export const FIX_TIF: Record<number, string> = { [TimeInForce.DAY]: "0", [TimeInForce.GTC]: "1", [TimeInForce.IOC]: "3", [TimeInForce.FOK]: "4", [TimeInForce.GTD]: "6" };

/** Tag 7928; absent = cancel the newest (the incoming order), the engine's default. */
export const STP: Record<string, number> = { N: StpMode.CANCEL_NEWEST, O: StpMode.CANCEL_OLDEST, B: StpMode.CANCEL_BOTH, D: StpMode.DECREMENT_AND_CANCEL, A: StpMode.NONE };

/** ExecInst 6 = participate don't initiate: post-only. */
export const EXEC_INST_POST_ONLY = "6";

export const ExecType = { New: "0", Canceled: "4", Replaced: "5", PendingCancel: "6", Rejected: "8", Expired: "C", Trade: "F", OrderStatus: "I", Triggered: "L", PendingNew: "A" } as const;

export const ORD_STATUS: Record<number, string> = {
  [OrderState.PENDING]: "A",
  [OrderState.NEW]: "0",
  [OrderState.PARTIALLY_FILLED]: "1",
  [OrderState.FILLED]: "2",
  [OrderState.CANCELLED]: "4",
  [OrderState.EXPIRED]: "C",
  [OrderState.REJECTED]: "8",
  // FIX 4.4 has no "unknown": Suspended (9) is the order neither working nor done, and Text says why (docs/venues.md).
  [OrderState.PENDING_UNKNOWN]: "9",
};

/** OrdRejReason (103) for an engine reason; 99 (other) with the reason's text in 58 otherwise. */
export function ordRejReason(reason: number): string {
  switch (reason) {
    case Reason.UNKNOWN_SYMBOL:
    case Reason.SYMBOL_NOT_ALLOWED:
      return "1";
    case Reason.MARKET_CLOSED:
    case Reason.SYMBOL_HALTED:
    case Reason.VOLATILITY_HALT:
      return "2";
    case Reason.ORDER_TOO_LARGE:
    case Reason.NOTIONAL_TOO_LARGE:
    case Reason.POSITION_LIMIT:
    case Reason.TOO_MANY_OPEN_ORDERS:
    case Reason.INSUFFICIENT_FUNDS:
    case Reason.INSUFFICIENT_POSITION:
    case Reason.RATE_LIMITED:
      return "3";
    case Reason.UNKNOWN_ORDER:
      return "5";
    case Reason.DUPLICATE_ORDER_ID:
      return "6";
    case Reason.INVALID_QUANTITY:
    case Reason.QUANTITY_OFF_LOT:
      return "13";
    case Reason.INVALID_ORDER_TYPE:
    // The order type is refused on this symbol while its venue's data is flagged (Text says which).
    case Reason.MARKET_DATA_STALE:
    case Reason.MARKET_DATA_BAD_TICK:
    case Reason.INVALID_TIME_IN_FORCE:
    case Reason.INVALID_COMBINATION:
    case Reason.INVALID_STP_MODE:
      return "11";
    case Reason.UNKNOWN_ACCOUNT:
      return "15";
    default:
      return "99";
  }
}

/** CxlRejReason (102): 1 unknown order, 6 duplicate ClOrdID, 0 too late, 99 other. */
export function cxlRejReason(reason: number): string {
  if (reason === Reason.UNKNOWN_ORDER) return "1";
  if (reason === Reason.DUPLICATE_ORDER_ID) return "6";
  return "99";
}
