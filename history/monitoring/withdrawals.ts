/**
 * QUICK_WITHDRAWAL and NEW_DESTINATION_WITHDRAWAL: money that goes out soon after it came in (a
 * withdrawal of at least `depositShare` of what was deposited in that currency within
 * `depositWindowUs`), and money that goes to a destination added only lately — the two shapes of
 * a pass-through account and of a taken-over one. A withdrawal counts when requested, whether paid
 * at once or held for approval: the request is the act worth an operator's eye.
 */
import { type AccountWatch, dropBefore } from "./account-watch.ts";
import type { MonitoringSettings } from "./settings.ts";

export function noteDeposit(w: AccountWatch, time: number, currency: number, amount: bigint, s: MonitoringSettings): void {
  dropBefore(w.deposits, time - s.depositWindowUs, (d) => d[0]);
  w.deposits.push([time, currency, amount.toString()]);
}

export function noteDestination(w: AccountWatch, time: number, destination: string, s: MonitoringSettings): void {
  dropBefore(w.destinations, time - s.destinationWindowUs, (d) => d[0]);
  w.destinations.push([time, destination]);
}

export interface QuickFinding {
  deposited: bigint;
  /** µs since the first of those deposits. */
  sinceUs: number;
}

export function judgeQuickWithdrawal(w: AccountWatch, time: number, currency: number, amount: bigint, s: MonitoringSettings): QuickFinding | null {
  dropBefore(w.deposits, time - s.depositWindowUs, (d) => d[0]);
  let deposited = 0n;
  let first = 0;
  for (const [t, c, a] of w.deposits) {
    if (c !== currency) continue;
    if (deposited === 0n) first = t;
    deposited += BigInt(a);
  }
  if (deposited === 0n) return null;
  return Number(amount) >= s.depositShare * Number(deposited) ? { deposited, sinceUs: time - first } : null;
}

export function judgeNewDestination(w: AccountWatch, time: number, destination: string, s: MonitoringSettings): { addedUs: number } | null {
  dropBefore(w.destinations, time - s.destinationWindowUs, (d) => d[0]);
  const d = w.destinations.find((e) => e[1] === destination);
  return d ? { addedUs: time - d[0] } : null;
}
