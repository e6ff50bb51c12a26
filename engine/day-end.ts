/**
 * The trading day of an instrument without a calendar: it trades around the clock, and its day
 * ends every 24 hours at a fixed UTC time of day (`dayEndUtc`, default "00:00", when crypto venues
 * roll their daily figures). Pure arithmetic on engine time (µs since the epoch): no clock, no
 * time zone, so a replay computes the same boundary bit for bit.
 */
import { EngineConfigError } from "./errors.ts";
export const DAY_US = 86_400_000_000;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** "HH:MM" (UTC) → µs after midnight; throws on anything else, naming the instrument. */
export function parseDayEnd(text: string, symbol: string): number {
  const m = typeof text === "string" ? HHMM.exec(text) : null;
  if (m === null) throw new EngineConfigError(`${symbol}: dayEndUtc must be "HH:MM" (UTC, 00:00–23:59): ${text}`);
  return (Number(m[1]) * 60 + Number(m[2])) * 60_000_000;
}

/**
 * The first day end strictly after `time`, for days ending `offsetUs` after midnight UTC. An order
 * entered exactly at a boundary belongs to the day that starts there.
 */
export function dayEndAfter(time: number, offsetUs: number): number {
  return Math.floor((time - offsetUs) / DAY_US) * DAY_US + DAY_US + offsetUs;
}
