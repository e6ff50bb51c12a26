/**
 * UNUSUAL_HOUR: an order at an hour of the day (UTC, engine time) the account hardly ever trades
 * at — its orders within an hour either side make less than `hourShare` of all its orders. Judged
 * only once the account has `hourMinOrders` orders over `hourMinDays` days: a new account has no
 * habits yet, and a first day covers only its first hours.
 */
import type { AccountWatch } from "./account-watch.ts";
import type { MonitoringSettings } from "./settings.ts";

const HOUR_US = 3_600_000_000;
const DAY_US = 24 * HOUR_US;

export interface HourFinding {
  hour: number;
  /** The share of the account's orders within an hour of it. */
  share: number;
  orders: number;
}

export function judgeHour(w: AccountWatch, time: number, s: MonitoringSettings): HourFinding | null {
  const hour = Math.floor((time % DAY_US) / HOUR_US);
  const h = w.hours;
  const total = w.hourTotal;
  let found: HourFinding | null = null;
  if (total >= s.hourMinOrders && time - w.firstOrder >= s.hourMinDays * DAY_US) {
    const near = h[(hour + 23) % 24]! + h[hour]! + h[(hour + 1) % 24]!;
    if (near < s.hourShare * total) found = { hour, share: near / total, orders: total };
  }
  if (total === 0) w.firstOrder = time;
  h[hour] = h[hour]! + 1;
  w.hourTotal = total + 1;
  return found;
}
