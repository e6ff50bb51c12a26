/**
 * LARGE_ORDER and LARGE_FILL: an order or a fill far larger than the account's own usual one.
 * "Usual" is a weighted running mean of ln(notional) — a geometric mean, so one huge order moves
 * it little and an account that always trades big is not flagged for it — judged only once the
 * account has some history. The order that was judged then counts in the mean: an account whose
 * size grows for good stops being flagged.
 */
import type { AccountWatch } from "./account-watch.ts";
import type { MonitoringSettings } from "./settings.ts";

export interface LargeFinding {
  /** How many times the usual notional. */
  factor: number;
  usual: number;
}

export function judgeSize(w: AccountWatch, kind: "order" | "fill", notional: number, s: MonitoringSettings): LargeFinding | null {
  if (!(notional > 0)) return null;
  const ln = Math.log(notional);
  const seen = kind === "order" ? w.orders : w.fills;
  const mean = kind === "order" ? w.orderLog : w.fillLog;
  const limit = kind === "order" ? s.largeOrderFactor : s.largeFillFactor;
  let found: LargeFinding | null = null;
  if (seen >= s.sizeMinHistory && ln - mean >= Math.log(limit)) found = { factor: Math.exp(ln - mean), usual: Math.exp(mean) };
  // The first one sets the mean; after it, each one pulls it by the weight.
  const next = seen === 0 ? ln : mean + s.sizeWeight * (ln - mean);
  if (kind === "order") {
    w.orders = seen + 1;
    w.orderLog = next;
  } else {
    w.fills = seen + 1;
    w.fillLog = next;
  }
  return found;
}
