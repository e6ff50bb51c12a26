/**
 * The thresholds of the monitoring rules (docs/monitoring.md), each with a default chosen so an
 * ordinary day of trading raises nothing. A tier may override any of them (`monitoring` in its
 * entry of `exchange.tiers`); an account is judged by its tier's settings at the time of the command.
 */

export interface MonitoringSettings {
  /** Off: the tier's accounts are never judged (their state is still kept). */
  enabled: boolean;
  /** How quickly "usual size" follows new orders and fills: the weight of the newest (0–1). */
  sizeWeight: number;
  /** Orders (fills) an account must have before its size is judged. */
  sizeMinHistory: number;
  /** An order (fill) this many times the account's usual notional is large. */
  largeOrderFactor: number;
  largeFillFactor: number;
  /** Orders an account must have, over at least this many days, before its hours are judged. */
  hourMinOrders: number;
  hourMinDays: number;
  /** An order is at an unusual hour when the account's orders within ±1 h of it are below this share of all its orders. */
  hourShare: number;
  /** The window of the rapid position rule (µs) and how far the net change must go: this many times the usual fill. */
  positionWindowUs: number;
  positionFactor: number;
  /** Fills the window must hold (one big fill is the large-fill rule's). */
  positionMinFills: number;
  /** The net change must be at least this share of the gross traded in the window: one way, not to and fro. */
  positionOneWay: number;
  /** This many rejects and cancels by an account within the window is a burst. */
  rejectCount: number;
  rejectWindowUs: number;
  /** A withdrawal of at least this share of the deposits in its currency within the window. */
  depositWindowUs: number;
  depositShare: number;
  /** A withdrawal to a destination added less than this long before. */
  destinationWindowUs: number;
  /** After an alert, the same rule stays quiet for the same account this long (µs). */
  cooldownUs: number;
}

const SECOND = 1_000_000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;

export const DEFAULT_MONITORING: Readonly<MonitoringSettings> = Object.freeze({
  enabled: true,
  sizeWeight: 0.05,
  sizeMinHistory: 20,
  largeOrderFactor: 20,
  largeFillFactor: 20,
  hourMinOrders: 200,
  hourMinDays: 7,
  hourShare: 0.005,
  positionWindowUs: 60 * SECOND,
  positionFactor: 50,
  positionMinFills: 3,
  positionOneWay: 0.8,
  rejectCount: 30,
  rejectWindowUs: 10 * SECOND,
  depositWindowUs: DAY,
  depositShare: 0.5,
  destinationWindowUs: 2 * DAY,
  cooldownUs: 10 * 60 * SECOND,
});

/** What each setting must be: [lowest, highest] for numbers. */
export const MONITORING_RANGES: Record<Exclude<keyof MonitoringSettings, "enabled">, readonly [number, number]> = {
  sizeWeight: [0.0001, 1],
  sizeMinHistory: [1, 1e9],
  largeOrderFactor: [1, 1e9],
  largeFillFactor: [1, 1e9],
  hourMinOrders: [1, 1e9],
  hourMinDays: [0, 3650],
  hourShare: [0, 1],
  positionWindowUs: [1, 30 * DAY],
  positionFactor: [1, 1e9],
  positionMinFills: [1, 1e6],
  positionOneWay: [0, 1],
  rejectCount: [1, 1e6],
  rejectWindowUs: [1, 30 * DAY],
  depositWindowUs: [1, 365 * DAY],
  depositShare: [0, 1e6],
  destinationWindowUs: [1, 365 * DAY],
  cooldownUs: [0, 365 * DAY],
};

/** Problems with one tier's `monitoring` entry, as sentences (empty: it is good). */
export function checkMonitoring(where: string, spec: unknown): string[] {
  if (spec === undefined) return [];
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) return [`${where}: must be an object of monitoring settings`];
  const out: string[] = [];
  for (const [k, v] of Object.entries(spec)) {
    if (k === "enabled") {
      if (typeof v !== "boolean") out.push(`${where}.enabled: must be true or false`);
      continue;
    }
    const range = MONITORING_RANGES[k as keyof typeof MONITORING_RANGES];
    if (!range) {
      out.push(`${where}.${k}: not a monitoring setting (known: enabled, ${Object.keys(MONITORING_RANGES).join(", ")})`);
      continue;
    }
    if (typeof v !== "number" || !Number.isFinite(v) || v < range[0] || v > range[1]) out.push(`${where}.${k}: must be a number from ${range[0]} to ${range[1]}`);
  }
  return out;
}

/** Each tier's settings (defaults under its overrides); a tier not listed gets the defaults. */
export function tierSettings(tiers: readonly { id: number; monitoring?: Partial<MonitoringSettings> }[]): (tier: number) => MonitoringSettings {
  const byTier = new Map<number, MonitoringSettings>();
  for (const t of tiers) {
    const problems = checkMonitoring(`tier ${t.id} monitoring`, t.monitoring);
    if (problems.length > 0) throw new RangeError(problems.join("; "));
    byTier.set(t.id, { ...DEFAULT_MONITORING, ...t.monitoring });
  }
  return (tier) => byTier.get(tier) ?? DEFAULT_MONITORING;
}
