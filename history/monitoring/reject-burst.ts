/**
 * REJECT_BURST: many refused orders and cancels by one account in a short time — a runaway
 * algorithm, a probe of the risk limits, or quote stuffing. Each command of the account that was
 * refused, or that cancelled orders of it (one cancel, or one mass cancel however many it took), counts once.
 */
import { type AccountWatch, dropBefore } from "./account-watch.ts";
import type { MonitoringSettings } from "./settings.ts";

export interface BurstFinding {
  count: number;
  windowUs: number;
}

export function judgeBurst(w: AccountWatch, time: number, count: number, s: MonitoringSettings): BurstFinding | null {
  dropBefore(w.flows, time - s.rejectWindowUs, (t) => t);
  for (let i = 0; i < count; i++) w.flows.push(time);
  // Past the threshold only the threshold's worth is needed to judge the next one.
  if (w.flows.length > s.rejectCount) w.flows.splice(0, w.flows.length - s.rejectCount);
  return w.flows.length >= s.rejectCount ? { count: w.flows.length, windowUs: s.rejectWindowUs } : null;
}
