/**
 * The command line, checked whole before anything is opened: each command accepts only its own
 * options (an option of another command is an error that says whose it is), every number is
 * checked for range, and every mistake is a UsageError with one line saying what to type instead.
 */
import { parseArgs } from "node:util";
import { UsageError } from "../actors/operator-error.ts";
import { closest } from "../app/closest.ts";
import { BREAK_ID } from "../reconcile/breaks.ts";
import { utcDay } from "../reconcile/day.ts";
import { LOG_FORMATS, type LogFormat } from "../log/format.ts";
import { defaultFormat, LOG_LEVELS, type LogLevel } from "../log/logger.ts";

type Spec = { type: "string" | "boolean"; short?: string; default?: string };

/** Options every command takes. */
const COMMON: Record<string, Spec> = {
  help: { type: "boolean", short: "h" },
  debug: { type: "boolean" },
};

const DATA: Record<string, Spec> = { data: { type: "string", default: "data" } };
const CONFIG: Record<string, Spec> = { config: { type: "string", default: "config/demo.json" } };
/** The operator's commands: the exchange's data directory and config, or its URL. */
const REMOTE: Record<string, Spec> = { ...DATA, ...CONFIG, url: { type: "string" } };
/** The commands that run the exchange log (docs/logging.md). */
const LOG: Record<string, Spec> = { "log-format": { type: "string" }, "log-level": { type: "string" } };

/** Each command's own options (a subcommand is "journal inspect"). */
export const COMMAND_OPTIONS: Record<string, Record<string, Spec>> = {
  serve: { ...DATA, ...CONFIG, ...LOG, port: { type: "string" }, "fix-port": { type: "string" }, workers: { type: "string", default: "0" } },
  start: {
    ...DATA,
    ...CONFIG,
    ...LOG,
    orders: { type: "string", default: "10000" },
    seed: { type: "string", default: "1" },
    "ack-log": { type: "boolean" },
    "no-fsync": { type: "boolean" },
    "snapshot-every": { type: "string", default: "100000" },
  },
  recover: { ...DATA, ...CONFIG, until: { type: "string" } },
  backup: { ...DATA, ...CONFIG, to: { type: "string" } },
  restore: { ...DATA, ...CONFIG, from: { type: "string" }, until: { type: "string" }, journal: { type: "string" }, force: { type: "boolean" } },
  "journal inspect": { ...DATA, from: { type: "string", default: "1" }, limit: { type: "string", default: "50" } },
  "journal verify": { ...DATA, ...CONFIG, replay: { type: "boolean" } },
  "history status": { ...DATA, ...CONFIG },
  "history rebuild": { ...DATA, ...CONFIG, out: { type: "string" } },
  "history prune": { ...DATA, ...CONFIG, before: { type: "string" }, operator: { type: "string" } },
  statement: { ...DATA, ...CONFIG, account: { type: "string" }, from: { type: "string" }, to: { type: "string" }, out: { type: "string" } },
  "reconcile resolve": { ...DATA, ...CONFIG, accept: { type: "string" }, adjusted: { type: "string" }, reason: { type: "string" }, operator: { type: "string" } },
  reconcile: { ...DATA, ...CONFIG, ...LOG, date: { type: "string" }, custody: { type: "string" }, tolerance: { type: "string", default: "900" }, out: { type: "string" }, venue: { type: "string" }, "drop-copy": { type: "string" }, "venue-tolerance": { type: "string" } },
  // The operator's commands talk to the running exchange over its HTTP API (cli/operator-tools.ts).
  "user add": { ...REMOTE, name: { type: "string" }, role: { type: "string" }, accounts: { type: "string" } },
  "user list": { ...REMOTE },
  "user lock": { ...REMOTE, name: { type: "string" } },
  "user unlock": { ...REMOTE, name: { type: "string" } },
  "user reset-mfa": { ...REMOTE, name: { type: "string" } },
  "account open": { ...REMOTE, account: { type: "string" }, tier: { type: "string" } },
  "account deposit": { ...REMOTE, account: { type: "string" }, currency: { type: "string" }, amount: { type: "string" } },
  "account tier": { ...REMOTE, account: { type: "string" }, tier: { type: "string" } },
  "key create": { ...REMOTE, account: { type: "string" }, scopes: { type: "string" }, "allow-ips": { type: "string" }, label: { type: "string" } },
  "key list": { ...REMOTE, account: { type: "string" } },
  "key revoke": { ...REMOTE, key: { type: "string" } },
  // The configuration file alone: checked, or its reference printed (docs/configuration.md).
  "config check": { ...CONFIG },
  "config reference": {},
};

/** What the operator's commands need to find the running exchange: its data directory (the operator token) and its config (the address). */
const REMOTE_KEYS = ["data", "config", "url"];

export const COMMANDS = ["serve", "start", "recover", "backup", "restore", "journal", "history", "statement", "reconcile", "user", "account", "key", "config"] as const;
export const JOURNAL_SUBCOMMANDS = ["inspect", "verify"] as const;
export const HISTORY_SUBCOMMANDS = ["status", "rebuild", "prune"] as const;
/** Commands with subcommands, and theirs. */
const SUBCOMMANDS: Record<string, readonly string[]> = {
  journal: JOURNAL_SUBCOMMANDS,
  history: HISTORY_SUBCOMMANDS,
  user: ["add", "list", "lock", "unlock", "reset-mfa"],
  account: ["open", "deposit", "tier"],
  key: ["create", "list", "revoke"],
  config: ["check", "reference"],
};

/** What the command line asks for, every value checked. */
export type Invocation =
  | { kind: "help"; topic: string }
  | { kind: "version" }
  | { kind: "run"; command: string; debug: boolean; values: Values };

export interface Values {
  data: string;
  config: string;
  port?: number;
  fixPort?: number;
  workers: number;
  orders: number;
  seed: number;
  ackLog: boolean;
  fsync: boolean;
  snapshotEvery: number;
  until?: { untilSeq?: number; untilTime?: number };
  /** backup: the directory to write; restore: the backup to read, later journal segments, --force. */
  backupTo?: string;
  backupFrom?: string;
  laterJournal?: string;
  force: boolean;
  from: number;
  limit: number;
  replay: boolean;
  /** statement: --account, and the range [--from, --to) in engine µs; history prune: --before. */
  account?: number;
  fromTime?: number;
  toTime?: number;
  before?: number;
  /** history rebuild, statement: the file to write (statement default: stdout). */
  out?: string;
  /** reconcile: the UTC day (YYYY-MM-DD), the custody statement, the custody time tolerance (seconds). */
  date?: string;
  custody?: string;
  toleranceSeconds: number;
  /** reconcile: the venue, its drop copy, how far its time of a fill may be from ours (seconds, default 5). */
  venue?: string;
  dropCopy?: string;
  venueToleranceSeconds: number;
  /** reconcile resolve: the break, and --accept REASON or --adjusted SEQ [--reason TEXT]. */
  breakId?: string;
  accept?: string;
  adjustedSeq?: number;
  reason?: string;
  /** history prune: who prunes (recorded with the prune). */
  operator: string;
  /** The operator's commands (user, account, key): the exchange's URL (default: from the config), and each command's own fields. */
  url?: string;
  remote: Record<string, string>;
  /** --log-level, or debug with --debug (an explicit --log-level wins). */
  logLevel: LogLevel;
  /** --log-format: pretty on a terminal, json otherwise. */
  logFormat: LogFormat;
}

export function parseCommandLine(argv: string[]): Invocation {
  const first = argv[0];
  // No arguments: what a newcomer types first, so it is help, not an error (README: the bourse command).
  if (first === undefined || first === "--help" || first === "-h" || first === "help") return { kind: "help", topic: "main" };
  if (first === "--version" || first === "-v" || first === "version") return { kind: "version" };
  if (first.startsWith("-")) throw new UsageError(`${first} before a command; usage: bourse <command> [options] (bourse --help lists the commands)`);
  if (!(COMMANDS as readonly string[]).includes(first)) throw new UsageError(`unknown command "${first}"; the commands are ${COMMANDS.join(", ")} (bourse --help)`);
  let command = first;
  let rest = argv.slice(1);
  const subs = SUBCOMMANDS[first];
  // `reconcile` runs by itself; `reconcile resolve BREAK_ID` records a resolution.
  let breakId: string | undefined;
  if (first === "reconcile" && argv[1] === "resolve") {
    breakId = argv[2];
    if (breakId === "--help" || breakId === "-h") return { kind: "help", topic: "reconcile" };
    if (breakId === undefined || !BREAK_ID.test(breakId)) throw new UsageError(`reconcile resolve needs a break id (16 hex digits, from breaks.csv) first, not ${breakId === undefined ? "nothing" : `"${breakId}"`} (bourse reconcile --help)`);
    command = "reconcile resolve";
    rest = argv.slice(3);
  } else if (subs) {
    const sub = argv[1];
    if (sub === undefined || sub === "--help" || sub === "-h") {
      if (sub === undefined) throw new UsageError(`${first} needs a subcommand: bourse ${first} ${subs.join("|")} (bourse ${first} --help)`);
      return { kind: "help", topic: first };
    }
    if (!subs.includes(sub)) throw new UsageError(`unknown ${first} subcommand "${sub}"; it is ${subs.slice(0, -1).join(", ")} or ${subs.at(-1)} (bourse ${first} --help)`);
    command = `${first} ${sub}`;
    rest = argv.slice(2);
  }
  const options = { ...COMMON, ...COMMAND_OPTIONS[command]! };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: rest, options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (e) {
    throw new UsageError(explainParseError(e, command));
  }
  if (values.help) return { kind: "help", topic: command.split(" ")[0]! };
  const str = (name: string) => values[name] as string | undefined;
  const v: Values = {
    data: nonEmpty("--data", str("data") ?? "data"),
    config: nonEmpty("--config", str("config") ?? "config/demo.json"),
    port: str("port") === undefined ? undefined : integer("--port", str("port")!, 0, 65_535),
    fixPort: str("fix-port") === undefined ? undefined : integer("--fix-port", str("fix-port")!, 0, 65_535),
    workers: workers(str("workers") ?? "0"),
    // Any negative count means "until killed" (bourse start --help).
    orders: integer("--orders", str("orders") ?? "0", -1, Number.MAX_SAFE_INTEGER),
    seed: integer("--seed", str("seed") ?? "1", 0, 0xffff_ffff),
    ackLog: values["ack-log"] === true,
    fsync: values["no-fsync"] !== true,
    snapshotEvery: integer("--snapshot-every", str("snapshot-every") ?? "0", 0, Number.MAX_SAFE_INTEGER),
    from: command === "journal inspect" ? integer("--from", str("from") ?? "1", 1, Number.MAX_SAFE_INTEGER) : 1,
    limit: integer("--limit", str("limit") ?? "50", 0, Number.MAX_SAFE_INTEGER),
    replay: values.replay === true,
    out: str("out") === undefined ? undefined : nonEmpty("--out", str("out")!),
    operator: str("operator") ?? process.env.USER ?? "operator",
    logLevel: oneOf("--log-level", str("log-level") ?? (values.debug === true ? "debug" : "info"), LOG_LEVELS),
    logFormat: oneOf("--log-format", str("log-format") ?? defaultFormat(), LOG_FORMATS),
    url: str("url"),
    remote: {},
    toleranceSeconds: integer("--tolerance", str("tolerance") ?? "900", 0, 7 * 86_400),
    custody: str("custody") === undefined ? undefined : nonEmpty("--custody", str("custody")!),
    venue: str("venue") === undefined ? undefined : nonEmpty("--venue", str("venue")!),
    dropCopy: str("drop-copy") === undefined ? undefined : nonEmpty("--drop-copy", str("drop-copy")!),
    venueToleranceSeconds: integer("--venue-tolerance", str("venue-tolerance") ?? "5", 0, 86_400),
    force: values.force === true,
  };
  if ((v.venue === undefined) !== (v.dropCopy === undefined)) throw new UsageError("--venue NAME and --drop-copy FILE go together (bourse reconcile --help)");
  if (/^(user|account|key) /.test(command)) v.remote = remoteFields(command, values);
  if (command === "recover") {
    const until = str("until");
    if (until === undefined) throw new UsageError("recover needs --until <seq|time> (bourse recover --help)");
    v.until = parseUntil(until);
  }
  if (command === "backup") {
    if (str("to") === undefined) throw new UsageError("backup needs --to DIR, a new or empty directory (bourse backup --help)");
    v.backupTo = nonEmpty("--to", str("to")!);
  }
  if (command === "restore") {
    if (str("from") === undefined) throw new UsageError("restore needs --from BACKUP and --data DIR (bourse restore --help)");
    v.backupFrom = nonEmpty("--from", str("from")!);
    if (str("until") !== undefined) v.until = parseUntil(str("until")!);
    if (str("journal") !== undefined) v.laterJournal = nonEmpty("--journal", str("journal")!);
  }
  if (command === "statement") {
    for (const name of ["account", "from", "to"]) if (str(name) === undefined) throw new UsageError(`statement needs --account ID --from TIME --to TIME (bourse statement --help)`);
    v.account = integer("--account", str("account")!, 0, Number.MAX_SAFE_INTEGER);
    v.fromTime = time("--from", str("from")!);
    v.toTime = time("--to", str("to")!);
    if (v.toTime <= v.fromTime) throw new UsageError(`--to must be after --from`);
  }
  if (command === "reconcile resolve") {
    v.breakId = breakId;
    const accept = str("accept");
    const adjusted = str("adjusted");
    if ((accept === undefined) === (adjusted === undefined)) throw new UsageError(`reconcile resolve needs one of --accept "REASON" or --adjusted SEQ (bourse reconcile --help)`);
    if (accept !== undefined) {
      if (accept.trim() === "") throw new UsageError("--accept needs a reason: what makes the break acceptable");
      if (str("reason") !== undefined) throw new UsageError("--reason goes with --adjusted; --accept's value is the reason");
      v.accept = accept;
    } else v.adjustedSeq = integer("--adjusted", adjusted!, 1, Number.MAX_SAFE_INTEGER);
    v.reason = str("reason");
  }
  if (command === "reconcile") {
    const date = str("date");
    if (date === undefined) throw new UsageError("reconcile needs --date YYYY-MM-DD (bourse reconcile --help)");
    try {
      utcDay(date);
    } catch {
      throw new UsageError(`--date wants a calendar day as YYYY-MM-DD (UTC), not "${date}"`);
    }
    v.date = date;
  }
  if (command === "history prune" && str("before") !== undefined) v.before = time("--before", str("before")!);
  return { kind: "run", command, debug: values.debug === true, values: v };
}

/** The fields an operator's command sends, each required one present and each number checked. */
function remoteFields(command: string, values: Record<string, string | boolean | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  const required: Record<string, string[]> = {
    "user add": ["name", "role"],
    "user lock": ["name"],
    "user unlock": ["name"],
    "user reset-mfa": ["name"],
    "account open": ["account", "tier"],
    "account deposit": ["account", "currency", "amount"],
    "account tier": ["account", "tier"],
    "key create": ["account"],
    "key revoke": ["key"],
  };
  const needs = required[command] ?? [];
  const missing = needs.filter((n) => values[n] === undefined);
  if (missing.length > 0) throw new UsageError(`${command} needs ${needs.map((n) => `--${n}`).join(", ")} (bourse ${command.split(" ")[0]} --help)`);
  for (const [k, val] of Object.entries(values)) {
    if (typeof val !== "string" || REMOTE_KEYS.includes(k)) continue;
    if (k === "account" || k === "tier") integer(`--${k}`, val, 0, Number.MAX_SAFE_INTEGER);
    if (k === "accounts") for (const a of val.split(",")) integer("--accounts", a, 0, Number.MAX_SAFE_INTEGER);
    out[k] = nonEmpty(`--${k}`, val);
  }
  return out;
}

/** A time: ISO 8601 (a date alone is its UTC midnight) or µs since the epoch; engine µs. */
function time(name: string, text: string): number {
  if (/^\d{13,}$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`${name} wants a time (ISO 8601, e.g. 2026-11-01 or 2026-11-25T10:00:00Z, or µs since the epoch), not "${text}"`);
  return ms * 1000;
}

/** node:util's parse errors, said in this command's terms. */
function explainParseError(e: unknown, command: string): string {
  const code = (e as { code?: string }).code;
  const message = (e as Error).message;
  const help = `bourse ${command} --help`;
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? "";
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const name = option.replace(/^-+/, "").split("=")[0]!;
    const owners = Object.entries(COMMAND_OPTIONS)
      .filter(([, opts]) => name in opts)
      .map(([c]) => c);
    if (owners.length > 0) return `--${name} does not apply to ${command} (it is an option of ${owners.join(", ")}); see ${help}`;
    const near = closest(name, Object.keys({ ...COMMON, ...COMMAND_OPTIONS[command]! }));
    return `unknown option ${option} for ${command}${near ? ` (did you mean --${near}?)` : ""}; see ${help}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    if (/argument missing/.test(message)) return `${option} needs a value; see ${help}`;
    // "--port -1": the value looks like an option; --port=-1 would be taken (and range-checked).
    if (/ambiguous/.test(message)) return `${option} needs a value, and a value starting with "-" is written ${option}=VALUE; see ${help}`;
    return `${option} takes no value; see ${help}`;
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const arg = /'([^']*)'/.exec(message)?.[1] ?? "";
    return `unexpected argument "${arg}" for ${command}; options are written --name value; see ${help}`;
  }
  return `${message}; see ${help}`;
}

function nonEmpty(name: string, text: string): string {
  if (text === "") throw new UsageError(`${name} must not be empty`);
  return text;
}

function integer(name: string, text: string, min: number, max: number): number {
  const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `${min}–${max}`;
  if (!/^-?\d+$/.test(text)) throw new UsageError(`${name} must be an integer ${range}, not "${text}"`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${name} must be an integer ${range}, not "${text}"`);
  return n;
}

function oneOf<T extends string>(name: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`${name} must be one of ${allowed.join(", ")}, not "${text}"`);
  return text as T;
}

function workers(text: string): number {
  if (text !== "0" && text !== "1") throw new UsageError(`--workers must be 0 (engine on the main thread) or 1 (engine in a worker), not "${text}"; docs/architecture.md says why not more`);
  return Number(text);
}

/** A sequence number, or a time: ISO 8601, or µs since the epoch (16 digits). */
function parseUntil(text: string): { untilSeq?: number; untilTime?: number } {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--until must be a sequence number of at least 1 or a time, not "${text}"`);
    // Sequence numbers are small; µs-since-epoch times are 16 digits.
    return n < 1e12 ? { untilSeq: n } : { untilTime: n };
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`--until wants a sequence number or a time (ISO 8601, e.g. 2026-11-25T10:00:00Z), not "${text}"`);
  return { untilTime: ms * 1000 };
}
