import { InvariantError } from "./errors.ts";
import type { Account, Cash, Position } from "./accounts.ts";
import { OrderState } from "./order-state.ts";
import type { Market } from "./risk.ts";

export { OrderState };

/**
 * The order lifecycle as the account side sees it: a state machine whose every transition is
 * checked against the table in docs/accounts.md. The idempotency index on (account,
 * clientOrderId) is engine/idempotency-window.ts.
 */

const { NONE, PENDING, NEW, PARTIALLY_FILLED, FILLED, CANCELLED, EXPIRED, REJECTED, PENDING_UNKNOWN } = OrderState;

const LEGAL: Record<number, readonly number[]> = {
  [NONE]: [PENDING],
  [PENDING]: [NEW, REJECTED, PENDING_UNKNOWN],
  [NEW]: [PARTIALLY_FILLED, FILLED, CANCELLED, EXPIRED, PENDING_UNKNOWN],
  [PARTIALLY_FILLED]: [PARTIALLY_FILLED, FILLED, CANCELLED, EXPIRED, PENDING_UNKNOWN],
  // Routed orders only (docs/venues.md): the venue's answer resolves it, whatever it is.
  [PENDING_UNKNOWN]: [NEW, PARTIALLY_FILLED, FILLED, CANCELLED, EXPIRED, REJECTED],
};

/** The table as bit masks (bit `to` set in MASKS[from + 1]): checked on every transition. */
const MASKS = new Int32Array(9);
for (const [from, tos] of Object.entries(LEGAL)) for (const to of tos) MASKS[Number(from) + 1]! |= 1 << to;

export function isLegal(from: number, to: number): boolean {
  return from >= -1 && from < 8 && to >= 0 && to < 8 && (MASKS[from + 1]! & (1 << to)) !== 0;
}

export function isDone(state: number): boolean {
  return state === FILLED || state === CANCELLED || state === EXPIRED || state === REJECTED;
}

export const STATE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(OrderState).map(([k, v]) => [v, k]));

/** One order's account-side record. */
export class OmsOrder {
  state: number = NONE;
  /** Costing price in ticks: the limit, or the cap written for a market or stop buy. */
  price = 0;
  qty = 0;
  leaves = 0;
  filled = 0;
  cancelled = 0;
  /**
   * Quote units held for a buy (docs/accounts.md, Reservation); 0 for a sell. Kept as a double
   * while below 2^52 (exact), else as a BigInt with `reservedNum` = −1.
   */
  reservedNum = 0;
  reservedBig = 0n;

  get reserved(): bigint {
    return this.reservedNum >= 0 ? BigInt(this.reservedNum) : this.reservedBig;
  }

  set reserved(v: bigint) {
    if (v < 4503599627370496n) {
      this.reservedNum = Number(v);
      this.reservedBig = 0n;
    } else {
      this.reservedNum = -1;
      this.reservedBig = v;
    }
  }
  /** The cap of a market or stop buy was written by risk (not the client), so an amend re-costs it. */
  riskCap = false;
  /** The ledger records this order touches, looked up once when it is accepted. */
  acct!: Account;
  pos!: Position;
  cash!: Cash;
  market!: Market;
  /** Notional and fees paid so far, for the average price and statements. */
  filledNotional = 0n;
  fees = 0n;

  constructor(
    readonly orderId: number,
    readonly account: number,
    readonly symbol: number,
    readonly side: number,
    readonly orderType: number,
    readonly tif: number,
    readonly clientOrderId: string,
    readonly submitTime: number,
    /**
     * The fee rates of the account's tier at submission. The order is charged these for its whole
     * life, so a tier change cannot make a fill cost more than its reservation holds.
     */
    readonly makerBps: number,
    readonly takerBps: number,
  ) {}

  /** The larger fee: what the reservation must cover. */
  get worstBps(): number {
    return this.makerBps > this.takerBps ? this.makerBps : this.takerBps;
  }

  /** Moves to `to`; an illegal transition is a bug in the engine, never a client error. */
  transition(to: number): number {
    const from = this.state;
    if (!isLegal(from, to)) {
      throw new InvariantError(`order ${this.orderId}: illegal transition ${STATE_NAMES[from]} → ${STATE_NAMES[to]}`);
    }
    this.state = to;
    return from;
  }
}

const CLIENT_ID = /^[\x21-\x7e]{1,36}$/;

export function validClientOrderId(id: string): boolean {
  return CLIENT_ID.test(id);
}
