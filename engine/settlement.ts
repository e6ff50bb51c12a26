import type { Position } from "./accounts.ts";

/**
 * Average-cost position accounting for one side of a fill (docs/accounts.md, Settlement).
 *
 * `signedQty` is +q for a buy, −q for a sell; `amount` is the fill's notional (≥ 0). Cash and fees
 * are settled by the caller; this keeps the position's quantity, cost basis and realized P&L.
 *
 * Closing part of a position releases its proportional share of the basis, rounded toward zero,
 * so that the basis left over always belongs to the quantity left over and reaching zero releases
 * all of it: nothing is created or lost by rounding.
 */
export function applyFill(pos: Position, signedQty: number, amount: bigint): void {
  const q = pos.qty;
  if (q === 0 || Math.sign(q) === Math.sign(signedQty)) {
    pos.qty = q + signedQty;
    pos.cost += signedQty > 0 ? amount : -amount;
    return;
  }
  const absQ = Math.abs(q);
  const absD = Math.abs(signedQty);
  const closing = Math.min(absQ, absD);
  // The fill's notional split between the part that closes and the part that opens.
  const closingAmount = closing === absD ? amount : (amount * BigInt(closing)) / BigInt(absD);
  const closedBasis = closing === absQ ? pos.cost : (pos.cost * BigInt(closing)) / BigInt(absQ);
  if (q > 0) {
    // Selling out of a long: proceeds minus the basis sold.
    pos.realized += closingAmount - closedBasis;
  } else {
    // Buying back a short: the (negative) basis is what was received; the buy-back costs amount.
    pos.realized += -closedBasis - closingAmount;
  }
  pos.cost -= closedBasis;
  pos.qty = q + (signedQty > 0 ? closing : -closing);
  const opening = absD - closing;
  if (opening > 0) {
    const openingAmount = amount - closingAmount;
    pos.qty += signedQty > 0 ? opening : -opening;
    pos.cost += signedQty > 0 ? openingAmount : -openingAmount;
  }
}
