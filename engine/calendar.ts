/**
 * Trading calendars: sessions in a time zone, weekdays and holidays. Pure: the answer depends only
 * on the calendar and the engine time given (µs since the epoch). Time-zone rules come from the
 * runtime's ICU data through Intl, so a replay must run on the same Bun version as the original
 * (the package lock pins it) to be bit-exact across a daylight-saving rule change.
 *
 * The engine asks rarely: `sessionAt` returns the state and the next time it changes, and the book
 * caches that boundary.
 */
import { EngineConfigError } from "./errors.ts";
export interface SessionSpec {
  /** ISO weekdays, 1 = Monday … 7 = Sunday. */
  days: number[];
  /** Local "HH:MM" open; the session includes it. */
  open: string;
  /** Local "HH:MM" close; the session excludes it. A close at or before the open is next day. */
  close: string;
}

export interface CalendarSpec {
  /** IANA zone, e.g. "America/New_York". */
  timeZone: string;
  sessions: SessionSpec[];
  /** Local dates "YYYY-MM-DD" with no trading. */
  holidays?: string[];
}

export interface SessionState {
  open: boolean;
  /** Engine time (µs) at which `open` next changes; Infinity if never. */
  until: number;
}

const US_PER_MS = 1000;
const DAY_MS = 86_400_000;
/** How far ahead to look for the next open: long enough for any holiday cluster. */
const SEARCH_DAYS = 40;

export class Calendar {
  private readonly fmt: Intl.DateTimeFormat;
  private readonly holidays: Set<string>;
  private readonly sessions: { days: Set<number>; openMin: number; closeMin: number }[];

  constructor(readonly spec: CalendarSpec) {
    try {
      this.fmt = new Intl.DateTimeFormat("en-US", {
        timeZone: spec.timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      });
    } catch {
      throw new EngineConfigError(`unknown time zone: ${spec.timeZone}`);
    }
    if (spec.sessions.length === 0) throw new EngineConfigError("a calendar needs at least one session");
    this.sessions = spec.sessions.map((s) => {
      const openMin = minutes(s.open);
      let closeMin = minutes(s.close);
      if (closeMin <= openMin) closeMin += 24 * 60;
      for (const d of s.days) if (!Number.isInteger(d) || d < 1 || d > 7) throw new EngineConfigError(`weekday must be 1-7: ${d}`);
      return { days: new Set(s.days), openMin, closeMin };
    });
    for (const h of spec.holidays ?? []) if (!/^\d{4}-\d{2}-\d{2}$/.test(h)) throw new EngineConfigError(`holiday must be YYYY-MM-DD: ${h}`);
    this.holidays = new Set(spec.holidays ?? []);
  }

  sessionAt(timeUs: number): SessionState {
    const tMs = Math.floor(timeUs / US_PER_MS);
    const today = this.localDay(tMs);
    let nextOpen = Infinity;
    // A session that opened yesterday may still run (overnight sessions), so start a day back.
    for (let k = -1; k <= SEARCH_DAYS; k++) {
      const day = today + k;
      if (!this.tradingDay(day)) continue;
      for (const s of this.sessions) {
        if (!s.days.has(isoWeekday(day))) continue;
        const open = this.toUtcMs(day, s.openMin);
        const close = this.toUtcMs(day, s.closeMin);
        if (tMs >= open && tMs < close) return { open: true, until: close * US_PER_MS };
        if (open > tMs && open < nextOpen) nextOpen = open;
      }
      if (nextOpen !== Infinity && k >= 1) break;
    }
    return { open: false, until: nextOpen === Infinity ? Infinity : nextOpen * US_PER_MS };
  }

  private tradingDay(day: number): boolean {
    return !this.holidays.has(isoDate(day));
  }

  /** Days since the epoch of the local calendar date at instant `ms`. */
  private localDay(ms: number): number {
    const p = this.parts(ms);
    return Math.floor(Date.UTC(p.year, p.month - 1, p.day) / DAY_MS);
  }

  /** The instant at which the local wall clock in the zone reads `day` + `minute`. */
  private toUtcMs(day: number, minute: number): number {
    const wall = day * DAY_MS + minute * 60_000;
    // Offset at a first guess, then at the corrected instant: right across DST changes, and a
    // wall time that does not exist (spring forward) lands just after the gap.
    let utc = wall - this.offsetMs(wall);
    utc = wall - this.offsetMs(utc);
    return utc;
  }

  /** Zone offset (local − UTC) in ms at instant `ms`. */
  private offsetMs(ms: number): number {
    const p = this.parts(ms);
    const local = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    return local - Math.floor(ms / 1000) * 1000;
  }

  private parts(ms: number): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
    const out = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
    for (const part of this.fmt.formatToParts(ms)) {
      if (part.type in out) out[part.type as keyof typeof out] = Number(part.value);
    }
    return out;
  }
}

function minutes(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m || Number(m[1]) > 24 || Number(m[2]) > 59) throw new EngineConfigError(`session time must be HH:MM: ${hhmm}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

function isoWeekday(day: number): number {
  // 1970-01-01 was a Thursday (ISO 4).
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

function isoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}
