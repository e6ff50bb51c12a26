/**
 * The `exchange` section: what the engine is built from (engine/ledger.ts LedgerConfig,
 * engine/instrument.ts InstrumentSpec, engine/tier.ts TierSpec, engine/calendar.ts CalendarSpec).
 */
import { z } from "zod";
import { DEFAULT_MONITORING, MONITORING_RANGES, type MonitoringSettings } from "../../history/monitoring/settings.ts";
import { bool, bps, decimal, hhmm, int, list, map, micros, num, object, optional, pattern, required, text, words } from "./keys.ts";

const DAY_US = 86_400_000_000;
const id = () => int(0);

export const currencySchema = object({
  id: required(id(), "The currency's number, used in the journal and the protocol; unique."),
  code: required(pattern(/^[A-Z0-9]{2,12}$/, "2–12 upper-case letters or digits"), 'The code accounts and instruments name it by ("USD").'),
  scale: required(int(0, 18), "Decimal places of one unit: fine enough for every instrument quoted in it (tickSize × lotSize)."),
  approveWithdrawalsAbove: optional(decimal(), "A withdrawal of more than this waits for an operator's approval, its amount reserved meanwhile (docs/accounts.md, Withdrawals).", words("none waits")),
});

const sessionSchema = object({
  days: required(list(int(1, 7), "a list of weekdays 1–7"), "ISO weekdays the session runs on, 1 = Monday … 7 = Sunday."),
  open: required(hhmm(), "Local time the session opens (included)."),
  close: required(hhmm(), "Local time the session closes (excluded); at or before the open is the next day."),
});

const calendarSchema = object({
  timeZone: required(text(), 'IANA time zone of the sessions ("America/New_York").'),
  sessions: required(list(sessionSchema, "a list of sessions").min(1), "The trading sessions (at least one)."),
  holidays: optional(list(pattern(/^\d{4}-\d{2}-\d{2}$/, 'a date "YYYY-MM-DD"'), "a list of dates"), "Local dates with no trading.", []),
});

export const instrumentSchema = object({
  id: required(id(), "The instrument's number, used in the journal and the protocol; unique."),
  symbol: required(text(), 'The symbol clients trade it by ("BTC-USD").'),
  tickSize: required(decimal(), "Price increment, in the quote currency."),
  lotSize: required(decimal(), "Quantity increment, in the base currency."),
  bandBps: required(bps(), "Market-order protection band around the reference price, basis points."),
  referencePrice: optional(int(0, 1e11), "Reference price in ticks for the bands until the first trade; 0 = none.", 0),
  base: optional(text(), "Currency code of the quantity (positions settle in it)."),
  quote: optional(text(), "Currency code of the price (cash settles in it); the exchange needs it, one of exchange.currencies.", words("none: the exchange refuses the instrument")),
  priceBandBps: optional(bps(), "Limit orders priced further than this from the reference are rejected, basis points; 0 = off.", 0),
  tradeBandBps: optional(bps(), "A trade may not print further than this from the last trade (bad ticks), basis points; 0 = off.", 0),
  volatilityBps: optional(bps(), "Halt when prices move more than this within volatilityWindowUs, basis points of the low; 0 = off.", 0),
  volatilityWindowUs: optional(micros(), "The window of the volatility halt, µs of engine time.", 0),
  haltUs: optional(micros(), "Cooling-off period of a volatility halt, µs of engine time.", 0),
  calendar: optional(calendarSchema, "Trading sessions; without one the symbol trades around the clock.", words("around the clock")),
  dayEndUtc: optional(hhmm(), "Without a calendar: the UTC time the trading day ends and DAY orders expire (a calendar's session close ends its day).", "00:00"),
  venue: optional(text(), "Routes orders on this instrument to this external venue (a key of the venues section; docs/venues.md).", words("the local book")),
});

/** Descriptions of the monitoring thresholds (history/monitoring/settings.ts has their ranges and defaults). */
const MONITORING_MEANING: Record<keyof MonitoringSettings, string> = {
  enabled: "false: the tier's accounts are never judged (their state is still kept).",
  sizeWeight: "How quickly an account's usual size follows new orders and fills: the weight of the newest.",
  sizeMinHistory: "Orders (fills) an account must have before its size is judged.",
  largeOrderFactor: "An order this many times the account's usual notional is large.",
  largeFillFactor: "A fill this many times the account's usual notional is large.",
  hourMinOrders: "Orders an account must have before its trading hours are judged.",
  hourMinDays: "Days those orders must span before its trading hours are judged.",
  hourShare: "An order is at an unusual hour when the account's orders within ±1 h of it are below this share of all its orders.",
  positionWindowUs: "The window of the rapid position rule, µs.",
  positionFactor: "The net position change within the window that is rapid: this many times the usual fill.",
  positionMinFills: "Fills the window must hold for the rapid position rule.",
  positionOneWay: "The net change must be at least this share of the gross traded in the window (one way, not to and fro).",
  rejectCount: "This many rejects and cancels by an account within rejectWindowUs is a burst.",
  rejectWindowUs: "The window of the reject burst rule, µs.",
  depositWindowUs: "The window of the withdrawal-after-deposit rule, µs.",
  depositShare: "A withdrawal of at least this share of the deposits in its currency within depositWindowUs raises an alert.",
  destinationWindowUs: "A withdrawal to a destination added less than this long before raises an alert, µs.",
  cooldownUs: "After an alert, the same rule stays quiet for the same account this long, µs.",
};

const monitoringSchema = object(
  Object.fromEntries(
    (Object.keys(MONITORING_MEANING) as (keyof MonitoringSettings)[]).map((k) => {
      if (k === "enabled") return [k, optional(bool(), MONITORING_MEANING[k], DEFAULT_MONITORING.enabled)];
      const [min, max] = MONITORING_RANGES[k];
      return [k, optional(num(min, max), MONITORING_MEANING[k], DEFAULT_MONITORING[k])];
    }),
  ) as { [K in keyof MonitoringSettings]: z.ZodOptional<z.ZodType<MonitoringSettings[K], MonitoringSettings[K]>> },
  "an object of monitoring settings",
);

export const tierSchema = object({
  id: required(id(), "The tier's number; an account names its tier by it. Unique."),
  makerBps: required(bps(), "Fee charged to the resting side of a trade, basis points of its notional."),
  takerBps: required(bps(), "Fee charged to the incoming side of a trade, basis points of its notional."),
  maxOrderQty: optional(int(1), "Largest order, in lots.", words("no limit")),
  maxNotional: optional(map("quote currency code", decimal()), "Largest order notional per quote currency, a decimal in its units.", words("no limit")),
  positionLimit: optional(int(0), "Largest absolute position in any symbol, in lots.", words("no limit")),
  positionLimits: optional(map("instrument id", int(0)), "Largest absolute position per instrument id, in lots (over positionLimit).", words("no limit")),
  maxOpenOrders: optional(int(0), "Most open orders an account may have.", words("no limit")),
  rateCount: optional(int(0, 1_000_000), "At most this many orders and amends within rateWindowUs; 0 = no limit.", 0),
  rateWindowUs: optional(micros(), "The rate limit's window, µs of engine time.", 0),
  monitoring: optional(monitoringSchema, "Transaction monitoring's thresholds for this tier's accounts, over the defaults (docs/monitoring.md).", words("the defaults below")),
});

export const exchangeSchema = object({
  currencies: required(list(currencySchema, "a list of currencies"), "The currencies cash is held in."),
  instruments: required(list(instrumentSchema, "a list of instruments"), "The instruments traded, one order book each."),
  tiers: required(list(tierSchema, "a list of tiers").min(1), "Fee and limit tiers (at least one); every account names one."),
  feeAccount: optional(id(), "The account fees are paid into; the exchange opens it itself.", 0),
  destinationDelayUs: optional(micros(), "How long after a withdrawal destination is added it may be used, µs.", DAY_US),
  idempotencyWindowUs: optional(micros(), "How long an (account, clientOrderId) stays unique after submission, µs.", DAY_US),
});
