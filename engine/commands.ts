/**
 * Commands are flat records of numbers: the actor runtime decodes a ring slot into one reused
 * `Command` and hands it to the engine, so there is no per-command allocation and no string on
 * the hot path. Symbols and accounts are integer ids; prices are ticks, quantities lots.
 */
export const CommandType = {
  NEW_ORDER: 1,
  CANCEL: 2,
  AMEND: 3,
  MASS_CANCEL: 4,
  /** Session close: every DAY order of `symbol` (or of every symbol when symbol = ALL) expires. */
  END_OF_DAY: 5,
  /** Carries only engine time: expires good-till-date orders whose time has come. */
  TICK: 6,
  /** Market-control commands, symbol side. */
  HALT: 7,
  RESUME: 8,
  /** Account commands (docs/accounts.md). */
  OPEN_ACCOUNT: 20,
  DEPOSIT: 21,
  WITHDRAW: 22,
  ADD_DESTINATION: 23,
  DEPOSIT_POSITION: 24,
  WITHDRAW_POSITION: 25,
  SET_TIER: 26,
  SET_SYMBOL_ACCESS: 27,
  SET_SHORT_LIMIT: 28,
  SET_MARK_PRICE: 29,
  /** A withdrawal that waited for approval: paid (approve) or released (reject). `orderId` names it; the other fields must match it. */
  APPROVE_WITHDRAWAL: 30,
  REJECT_WITHDRAWAL: 31,
  // Identity (engine/identity.ts): users, their credentials' hashes and API keys, journaled so a
  // replay, a point-in-time recovery and a follower hold the same users and keys as the exchange did.
  USER_ADD: 40,
  USER_PASSWORD: 41,
  USER_TOTP: 42,
  USER_RECOVERY: 43,
  USER_GRANT: 44,
  USER_LOCK: 45,
  USER_LOGIN: 46,
  KEY_ADD: 47,
  KEY_SET: 48,
  KEY_REVOKE: 49,
  // Routing (docs/venues.md): what the venue said, journaled by the router so replay and recovery
  // hold. `account` is the venue's street account; `orderId` the routed order.
  /**
   * The link to the venue is up (`tier` 1) or down (0): down puts orders awaiting an answer in
   * PENDING_UNKNOWN; up asks the venue the status of every open order routed to it (ROUTE QUERY).
   */
  VENUE_STATUS: 50,
  /**
   * The venue accepted the order, or said it is open (a status answer): resolves PENDING and
   * PENDING_UNKNOWN. `qty` is the venue's CumQty: unequal to what has settled, fills are missing and
   * the order stays as it is (refused, VENUE_STATUS_UNKNOWN) until they come. So for VENUE_DONE.
   */
  VENUE_ACK: 51,
  /** A fill: `qty` lots at `price` ticks, `destination` the venue's ExecID (up to 64 characters; a client order id's 36 are too few). Checked before it settles. */
  VENUE_FILL: 52,
  /** The order ended at the venue: `flags` 0 cancelled, 1 expired, 2 rejected; `tier` the Reason. */
  VENUE_DONE: 53,
  /** The venue refused our cancel of the order. */
  VENUE_CANCEL_REJECT: 54,
  /**
   * The venue's market data for `symbol` is trusted again (0), stale (1) or printed a bad tick (2):
   * the status is in `tier` (MarketDataStatus). While flagged, MARKET, STOP and STOP_LIMIT orders
   * on it are refused (docs/venues.md "Market data from the venue"). Sent by the system's market
   * data guard (gateway/venue/market-data-guard.ts) or an operator.
   */
  MARKET_DATA_STATUS: 60,
} as const;

/** MARKET_DATA_STATUS's status, carried in `tier`. */
export const MarketDataStatus = {
  OK: 0,
  STALE: 1,
  BAD_TICK: 2,
} as const;

/** Who issued a command, for the audit trail. */
export const Actor = {
  ACCOUNT: 0,
  SESSION: 1,
  SYSTEM: 2,
  /** A signed-in user (an operator's action, a trader's key or MFA change): `session` is the user's id. */
  USER: 3,
  /** The exchange's operator at the host, through the local operator token (gateway/auth/operator-token.ts). */
  HOST: 4,
} as const;

/** SET_SYMBOL_ACCESS flags. */
export const Access = {
  CLEAR: 0,
  ALLOW: 1,
  DENY: 2,
} as const;

export const Side = { BUY: 0, SELL: 1 } as const;

export const OrderType = {
  LIMIT: 0,
  MARKET: 1,
  /** Becomes a market order when the last trade price reaches `stopPrice`. */
  STOP: 2,
  /** Becomes a limit order at `price` when the last trade price reaches `stopPrice`. */
  STOP_LIMIT: 3,
} as const;

export const TimeInForce = {
  GTC: 0,
  IOC: 1,
  FOK: 2,
  DAY: 3,
  GTD: 4,
} as const;

/** Self-trade prevention; the taker's mode applies. Zero is the safe default. */
export const StpMode = {
  CANCEL_NEWEST: 0,
  CANCEL_OLDEST: 1,
  CANCEL_BOTH: 2,
  DECREMENT_AND_CANCEL: 3,
  /** Self-trades allowed (an internal crossing venue may want this). */
  NONE: 4,
} as const;

export const Flags = {
  POST_ONLY: 1,
} as const;

/** VENUE_DONE's `flags`: how the order ended at the venue. */
export const VenueDone = { CANCELLED: 0, EXPIRED: 1, REJECTED: 2 } as const;

/** `symbol` value of a mass cancel or end-of-day that applies to every symbol. */
export const ALL_SYMBOLS = -1;

export class Command {
  type = 0;
  /**
   * Engine time in microseconds since the Unix epoch, stamped by the sequencer. Microseconds keep
   * every time exact in a double (nanoseconds since the epoch are past 2^53).
   */
  time = 0;
  /** Assigned by the sequencer (from the sequence number) for a new order; the target otherwise. */
  orderId = 0;
  account = 0;
  symbol = 0;
  side = 0;
  orderType = 0;
  tif = 0;
  /** Limit price in ticks (new order, amend). */
  price = 0;
  /** Trigger price in ticks for STOP and STOP_LIMIT. */
  stopPrice = 0;
  /** Quantity in lots; for an amend, the new total order quantity. */
  qty = 0;
  stp = 0;
  flags = 0;
  /** Good-till-date expiry in engine time (µs). */
  expireTime = 0;
  /** The client's own id for a new order: 1–36 printable ASCII; unique per account for a window. */
  clientOrderId = "";
  /** Who sent it (Actor) and which session, for the audit trail. */
  actor = 0;
  session = 0;
  /** Account commands: currency id, exact amount in currency units, tier, destination. */
  currency = 0;
  amount = 0n;
  tier = 0;
  destination = "";

  reset(): this {
    this.type = 0;
    this.time = 0;
    this.orderId = 0;
    this.account = 0;
    this.symbol = 0;
    this.side = 0;
    this.orderType = 0;
    this.tif = 0;
    this.price = 0;
    this.stopPrice = 0;
    this.qty = 0;
    this.stp = 0;
    this.flags = 0;
    this.expireTime = 0;
    this.clientOrderId = "";
    this.actor = 0;
    this.session = 0;
    this.currency = 0;
    this.amount = 0n;
    this.tier = 0;
    this.destination = "";
    return this;
  }

  copyFrom(o: Command): this {
    this.type = o.type;
    this.time = o.time;
    this.orderId = o.orderId;
    this.account = o.account;
    this.symbol = o.symbol;
    this.side = o.side;
    this.orderType = o.orderType;
    this.tif = o.tif;
    this.price = o.price;
    this.stopPrice = o.stopPrice;
    this.qty = o.qty;
    this.stp = o.stp;
    this.flags = o.flags;
    this.expireTime = o.expireTime;
    this.clientOrderId = o.clientOrderId;
    this.actor = o.actor;
    this.session = o.session;
    this.currency = o.currency;
    this.amount = o.amount;
    this.tier = o.tier;
    this.destination = o.destination;
    return this;
  }
}

/** Fields a caller may give when building a command off the hot path (tests, demo, tools). */
export type CommandInit = Partial<Omit<Command, "reset" | "copyFrom">> & { type: number };

export function makeCommand(init: CommandInit): Command {
  return Object.assign(new Command(), init);
}
