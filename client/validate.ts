import { parsePrice, parseQty, Reason } from "../protocol/shared.ts";
import type { Instrument } from "./instrument.ts";

/**
 * A call the SDK refused before sending anything: `field` names the argument, `accepted` says what
 * it takes, `value` is what it got. `reason` is the engine's code when the value breaks a rule the
 * server would have refused it for (PRICE_OFF_TICK, UNKNOWN_SYMBOL, …), so code that matches on
 * reasons sees the same one whichever side caught it.
 */
export class InvalidArgument extends Error {
  override readonly name = "InvalidArgument";
  constructor(
    readonly field: string,
    readonly accepted: string,
    readonly value: unknown,
    message: string,
    readonly reason?: number,
  ) {
    super(message);
  }
}

/** How a refused value reads in a message: strings quoted, so `"BUY"` and `BUY` are told apart. */
function shown(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return `${v}n`;
  if (v === null || typeof v !== "object") return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

export function refuse(field: string, accepted: string, value: unknown, reason?: number): never {
  throw new InvalidArgument(field, accepted, value, `${field} must be ${accepted} (got ${shown(value)})`, reason);
}

/** `value` exactly one of `names` (case matters: "BUY" is not "buy"); undefined gives `fallback`. */
export function oneOf<K extends string>(field: string, value: unknown, names: readonly K[], fallback?: K): K {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value === "string" && (names as readonly string[]).includes(value)) return value as K;
  const accepted = names.length === 2 ? `"${names[0]}" or "${names[1]}"` : `one of ${names.join(", ")}`;
  return refuse(field, accepted, value);
}

/** An options object with only the named keys: a misspelt key (`orderType` for `type`) would otherwise be ignored in silence. */
export function record(field: string, value: unknown, keys: readonly string[]): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) refuse(field, "an object", value);
  for (const k of Object.keys(value as object)) {
    if (!keys.includes(k)) throw new InvalidArgument(`${field}.${k}`, `one of ${keys.join(", ")}`, k, `${field} has no field ${k}: the fields are ${keys.join(", ")}`);
  }
  return value as Record<string, unknown>;
}

/** The decimal text the SDK accepts for prices and quantities: digits, one optional point, nothing else. */
const DECIMAL = /^\d+(\.\d+)?$/;

function decimal(field: string, value: unknown, invalid: number): string {
  if (typeof value !== "string" || !DECIMAL.test(value) || !/[1-9]/.test(value)) refuse(field, 'a positive decimal string such as "30010.5"', value, invalid);
  return value;
}

/** Price text → ticks of the instrument; off the tick grid is refused, never rounded. */
export function price(field: string, value: unknown, inst: Instrument): number {
  const text = decimal(field, value, field === "stopPrice" ? Reason.INVALID_STOP_PRICE : Reason.INVALID_PRICE);
  const r = parsePrice(inst, text);
  if (r.ok) return r.value;
  if (r.reason === Reason.PRICE_OFF_TICK) refuse(field, `a multiple of ${inst.symbol}'s tick ${inst.tickSize}`, value, r.reason);
  return refuse(field, `a price of at most ${inst.tickSize} × 1e11 for ${inst.symbol}`, value, r.reason);
}

/** Quantity text → lots of the instrument; off the lot grid is refused, never rounded. */
export function qty(field: string, value: unknown, inst: Instrument): number {
  const text = decimal(field, value, Reason.INVALID_QUANTITY);
  const r = parseQty(inst, text);
  if (r.ok) return r.value;
  if (r.reason === Reason.QUANTITY_OFF_LOT) refuse(field, `a multiple of ${inst.symbol}'s lot ${inst.lotSize}`, value, r.reason);
  return refuse(field, `a quantity of at most ${inst.lotSize} × 1e12 for ${inst.symbol}`, value, r.reason);
}

/** 1–36 printable ASCII characters, no space (engine/orders.ts validClientOrderId). */
export function clientOrderId(field: string, value: unknown): string {
  if (typeof value !== "string" || !/^[\x21-\x7e]{1,36}$/.test(value)) refuse(field, "1-36 printable ASCII characters without spaces", value, Reason.INVALID_CLIENT_ORDER_ID);
  return value;
}

export function orderId(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) refuse(field, "a positive whole number", value, Reason.INVALID_ORDER_ID);
  return value;
}

/** Below this a time in µs is more likely milliseconds or seconds (1e15 µs is 2001-09-09). */
const MIN_EPOCH_US = 1e15;

/** µs since the epoch, as the protocol counts time. */
export function epochMicros(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < MIN_EPOCH_US) {
    refuse(field, "µs since the epoch as a whole number (e.g. Date.now() * 1000 + 60e6 for a minute from now)", value);
  }
  return value;
}

export function boolean(field: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") refuse(field, "true or false", value);
  return value;
}

export function text(field: string, value: unknown): string {
  if (typeof value !== "string" || value === "") refuse(field, "a non-empty string", value);
  return value;
}

/** An order named by exactly one of orderId and clientOrderId. */
export function orderRef(field: string, value: unknown): { orderId: number; clientOrderId: string } {
  const r = record(field, value, ["orderId", "clientOrderId"]);
  const hasId = r.orderId !== undefined;
  const hasClient = r.clientOrderId !== undefined;
  if (hasId === hasClient) refuse(field, "{ orderId } or { clientOrderId }, one of the two", value);
  return hasId ? { orderId: orderId(`${field}.orderId`, r.orderId), clientOrderId: "" } : { orderId: 0, clientOrderId: clientOrderId(`${field}.clientOrderId`, r.clientOrderId) };
}
