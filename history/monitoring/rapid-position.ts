/**
 * RAPID_POSITION: an account's position in one symbol moved a long way within a short window —
 * the net notional of its fills (buys less sells) there reaches `positionFactor` times its usual
 * fill, over at least `positionMinFills` fills, one way: the net is at least `positionOneWay` of the
 * gross. Net, not gross: a market maker turning over a lot while staying flat is ordinary, and so
 * is a random walk of many fills, whose net is a small share of its gross.
 */
import { type AccountWatch, dropBefore } from "./account-watch.ts";
import type { MonitoringSettings } from "./settings.ts";

export interface PositionFinding {
  symbol: number;
  /** Net notional bought (negative: sold) within the window, units. */
  net: number;
  fills: number;
  usual: number;
}

/** `signed` is the fill's notional, negative for a sale; call after judgeSize has counted the fill. */
export function judgePosition(w: AccountWatch, symbol: number, time: number, signed: number, s: MonitoringSettings): PositionFinding | null {
  const moves = (w.moves[symbol] ??= []);
  dropBefore(moves, time - s.positionWindowUs, (m) => m[0]);
  moves.push([time, signed]);
  if (moves.length < s.positionMinFills || w.fills < s.sizeMinHistory) return null;
  let net = 0;
  let gross = 0;
  for (const m of moves) {
    net += m[1];
    gross += Math.abs(m[1]);
  }
  const usual = Math.exp(w.fillLog);
  return Math.abs(net) >= s.positionFactor * usual && Math.abs(net) >= s.positionOneWay * gross ? { symbol, net, fills: moves.length, usual } : null;
}

/** Forgets symbols whose window has emptied, so the state stays the size of the recent activity. */
export function dropQuietSymbols(w: AccountWatch, time: number, s: MonitoringSettings): void {
  for (const k of Object.keys(w.moves)) {
    const moves = w.moves[k]!;
    dropBefore(moves, time - s.positionWindowUs, (m) => m[0]);
    if (moves.length === 0) delete w.moves[k];
  }
}
