/**
 * Exact decimal text ↔ integer units (ticks, lots) without decimal.js, for the SDK: a size such as
 * "0.01" is num / 10^scale with num a BigInt, so every conversion is integer arithmetic and exact.
 * It answers every input as the engine's own conversion does (engine/instrument.ts, which the
 * server uses); test/protocol/decimal-units.test.ts holds the two together with random inputs.
 */

/** A tick or lot size as num / 10^scale, num without trailing zeros past the point. */
export interface UnitGrid {
  readonly num: bigint;
  readonly scale: number;
}

/** A tick or lot size that is not a positive decimal, or units that are not an integer: a caller's bug, not input to refuse. */
export class DecimalUnitsError extends RangeError {
  override name = "DecimalUnitsError";
}

export type Parsed = { ok: true; value: number } | { ok: false; reason: number };

/** The longest price or quantity text either side accepts. */
export const MAX_TEXT = 64;
/** The engine's bounds: a price above this many ticks or a quantity above this many lots is refused. */
export const MAX_PRICE_TICKS = 1e11;
export const MAX_QTY_LOTS = 1e12;

const SIZE = /^(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
/** Strict decimal syntax, as the engine's: no exponent, no hex, no sign other than a leading minus. */
const DECIMAL = /^-?(\d+)(?:\.(\d+))?$/;

const grids = new Map<string, UnitGrid>();

/** The grid of a size written as a positive decimal ("0.01", "5", "1e-8"); RangeError otherwise. */
export function unitGrid(size: string): UnitGrid {
  let g = grids.get(size);
  if (g !== undefined) return g;
  const m = SIZE.exec(size);
  if (m === null) throw new DecimalUnitsError(`not a decimal size: ${size}`);
  let digits = m[1]! + (m[2] ?? "");
  let scale = (m[2] ?? "").length - Number(m[3] ?? 0);
  while (scale > 0 && digits.endsWith("0")) {
    digits = digits.slice(0, -1);
    scale--;
  }
  if (scale < 0) {
    digits += "0".repeat(-scale);
    scale = 0;
  }
  const num = BigInt(digits);
  if (num === 0n) throw new DecimalUnitsError(`a size must be positive: ${size}`);
  g = { num, scale };
  grids.set(size, g);
  return g;
}

const pow10 = (k: number): bigint => 10n ** BigInt(k);

/** units × size, printed with the size's own decimals ("-" only before a non-zero value). */
export function formatUnits(size: string, units: number): string {
  if (!Number.isInteger(units)) throw new DecimalUnitsError(`units must be an integer: ${units}`);
  const g = unitGrid(size);
  const x = BigInt(units) * g.num;
  const digits = (x < 0n ? -x : x).toString();
  const text = g.scale === 0 ? digits : pointAt(digits, g.scale);
  return x < 0n ? "-" + text : text;
}

function pointAt(digits: string, scale: number): string {
  const padded = digits.length > scale ? digits : "0".repeat(scale + 1 - digits.length) + digits;
  const p = padded.length - scale;
  return padded.slice(0, p) + "." + padded.slice(p);
}

/**
 * Text → units on the size's grid: off the grid is `offGrid`, never rounded; not a positive
 * decimal, or above `max` units, is `invalid`.
 */
export function parseUnits(text: unknown, size: string, max: number, invalid: number, offGrid: number): Parsed {
  if (typeof text !== "string" || text.length > MAX_TEXT) return { ok: false, reason: invalid };
  const t = text.trim();
  const m = DECIMAL.exec(t);
  if (m === null || t.startsWith("-")) return { ok: false, reason: invalid };
  const frac = m[2] ?? "";
  const mantissa = BigInt(m[1]! + frac);
  if (mantissa === 0n) return { ok: false, reason: invalid };
  const g = unitGrid(size);
  // text / size = mantissa·10^g.scale / (g.num·10^frac.length), an integer or off the grid.
  const top = mantissa * pow10(g.scale);
  const bottom = g.num * pow10(frac.length);
  if (top % bottom !== 0n) return { ok: false, reason: offGrid };
  const units = top / bottom;
  if (units > BigInt(max)) return { ok: false, reason: invalid };
  return { ok: true, value: Number(units) };
}
