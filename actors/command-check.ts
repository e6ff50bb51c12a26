import type { Command } from "../engine/commands.ts";
import { Reason } from "../engine/reasons.ts";
import { CommandLayoutError } from "./layout/command-layout.ts";
import { encodeCommand } from "./layout/schema.ts";

/** Reason code for a field the binary layout cannot hold, so the caller can answer in its protocol. */
const FIELD_REASONS: Record<string, number> = {
  qty: Reason.INVALID_QUANTITY,
  price: Reason.INVALID_PRICE,
  stopPrice: Reason.INVALID_STOP_PRICE,
  orderId: Reason.INVALID_ORDER_ID,
  account: Reason.INVALID_ACCOUNT,
  symbol: Reason.UNKNOWN_SYMBOL,
  clientOrderId: Reason.INVALID_CLIENT_ORDER_ID,
  destination: Reason.INVALID_DESTINATION,
  amount: Reason.INVALID_AMOUNT,
  currency: Reason.UNKNOWN_CURRENCY,
  tier: Reason.UNKNOWN_TIER,
  side: Reason.INVALID_SIDE,
  orderType: Reason.INVALID_ORDER_TYPE,
  tif: Reason.INVALID_TIME_IN_FORCE,
  stp: Reason.INVALID_STP_MODE,
  expireTime: Reason.GTD_IN_PAST,
};

/** A command with a field no command can carry (a fractional quantity, a 40-character id): refused before sequencing. */
export class InvalidCommandError extends Error {
  override name = "InvalidCommandError";
  constructor(
    readonly reason: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Encodes `cmd` into `slot` as the check that it can be journaled at all; throws
 * InvalidCommandError with the reason code for the offending field.
 */
export function checkEncodable(cmd: Command, slot: DataView): void {
  encodeOrRefuse(cmd, slot, 0);
}

/** encodeCommand with seq 0 (the sequencer patches it in), its CommandLayoutError turned into an InvalidCommandError for that field. */
export function encodeOrRefuse(cmd: Command, view: DataView, offset: number): void {
  try {
    encodeCommand(cmd, 0, view, offset);
  } catch (e) {
    // Anything else the encoder meets (a value no field can hold) is refused the same way, unnamed.
    const field = e instanceof CommandLayoutError ? e.field : "";
    throw new InvalidCommandError(FIELD_REASONS[field] ?? Reason.UNKNOWN_COMMAND, (e as Error).message, { cause: e });
  }
}
