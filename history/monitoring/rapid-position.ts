/**
 * RAPID_POSITION: an account's position in one symbol moved a long way within a short window —
 * the net notional of its fills (buys less sells) there reaches `positionFactor` times its usual
 * fill, over at least `positionMinFills` fills, one way: the net is at least `positionOneWay` of the
 * gross. Net, not gross: a market maker turning over a lot while staying flat is ordinary, and so
 * is a random walk of many fills, whose net is a small share of its gross.
 *
 * The window is kept as buckets of a sixtieth of it ([start, net, gross, fills]), so an account
 * filling thousands of times a second costs sixty entries, not thousands: the window's edge is
 * then exact to a bucket, which for a rule about "within a minute" is close enough.
 */
import type { AccountWatch } from "./account-watch.ts";
import type { MonitoringSettings } from "./settings.ts";

const BUCKETS = 60;

export interface PositionFinding {
  symbol: number;
  /** Net notional bought (negative: sold) within the window, units. */
  net: number;
  fills: number;
  usual: number;
}

/** `signed` is the fill's notional, negative for a sale; call after judgeSize has counted the fill. */
export function judgePosition(w: AccountWatch, symbol: number, time: number, signed: number, s: MonitoringSettings): PositionFinding | null {
  const win = (w.moves[symbol] ??= { buckets: [], net: 0, gross: 0, fills: 0 });
  const width = Math.max(1, Math.floor(s.positionWindowUs / BUCKETS));
  const start = time - (time % width);
  // Buckets wholly before the window leave, and their sums with them: the judgement costs O(1) a fill.
  const b = win.buckets;
  let gone = 0;
  while (gone < b.length && b[gone]![0] + width <= time - s.positionWindowUs) {
    win.net -= b[gone]![1];
    win.gross -= b[gone]![2];
    win.fills -= b[gone]![3];
    gone++;
  }
  if (gone > 0) b.splice(0, gone);
  const last = b[b.length - 1];
  if (last && last[0] === start) {
    last[1] += signed;
    last[2] += Math.abs(signed);
    last[3] += 1;
  } else b.push([start, signed, Math.abs(signed), 1]);
  win.net += signed;
  win.gross += Math.abs(signed);
  win.fills += 1;
  if (win.fills < s.positionMinFills || w.fills < s.sizeMinHistory) return null;
  const usual = Math.exp(w.fillLog);
  const net = win.net;
  return Math.abs(net) >= s.positionFactor * usual && Math.abs(net) >= s.positionOneWay * win.gross ? { symbol, net, fills: win.fills, usual } : null;
}

/** Forgets symbols whose window has emptied, so the state stays the size of the recent activity. */
export function dropQuietSymbols(w: AccountWatch, time: number, s: MonitoringSettings): void {
  for (const k in w.moves) {
    const b = w.moves[k]!.buckets;
    if (b.length > 0 && b[b.length - 1]![0] >= time - s.positionWindowUs) continue;
    delete w.moves[k];
  }
}
