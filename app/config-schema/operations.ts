/** The sections of what runs beside the doors: `history` (history/config.ts), `reconcile` (app/reconcile-config.ts) and `venues` (gateway/venue/link-config.ts). */
import { z } from "zod";
import { DEFAULT_RETENTION_DAYS } from "../../history/config.ts";
import { MARKET_DATA_DEFAULTS } from "../../gateway/venue/market-data-config.ts";
import { bool, hhmm, int, num, keyDocs, map, object, optional, pattern, port, printable, required, text, words } from "./keys.ts";

export const historySchema = object({
  enabled: optional(bool(), "false: no history store and no writer (benches, bourse start).", true),
  databaseUrl: optional(text(), "PostgreSQL connection URL (keep it in DATABASE_URL instead: a password does not belong in the file).", words("DATABASE_URL, else SQLite in the data directory"), { secret: true }),
  file: optional(text(), "The SQLite file, relative to the data directory.", "history.db"),
  retentionDays: optional(int(1), "Days rows are kept before bourse history prune may remove them.", DEFAULT_RETENTION_DAYS),
  batchRows: optional(int(1), "Rows per write transaction.", 10_000),
  nice: optional(int(0, 19), "The writer thread's nice value, so trading runs first (Linux); 0 leaves it alone.", 10),
});

const seconds = () => int(0, 86_400);

export const reconcileSchema = object({
  enabled: optional(bool(), "false: no scheduled end-of-day reconciliation.", words("on when the server has a history store")),
  at: optional(hhmm(), "The UTC time of day the run starts; it reconciles the UTC day before.", "00:15"),
  out: optional(text(), "Where reports go, one directory a day.", words("<data>/reconcile")),
  custodyDir: optional(text(), "Where the bank's statements are: custody-YYYY-MM-DD.csv.", words("no custody comparison")),
  dropCopyDir: optional(text(), "Where the venues' drop copies are: NAME-YYYY-MM-DD.csv or .fix.", words("no venue comparison")),
  custodyToleranceSeconds: optional(seconds(), "How far the bank's time of a movement may be from ours, seconds.", 900),
  venueToleranceSeconds: optional(seconds(), "How far a venue's time of a fill may be from ours, seconds.", 5),
});

const marketDataSchema = object({
  staleMs: optional(int(1, 86_400_000), "No update of an instrument for this long and it is flagged STALE, ms.", MARKET_DATA_DEFAULTS.staleMs),
  bandBps: optional(int(1, 9_999), "A print more than this many basis points from the last good price is a bad tick.", MARKET_DATA_DEFAULTS.bandBps),
  clearAfterGoodPrints: optional(int(1, 1_000), "In-band prints in a row that clear a bad tick.", MARKET_DATA_DEFAULTS.clearAfterGoodPrints),
  checkEveryMs: optional(int(1, 60_000), "How often the guard looks for stale instruments, ms.", MARKET_DATA_DEFAULTS.checkEveryMs),
}, "an object of market-data settings");

const marketDataOrOff = z.union([marketDataSchema, z.literal(false)]);
keyDocs.add(marketDataOrOff, { type: "an object of market-data settings, or false" });


export const venueSchema = object({
  account: required(int(1), "The venue's street account: the counterparty of every fill it reports (an account of the accounts section)."),
  feeBps: optional(num(0, 10_000), "The venue's commission, basis points of a fill's notional (1.5 is 0.015 %), checked against its drop copy.", words("not checked")),
  host: optional(text(), "The venue's FIX acceptor; required unless enabled or routing is false."),
  port: optional(port(), "Its port; required unless enabled or routing is false."),
  senderCompId: optional(printable(), "Our CompID (49) on the session; required unless enabled or routing is false."),
  targetCompId: optional(printable(), "The venue's CompID (56); required unless enabled or routing is false."),
  username: optional(text(), "Logon Username (553), if the venue asks for one."),
  passwordEnv: optional(pattern(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name"), "The environment variable holding the Logon Password (554); never the password itself.", words("no password"), { secret: true }),
  heartBtIntSec: optional(int(1, 300), "HeartBtInt (108) asked for at Logon, seconds.", 30),
  reconnectMs: optional(int(1), "First wait before reconnecting after a failed connect or a dropped session, ms; doubles up to maxReconnectMs.", 1000),
  maxReconnectMs: optional(int(1), "The longest wait between reconnects, ms.", 30_000),
  enabled: optional(bool(), "false: configured but not connected (its instruments stay unavailable).", true),
  routing: optional(bool(), "false: not routed to; it trades on our book through its street account and only its drop copy is reconciled.", true),
  marketData: optional(marketDataOrOff, "The venue's market data over the session, watched for staleness and bad ticks; false: the venue sends none.", words("on, with the defaults below")),
});

export const venuesSchema = map("venue name", venueSchema);

export const metricsSchema = object({
  enabled: optional(bool(), "false: GET /metrics answers 404 and nothing is counted or timed (docs/metrics.md).", true),
});
