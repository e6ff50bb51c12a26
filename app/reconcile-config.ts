/**
 * The server's end-of-day reconciliation (docs/reconciliation.md, "The scheduled run"): the
 * config's `reconcile` section, its defaults, and where a day's files are looked for.
 *
 *   { "reconcile": { "at": "00:15", "out": "reports", "custodyDir": "bank", "dropCopyDir": "venues" } }
 *
 * On by default when the server has a history store, off with `enabled: false`. At `at` (UTC)
 * each day the server reconciles the UTC day before; the report goes to `<out>/<day>/`.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { VenueConfig } from "./venue-config.ts";

export interface ReconcileConfig {
  /** false: no scheduled run. Default: on when the server has a history store. */
  enabled?: boolean;
  /** The UTC time of day, "HH:MM", the run starts at (default "00:15"). */
  at?: string;
  /** Where reports go, one directory a day (default <dataDir>/reconcile). */
  out?: string;
  /** Where the bank's statements are: custody-YYYY-MM-DD.csv (absent: no custody comparison). */
  custodyDir?: string;
  /** Where the venues' drop copies are: NAME-YYYY-MM-DD.csv or NAME-YYYY-MM-DD.fix (absent: no venue comparison). */
  dropCopyDir?: string;
  /** How far the bank's time of a movement may be from ours, seconds (default 900). */
  custodyToleranceSeconds?: number;
  /** How far a venue's time of a fill may be from ours, seconds (default 5). */
  venueToleranceSeconds?: number;
}

export interface ReconcileSettings {
  /** Minutes after 00:00 UTC. */
  atMinutes: number;
  out: string;
  custodyDir: string | null;
  dropCopyDir: string | null;
  custodyToleranceSeconds: number;
  venueToleranceSeconds: number;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** The settings with their defaults; a value out of range is an error naming it. */
export function reconcileSettings(c: ReconcileConfig | undefined, dataDir: string): ReconcileSettings {
  const at = c?.at ?? "00:15";
  const m = HHMM.exec(at);
  if (!m) throw new RangeError(`reconcile.at must be a UTC time of day as "HH:MM", not ${JSON.stringify(at)}`);
  const seconds = (name: string, v: number | undefined, dflt: number) => {
    if (v === undefined) return dflt;
    if (!Number.isSafeInteger(v) || v < 0 || v > 86_400) throw new RangeError(`reconcile.${name} must be a whole number of seconds from 0 to 86400`);
    return v;
  };
  return {
    atMinutes: Number(m[1]) * 60 + Number(m[2]),
    out: resolve(c?.out ?? join(dataDir, "reconcile")),
    custodyDir: c?.custodyDir === undefined ? null : resolve(c.custodyDir),
    dropCopyDir: c?.dropCopyDir === undefined ? null : resolve(c.dropCopyDir),
    custodyToleranceSeconds: seconds("custodyToleranceSeconds", c?.custodyToleranceSeconds, 900),
    venueToleranceSeconds: seconds("venueToleranceSeconds", c?.venueToleranceSeconds, 5),
  };
}

/** The day's custody statement, if the bank's file is there. */
export function custodyFile(s: ReconcileSettings, day: string): string | null {
  if (s.custodyDir === null) return null;
  const f = join(s.custodyDir, `custody-${day}.csv`);
  return existsSync(f) ? f : null;
}

/** Each configured venue's drop copy of the day: its file, or null when it is not there. */
export function dropCopyFiles(s: ReconcileSettings, venues: Record<string, VenueConfig> | undefined, day: string): { venue: string; file: string | null }[] {
  if (s.dropCopyDir === null) return [];
  return Object.keys(venues ?? {}).map((venue) => {
    const file = [".csv", ".fix"].map((ext) => join(s.dropCopyDir!, `${venue}-${day}${ext}`)).find((f) => existsSync(f)) ?? null;
    return { venue, file };
  });
}
