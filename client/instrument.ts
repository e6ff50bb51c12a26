/**
 * An instrument as the SDK knows it: the reference data the server sends (id, symbol, tick and lot
 * sizes as decimal strings, currencies). Prices and quantities convert through protocol/shared.ts,
 * exactly, from the sizes alone.
 */
import type { InstrumentInfo } from "../protocol/index.ts";

export type Instrument = InstrumentInfo;
