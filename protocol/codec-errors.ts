/**
 * What the codec throws. Decoders never throw (they return a ProtocolError, errors.ts); these are
 * for a caller that hands an encoder something the layout cannot carry, or uses a list builder out
 * of order, and for a message description the compiler cannot build. Here, apart from errors.ts,
 * so that frame.ts can throw them without an import circle.
 */

/**
 * A field holds a value its layout cannot carry (a price that is not a non-negative safe integer,
 * an unknown enum value or flag bit, a string too long): a RangeError as before, naming the field so
 * a caller need not parse the message.
 */
export class FieldRangeError extends RangeError {
  override readonly name = "FieldRangeError";
  constructor(
    /** The field's name in the message ("price", "clientOrderId", …). */
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A list builder used out of order: an add or an end with no begin, a bid after the first ask. */
export class BuilderStateError extends Error {
  override readonly name = "BuilderStateError";
}

/** A message description (layout.ts) the codec compiler cannot build: thrown at load time. */
export class LayoutDescriptionError extends Error {
  override readonly name = "LayoutDescriptionError";
}
