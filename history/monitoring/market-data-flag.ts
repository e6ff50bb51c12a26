/**
 * VENUE_MARKET_DATA: an instrument's venue market data was flagged stale or as a bad tick by a
 * journaled MARKET_DATA_STATUS (gateway/venue/market-data-guard.ts sends it). Market and stop
 * orders on it are refused from that command on, which an operator should know at once; the
 * clearing command raises nothing (the alert's acknowledgement is the operator's part). No state and
 * no cooldown: the guard sends one command per change, and the engine tells only changes.
 */
import { type Command, CommandType, MarketDataStatus } from "../../engine/commands.ts";

const WHAT: Record<number, string> = {
  [MarketDataStatus.STALE]: "stale (no update within the configured time)",
  [MarketDataStatus.BAD_TICK]: "a bad tick (a print outside the band from the last good price)",
};

export function judgeMarketDataFlag(cmd: Command, symbol: number, marketData: number, name: string | undefined): { text: string; detail: object } | null {
  // A session or halt change of a flagged symbol carries the flag too: only the command that set it counts.
  if (cmd.type !== CommandType.MARKET_DATA_STATUS || marketData === MarketDataStatus.OK) return null;
  return {
    text: `venue market data for ${name ?? `symbol ${symbol}`} is ${WHAT[marketData] ?? `flagged (${marketData})`}: market and stop orders are refused`,
    detail: { symbol, status: marketData, actor: cmd.actor },
  };
}
