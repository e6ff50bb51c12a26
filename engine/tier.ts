/**
 * Fee and limit tiers: the configured spec and the resolved tier an account points at. Its own
 * module because both the account (which holds its tier) and the risk checks (which read it) need
 * the type, and neither should import the other for it.
 */
import { EngineConfigError } from "./errors.ts";
export interface TierSpec {
  id: number;
  makerBps: number;
  takerBps: number;
  /** Largest order in lots (Infinity: none). */
  maxOrderQty?: number;
  /** Largest order notional per quote currency code, as a decimal string ("1000000"). */
  maxNotional?: Record<string, string>;
  /** Largest absolute position in lots, by default and per symbol id. */
  positionLimit?: number;
  positionLimits?: Record<number, number>;
  maxOpenOrders?: number;
  /** At most rateCount orders and amends within rateWindowUs of engine time (0: no limit). */
  rateCount?: number;
  rateWindowUs?: number;
  /**
   * Transaction monitoring's thresholds for this tier's accounts, over the defaults (names and
   * meaning: history/monitoring/settings.ts, docs/monitoring.md). The engine does not read them.
   */
  monitoring?: Readonly<Record<string, number | boolean | undefined>>;
}

/** A tier with every default filled in and notional limits in units. */
export interface Tier {
  id: number;
  makerBps: number;
  takerBps: number;
  /** The larger fee: what a reservation must cover. */
  worstBps: number;
  maxOrderQty: number;
  /** Quote currency id → largest notional in units. */
  maxNotional: Map<number, bigint>;
  positionLimit: number;
  positionLimits: Map<number, number>;
  maxOpenOrders: number;
  rateCount: number;
  rateWindowUs: number;
}

/** The rate window keeps one slot per allowed order; a limit past a million is a configuration error. */
function rateCount(spec: TierSpec): number {
  const n = spec.rateCount ?? 0;
  if (!Number.isInteger(n) || n < 0 || n > 1_000_000) throw new EngineConfigError(`tier ${spec.id}: rateCount must be an integer in [0, 1000000]: ${n}`);
  return n;
}

export function makeTier(spec: TierSpec, currencyByCode: (code: string) => { id: number; scale: number } | undefined): Tier {
  const bps = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 0 || v > 10_000) throw new EngineConfigError(`tier ${spec.id}: ${name} must be 0-10000 bps`);
    return v;
  };
  const maxNotional = new Map<number, bigint>();
  for (const [code, text] of Object.entries(spec.maxNotional ?? {})) {
    const c = currencyByCode(code);
    if (!c) throw new EngineConfigError(`tier ${spec.id}: unknown currency ${code}`);
    const [whole, frac = ""] = text.split(".");
    if (!/^\d+$/.test(whole ?? "") || !/^\d*$/.test(frac) || frac.length > c.scale) throw new EngineConfigError(`tier ${spec.id}: bad maxNotional ${text}`);
    maxNotional.set(c.id, BigInt(whole + frac.padEnd(c.scale, "0")));
  }
  return {
    id: spec.id,
    makerBps: bps("makerBps", spec.makerBps),
    takerBps: bps("takerBps", spec.takerBps),
    worstBps: Math.max(spec.makerBps, spec.takerBps),
    maxOrderQty: spec.maxOrderQty ?? Infinity,
    maxNotional,
    positionLimit: spec.positionLimit ?? Infinity,
    positionLimits: new Map(Object.entries(spec.positionLimits ?? {}).map(([k, v]) => [Number(k), v])),
    maxOpenOrders: spec.maxOpenOrders ?? Infinity,
    rateCount: rateCount(spec),
    rateWindowUs: spec.rateWindowUs ?? 0,
  };
}
